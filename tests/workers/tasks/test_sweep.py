"""The sweep: a question no worker will ever finish is marked failed and its asker is told,
so no placeholder says "Searching…" forever."""

from __future__ import annotations

import datetime as dt

from faqbot.db import interactions
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.settings import Settings
from faqbot.shared_state import shared_keys
from faqbot.tasks import AnswerRequest, Reply, placeholder_key
from pipelines.bench.slack_standin import TOKEN, SlackStandIn
from workers.runtime import process_settings
from workers.tasks.sweep import sweep_task


def test_a_lost_question_gets_an_apology_in_place_of_its_placeholder(settings, monkeypatch):
    with SlackStandIn() as slack:
        monkeypatch.setenv("FAQBOT_SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("FAQBOT_SLACK_API_URL", slack.api_url)
        process_settings.cache_clear()
        configured = Settings(_env_file=None)
        ensure_schema(configured)
        lost = AnswerRequest(question="How do I fix VPN error 809?", asker="U0ASKER01",
                             channel="C0HELP001", thread_ts="1700000000.000100")  # fmt: skip
        lost.reply = Reply(kind="slack", key=placeholder_key(lost.request_id),
                           channel="C0HELP001", thread_ts="1700000000.000100")  # fmt: skip
        fresh = AnswerRequest(question="Where is the PTO policy?")
        posted = slack.api("chat.postMessage", {"channel": "C0HELP001",
                                                "text": "Searching the knowledge base…"})  # fmt: skip
        shared_keys(configured).put(lost.reply.key, f"{posted['channel']} {posted['ts']}", 60)
        with session_scope(configured) as session:
            interactions.record_sent(session, lost)
            interactions.record_sent(session, fresh)
        with session_scope(configured) as session:
            interactions.find(session, lost.request_id).created_at -= dt.timedelta(days=1)

        assert sweep_task() == {"failed_stale": 1, "askers_told": 1}

        text = slack.messages[("C0HELP001", posted["ts"])]["text"]
    assert text.startswith(":warning: Sorry") and f"`{lost.request_id[:8]}`" in text
    with session_scope(configured) as session:
        assert interactions.find(session, lost.request_id).status == "failed"
        assert interactions.find(session, fresh.request_id).status == "queued"
