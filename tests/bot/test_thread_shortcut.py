"""The "Add to knowledge base" message shortcut through the real Bolt app: an admin's pick
queues the thread as a source visible in its channel; anyone else is refused."""

from __future__ import annotations

from pipelines.bench.slack_requests import message_shortcut
from tests.bot.test_admin_commands import ADMIN, audit_rows

CHANNEL = "C0IT00001"


def pick(running_bot, user: str, message: dict):
    url = running_bot.standin.response_url("shortcut")
    payload = message_shortcut("add_thread", user, CHANNEL, message, url)
    assert running_bot.interaction(payload).status_code == 200
    standin = running_bot.standin
    return standin.wait_for(
        lambda: [c for c in standin.called("response") if c.path.endswith("/shortcut")]
    )


def test_an_admin_adds_a_thread_from_any_of_its_messages(running_bot):
    reply = {"ts": "1800000002.000200", "thread_ts": "1800000001.000100", "text": "Use TLS."}
    [told] = pick(running_bot, ADMIN, reply)
    [job] = running_bot.queued("ingest")
    assert job["target"] == f"slack-thread:{CHANNEL}/1800000001.000100"  # the thread, not the reply
    assert (job["visibility"], job["spec"]["kind"], job["added_by"]) == (
        [CHANNEL],
        "slack-thread",
        ADMIN,
    )
    assert told.params["text"].startswith(f"Indexing the thread (visible to: <#{CHANNEL}>)")


def test_anyone_else_is_refused_and_the_refusal_is_audited(running_bot):
    [told] = pick(running_bot, "U0NOBODY1", {"ts": "1800000001.000100", "text": "VPN?"})
    assert "only for knowledge-base admins" in told.params["text"]
    assert running_bot.queued("ingest") == []
    assert audit_rows(running_bot.services.settings)[-1] == (
        "U0NOBODY1",
        "admin.add",
        f"slack-thread:{CHANNEL}/1800000001.000100",
        "refused",
    )
