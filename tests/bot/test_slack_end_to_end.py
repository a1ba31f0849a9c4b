"""Slack → the real Bolt app → Redis → a real `faqbot worker` → the Slack Web API stand-in:
questions come back as cited Block Kit answers with vote buttons, and admin jobs report back."""

from __future__ import annotations

import functools
import shutil
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from faqbot.contracts import IngestRequest
from faqbot.db import feedback, interactions, sources
from faqbot.db.engine import session_scope
from faqbot.db.models import VerifiedAnswer
from faqbot.shared_state import redis_client
from pipelines.bench.slack_requests import SECRET, block_action, mention, message, reaction
from pipelines.bench.slack_standin import TEAM_ID, TOKEN, SlackStandIn
from pipelines.bench.worker_pool import WorkerPool
from tests.bot.conftest import start_bot, stop_bot
from tests.conftest import settings_from, worker_env

pytestmark = pytest.mark.slow

SAMPLE_DOCS = Path(__file__).parents[2] / "sample_kb" / "docs"
ADMIN = "U0ADMIN01"
PARKING_PAGE = """<html><head><title>Parking at the Leeds office</title></head><body>
<h1>Parking at the Leeds office</h1><p>Staff park in the Wellington Street garage, levels 3
and 4. Register your number plate with reception to get a free permit; visitors get a day pass
from the front desk. Electric cars can charge on level 4 for free.</p></body></html>"""

GYM_POLICY = (
    b"# Gym membership\n\nThe company pays half of a gym membership up to 30 GBP a "
    b"month; claim it as an expense with the receipt.\n"
)


@pytest.fixture(scope="module")
def web_pages(tmp_path_factory):
    """The VPN guide and a parking page, served on 127.0.0.1 like an intranet."""
    root = tmp_path_factory.mktemp("intranet")
    shutil.copy(SAMPLE_DOCS / "vpn-remote-access.md", root)
    (root / "parking.html").write_text(PARKING_PAGE)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def slack():
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, model_cache, embedder, web_pages, slack, redis_url):
    """The handbook indexed (the VPN guide as a web page), one worker, and the bot."""
    from pipelines.ingest.ingest_job import ingest_source
    from workers.store import open_store

    data_dir = tmp_path_factory.mktemp("data")
    docs = tmp_path_factory.mktemp("handbook")
    for path in SAMPLE_DOCS.iterdir():
        if path.name != "vpn-remote-access.md":
            shutil.copy(path, docs)
    # The pages are on 127.0.0.1: allowed here and, through the environment, in the worker.
    env = worker_env(
        data_dir,
        model_cache,
        f"sqlite:///{data_dir / 'faqbot.db'}",
        redis_url,
        slack_bot_token=TOKEN,
        slack_api_url=slack.api_url,
        slack_signing_secret=SECRET,
        admin_user_ids=ADMIN,
        fetch_allowed_hosts="127.0.0.1",
    )
    settings = settings_from(env)
    store = open_store(settings)
    for target, source_id in (
        (str(docs), "handbook"),
        (f"{web_pages}/vpn-remote-access.md", "vpn"),
    ):
        report = ingest_source(
            IngestRequest(target=target, source_id=source_id),
            settings=settings,
            store=store,
            embedder=embedder,
        )
        assert report.chunks and not report.errors, report
    redis_client(redis_url).flushdb()
    with WorkerPool(env, tmp_path_factory.mktemp("logs")) as pool:
        pool.start(1, queues="answers,ingest")
        bot, server = start_bot(settings, slack)
        yield bot
        stop_bot(bot, server)


def final_message(slack: SlackStandIn, channel: str, thread_ts: str | None = None) -> dict:
    """The bot's message in `channel` once the worker has put the vote buttons on it."""

    def done():
        for (where, _ts), state in list(slack.messages.items()):
            in_thread = thread_ts is None or state.get("thread_ts") == thread_ts
            blocks, text = str(state.get("blocks")), str(state.get("text"))
            final = "answer_feedback" in blocks or ":warning:" in text
            if where == channel and in_thread and final:
                return state
        return None

    return slack.wait_for(done, timeout_s=240)


def delivered_in(settings, channel: str, ts: str):
    """The answer the message carries, once the worker has recorded it (just after the
    message became final)."""

    def recorded():
        with session_scope(settings) as session:
            return feedback.by_reply(session, channel, ts)

    deadline = time.monotonic() + 10
    while (row := recorded()) is None:
        assert time.monotonic() < deadline, f"no answer recorded for {channel} {ts}"
        time.sleep(0.05)
    return row


def shown(message: dict) -> str:
    """What the asker reads: a streamed message's text and its blocks."""
    return f"{message.get('text')} {message.get('blocks')}"


def test_a_mention_gets_a_status_then_a_natively_streamed_cited_answer(deployment, web_pages):
    """The placeholder and the thread's status say what happens; the quote is streamed with
    chat.startStream as soon as retrieval finds it; the stop call brings the sources and
    Slack's feedback buttons, and the placeholder is gone. A 👍 reaction or feedback button
    is one vote."""
    slack = deployment.standin
    event = mention("My VPN says error 809 at the hotel, what do I do?", channel="C0IT00001")
    assert deployment.event(event).status_code == 200
    answer = final_message(slack, "C0IT00001", thread_ts=event["ts"])
    [placeholder] = slack.called("chat.postMessage", channel="C0IT00001")
    assert placeholder.params["text"] == "Searching the knowledge base…"
    [start] = slack.called("chat.startStream", channel="C0IT00001")
    assert (start.params["thread_ts"], start.params["recipient_user_id"]) == (
        event["ts"],
        "U0ASKER01",
    )
    assert start.params["recipient_team_id"] == TEAM_ID
    assert "NWH-Corporate-TLS" in answer["text"] and not answer["streaming"]
    statuses = [
        c.params["status"]
        for c in slack.called("assistant.threads.setStatus", thread_ts=event["ts"])
    ]
    assert statuses[0] == "Searching the knowledge base…"
    assert statuses[1].startswith("Reading ") and statuses[1].endswith("…")
    assert list(slack.thread("C0IT00001", event["ts"])) == [("C0IT00001", answer["ts"])]
    text = str(answer["blocks"])
    assert "*Sources*" in text
    assert f"<{web_pages}/vpn-remote-access.md|[1] " in text  # a link to the cited page
    assert "SmolLM2" in text and "answer_feedback" in text
    with session_scope(deployment.services.settings) as session:
        [row] = [r for r in _answered(session) if r.thread_ts == event["ts"]]
        assert (row.reply_channel, row.reply_ts) == ("C0IT00001", answer["ts"])
    deployment.event(reaction("+1", channel="C0IT00001", ts=answer["ts"], user="U0FAN0001"))
    url = slack.response_url("feedback")
    for _ in range(2):  # pressed twice: still one vote
        press = block_action(
            "answer_feedback", f"up {row.request_id}", "U0FAN0002", "C0IT00001", url
        )
        deployment.interaction(press)
    with session_scope(deployment.services.settings) as session:
        assert feedback.tally(session, interactions.find(session, row.request_id)) == {
            "up": 2,
            "down": 0,
        }


def test_where_slack_refuses_a_stream_the_answer_edits_the_placeholder(deployment):
    slack = deployment.standin
    slack.fail("chat.startStream", status=200, error="method_not_supported")
    event = mention("How many vacation days do I get?", channel="C0IT00002", user="U0ASKER02")
    deployment.event(event)
    answer = final_message(slack, "C0IT00002", thread_ts=event["ts"])
    assert slack.called("chat.startStream", channel="C0IT00002")  # asked, and refused
    # The one message in the thread is the placeholder, edited into the answer.
    assert list(slack.thread("C0IT00002", event["ts"])) == [("C0IT00002", answer["ts"])]
    assert slack.called("chat.update", channel="C0IT00002", ts=answer["ts"])
    assert "answer_feedback" in str(answer["blocks"]) and "*Sources*" in str(answer["blocks"])


def test_a_direct_message_is_answered_in_the_dm(deployment):
    event = message(
        "How many days of PTO carry over into next year?", channel="D0DM00001", channel_type="im"
    )
    deployment.event(event)
    answer = final_message(deployment.standin, "D0DM00001")
    # A stream is a reply: in a DM it goes under the question.
    assert answer["thread_ts"] == event["ts"] and "answer_feedback" in str(answer["blocks"])


def test_ask_replaces_its_ephemeral_placeholder_through_the_response_url(deployment):
    slack = deployment.standin
    url = slack.response_url("ask-e2e")
    response = deployment.command("/ask", "Who approves travel expenses?", response_url=url)
    assert response.json()["response_type"] == "ephemeral"
    [reply] = slack.wait_for(
        lambda: [c for c in slack.called("response") if c.path.endswith("ask-e2e")], timeout_s=240
    )
    assert reply.params["replace_original"] is True
    assert reply.params["response_type"] == "ephemeral"
    assert "answer_feedback" in str(reply.params["blocks"])


def test_an_admin_adds_an_intranet_page_and_gets_the_report_in_their_dm(deployment, web_pages):
    # The page is on 127.0.0.1, which the deployment allows with FAQBOT_FETCH_ALLOWED_HOSTS.
    slack = deployment.standin
    response = deployment.command(
        "/faq-admin", f"add <{web_pages}/parking.html> <#C0LEEDS01|leeds>", user=ADMIN
    )
    assert "Indexing" in response.text

    def report():
        return [
            m
            for (channel, _), m in list(slack.messages.items())
            if channel == "D0ADMIN01" and "chunks indexed" in str(m.get("text"))
        ]

    [dm] = slack.wait_for(report, timeout_s=240)
    assert ":white_check_mark:" in dm["text"]
    with session_scope(deployment.services.settings) as session:
        [row] = [r for r in sources.all_sources(session) if r.location.endswith("parking.html")]
        assert (row.status, row.visibility, row.added_by) == ("ready", ["C0LEEDS01"], ADMIN)
        assert row.chunk_count >= 1


def test_an_uploaded_file_is_downloaded_with_the_bot_token_and_indexed(deployment):
    slack = deployment.standin
    slack.files["F0GYM0001"] = ("gym-membership.md", GYM_POLICY)
    from tests.bot.test_admin_commands import upload_submission

    assert deployment.interaction(upload_submission(ADMIN, "F0GYM0001")).status_code == 200

    def report():
        return [
            m
            for (_, _), m in list(slack.messages.items())
            if "gym" in str(m.get("text")) and "chunks indexed" in str(m.get("text"))
        ]

    slack.wait_for(report, timeout_s=240)
    assert len(slack.called("file", file="F0GYM0001")) == 1
    with session_scope(deployment.services.settings) as session:
        [row] = [r for r in sources.all_sources(session) if r.location == "slack-file:F0GYM0001"]
        assert row.status == "ready" and row.kind == "slack-file"


def _answered(session):
    from sqlalchemy import select

    from faqbot.db.models import Interaction

    return session.scalars(select(Interaction).where(Interaction.status == "answered")).all()


def test_an_experts_verified_reply_answers_the_question_asked_again_in_its_channel(deployment):
    """Refused → "Still need help?" → the expert is tagged → they reply, an admin marks it ✅
    → the question asked again in other words is answered from it, with the badge; in a
    channel outside its scope it is not."""
    slack, settings = deployment.standin, deployment.services.settings
    deployment.command("/faq-admin", "experts <#C0PRINT01|printing> <@U0EXPERT1|ann>", user=ADMIN)
    asked = mention("Why does the printer on floor 3 say held job?", channel="C0PRINT01")
    deployment.event(asked)
    first = final_message(slack, "C0PRINT01", thread_ts=asked["ts"])
    request_id = delivered_in(settings, "C0PRINT01", first["ts"]).request_id
    url = slack.response_url("need-help")
    deployment.interaction(block_action("escalate", request_id, "U0ASKER01", "C0PRINT01", url))
    [handover] = slack.wait_for(
        lambda: [
            m
            for m in slack.called("chat.postMessage", channel="C0PRINT01")
            if "still needs help" in m.params["text"]
        ],
        timeout_s=30,
    )
    assert handover.params["text"].startswith("<@U0EXPERT1>: <@U0ASKER01> still needs help")
    reply = slack.user_says(
        "C0PRINT01",
        "Held jobs wait for you at the printer: tap your badge on the reader to release them.",
        user="U0EXPERT1",
        thread_ts=asked["ts"],
    )
    deployment.event(reaction("white_check_mark", channel="C0PRINT01", ts=reply, user=ADMIN))

    def verified_answers():
        with session_scope(settings) as session:
            return session.scalars(select(VerifiedAnswer)).all()

    [saved] = slack.wait_for(verified_answers, timeout_s=30)
    assert (saved.author, saved.verifier, saved.visibility) == ("U0EXPERT1", ADMIN, ["C0PRINT01"])

    again = mention("The floor 3 printer says my job is held, why?", channel="C0PRINT01")
    deployment.event(again)
    answer = final_message(slack, "C0PRINT01", thread_ts=again["ts"])
    assert "tap your badge" in shown(answer)
    assert f"Verified by <@{ADMIN}> on " in shown(answer)
    elsewhere = mention("The floor 3 printer says my job is held, why?", channel="C0OTHER01")
    deployment.event(elsewhere)
    other = final_message(slack, "C0OTHER01", thread_ts=elsewhere["ts"])
    assert "tap your badge" not in shown(other) and "Verified by" not in shown(other)


def test_a_members_correction_is_served_only_after_an_admin_approves_it_in_review(deployment):
    """A member's correction from the 👎 form is shown to nobody; once an admin presses
    Approve in `/faq-admin review`, the question asked again is answered from it, verified."""
    from pipelines.bench.slack_requests import view_submission

    slack, settings = deployment.standin, deployment.services.settings
    channel, fix = "C0GYM0001", "The gym on floor 2 opens at 6:00 with your badge."
    asked = mention("When does the office gym open?", channel=channel, user="U0ASKER03")
    deployment.event(asked)
    first = final_message(slack, channel, thread_ts=asked["ts"])
    request_id = delivered_in(settings, channel, first["ts"]).request_id
    values = {"correction": {"text": {"type": "plain_text_input", "value": fix}}}
    form = view_submission("U0MEMBER1", "correction", values, private_metadata=request_id)
    assert "went to the knowledge-base admins" in deployment.interaction(form).text

    before = mention("What time does the office gym open?", channel=channel, user="U0ASKER03")
    deployment.event(before)
    unapproved = shown(final_message(slack, channel, thread_ts=before["ts"]))
    assert fix not in unapproved and "Verified by" not in unapproved

    listed = deployment.command("/faq-admin", "review", user=ADMIN).json()
    buttons = [e for b in listed["blocks"] if b["type"] == "actions" for e in b["elements"]]
    [key] = {e["value"] for e in buttons if e["value"].startswith("correction:")}
    url = slack.response_url("review-approve")
    deployment.interaction(block_action("review_approve", key, ADMIN, channel, url))
    slack.wait_for(lambda: [c for c in slack.called("response") if "approved" in str(c.params)])

    after = mention("What time does the office gym open?", channel=channel, user="U0ASKER04")
    deployment.event(after)
    answer = final_message(slack, channel, thread_ts=after["ts"])
    assert fix in shown(answer) and f"Verified by <@{ADMIN}> on " in shown(answer)


def test_a_thread_an_admin_adds_answers_later_questions_in_its_channel_only(deployment):
    """The message shortcut "Add to knowledge base" → a real worker reads the thread from
    Slack and indexes it, visible in its channel → a later question there is answered from it,
    citing the thread; the same question in another channel is not."""
    from pipelines.bench.slack_requests import message_shortcut

    slack = deployment.standin
    root = slack.user_says(
        "C0LEEDS01", "Where can I lock my bike at the Leeds office?", "U0ASKER02"
    )
    slack.user_says(
        "C0LEEDS01",
        "Bike racks are in the basement of the Wellington Street garage behind door B; the "
        "door code is 4471, reception changes it every quarter.",
        "U0FACIL01",
        root,
    )
    picked = message_shortcut("add_thread", ADMIN, "C0LEEDS01", {"ts": root, "text": "bike"},
                              slack.response_url("shortcut-e2e"))  # fmt: skip
    assert deployment.interaction(picked).status_code == 200

    def report():
        return [
            m
            for (channel, _), m in list(slack.messages.items())
            if channel == "D0ADMIN01"
            and "chunks indexed" in str(m.get("text"))
            and "slack-thread" in str(m.get("text"))
        ]

    [dm] = slack.wait_for(report, timeout_s=240)
    assert ":white_check_mark:" in dm["text"]
    asked = mention("What is the door code for the bike racks in Leeds?", channel="C0LEEDS01",
                    user="U0ASKER03")  # fmt: skip
    deployment.event(asked)
    answer = final_message(slack, "C0LEEDS01", thread_ts=asked["ts"])
    assert "4471" in shown(answer) and f"archives/C0LEEDS01/p{root.replace('.', '')}" in shown(
        answer
    )
    elsewhere = mention("What is the door code for the bike racks in Leeds?", channel="C0OTHER02",
                        user="U0ASKER04")  # fmt: skip
    deployment.event(elsewhere)
    assert "4471" not in shown(final_message(slack, "C0OTHER02", thread_ts=elsewhere["ts"]))
