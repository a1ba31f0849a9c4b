"""The sweep: a question no worker will ever finish is marked failed and its asker is told,
so no placeholder says "Searching…" forever."""

from __future__ import annotations

import datetime as dt

import pytest

from faqbot import keys
from faqbot.contracts import AnswerRequest, Reply
from faqbot.db import experts, interactions, verified
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.settings import Settings
from faqbot.shared_state import shared_keys
from pipelines.bench.slack_standin import TOKEN, SlackStandIn
from workers.tasks.sweep import sweep_task
from workers.worker_process import process_settings


def test_a_lost_question_gets_an_apology_in_place_of_its_placeholder(settings, monkeypatch):
    with SlackStandIn() as slack:
        monkeypatch.setenv("FAQBOT_SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("FAQBOT_SLACK_API_URL", slack.api_url)
        process_settings.cache_clear()
        configured = Settings(_env_file=None)
        ensure_schema(configured)
        lost = AnswerRequest(
            question="How do I fix VPN error 809?",
            asker="U0ASKER01",
            channel="C0HELP001",
            thread_ts="1700000000.000100",
        )
        lost.reply = Reply(
            kind="slack",
            key=keys.placeholder(lost.request_id),
            channel="C0HELP001",
            thread_ts="1700000000.000100",
        )
        fresh = AnswerRequest(question="Where is the PTO policy?")
        posted = slack.api(
            "chat.postMessage", {"channel": "C0HELP001", "text": "Searching the knowledge base…"}
        )
        shared_keys(configured).put(lost.reply.key, f"{posted['channel']} {posted['ts']}", 60)
        with session_scope(configured) as session:
            interactions.record_sent(session, lost)
            interactions.record_sent(session, fresh)
        with session_scope(configured) as session:
            interactions.find(session, lost.request_id).created_at -= dt.timedelta(days=1)

        assert sweep_task() == {
            "resent": 0,
            "failed_stale": 1,
            "askers_told": 1,
            "forgotten": 0,
            "experts_reminded": 0,
            "reviews_requested": 0,
        }

        text = slack.messages[("C0HELP001", posted["ts"])]["text"]
    assert text.startswith(":warning: Sorry") and f"`{lost.request_id[:8]}`" in text
    with session_scope(configured) as session:
        assert interactions.find(session, lost.request_id).status == "failed"
        assert interactions.find(session, fresh.request_id).status == "queued"


def test_questions_older_than_the_retention_period_are_forgotten_with_their_votes(settings):
    from sqlalchemy import func, select

    from faqbot.db.models import Interaction, Vote

    ensure_schema(settings)
    old, recent = AnswerRequest(question="old one"), AnswerRequest(question="recent one")
    with session_scope(settings) as session:
        for request in (old, recent):
            interactions.record_sent(session, request)
            row = interactions.find(session, request.request_id)
            row.status = "answered"
            session.add(Vote(interaction_id=row.id, user_id="U0VOTER01", value=1, via="button"))
        interactions.find(session, old.request_id).created_at -= dt.timedelta(days=400)

    assert sweep_task()["forgotten"] == 1

    with session_scope(settings) as session:
        assert [r.question for r in session.scalars(select(Interaction))] == ["recent one"]
        assert session.scalar(select(func.count()).select_from(Vote)) == 1


def test_a_question_no_worker_took_is_sent_again_once(settings, monkeypatch, redis_url):
    """Redis's transport can lose a message whose worker died while taking it: the bot's
    record of the question is what brings it back."""
    import base64
    import json

    from faqbot.shared_state import redis_client

    queue_url = redis_url
    redis_client(queue_url).flushdb()
    monkeypatch.setenv("FAQBOT_REDIS_URL", queue_url)
    process_settings.cache_clear()
    configured = Settings(_env_file=None)
    ensure_schema(configured)
    dropped, started = AnswerRequest(question="dropped"), AnswerRequest(question="started")
    with session_scope(configured) as session:
        interactions.record_sent(session, dropped)
        interactions.claim(session, started)  # a worker has it: its redelivery is Redis's job
        for request in (dropped, started):
            interactions.find(session, request.request_id).created_at -= dt.timedelta(minutes=50)

    assert sweep_task()["resent"] == 1
    assert sweep_task()["resent"] == 0  # once only: a second loss is failed, not looped

    [raw] = redis_client(queue_url).lrange("answers", 0, -1)
    payload = json.loads(base64.b64decode(json.loads(raw)["body"]))[1]["payload"]
    assert payload["request_id"] == dropped.request_id  # same id: it can only be answered once
    redis_client(queue_url).flushdb()


@pytest.fixture
def slack(settings, monkeypatch):
    """A Slack stand-in that the sweep's process settings point at, and the schema in place."""
    with SlackStandIn() as standin:
        monkeypatch.setenv("FAQBOT_SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("FAQBOT_SLACK_API_URL", standin.api_url)
        monkeypatch.setenv("FAQBOT_ESCALATION_REMIND_AFTER_H", "4")
        process_settings.cache_clear()
        ensure_schema(process_settings())
        yield standin
    process_settings.cache_clear()


def test_experts_are_reminded_once_of_a_question_nobody_resolved(slack):
    for hours_ago, thread in ((5, "1.1"), (3, "2.2")):  # due, and not due yet
        escalated(process_settings(), thread, dt.timedelta(hours=hours_ago))
    assert sweep_task()["experts_reminded"] == 1
    assert sweep_task()["experts_reminded"] == 0  # once only
    [reminder] = slack.called("chat.postMessage")
    assert reminder.params["thread_ts"] == "1.1"
    assert reminder.params["text"].startswith(":bell: <@U0EXPERT1> <!subteam^S0PRINT>:")


def escalated(settings: Settings, thread_ts: str, age: dt.timedelta) -> None:
    asked = AnswerRequest(question="Who approves travel?", asker="U0ASKER01", channel="C0HELP001")
    with session_scope(settings) as session:
        interactions.record_sent(session, asked)
        escalation = experts.escalate(
            session,
            interactions.find(session, asked.request_id),
            channel="C0HELP001",
            thread_ts=thread_ts,
            asked_by="U0ASKER01",
            experts=["U0EXPERT1", "S0PRINT"],
        )
        escalation.created_at -= age


def test_a_verifier_is_asked_once_to_review_an_answer_past_its_review_date(slack):
    with session_scope(process_settings()) as session:
        for days in (0, 30):  # due today, and due in a month
            verified.verify(
                session,
                question=f"Who approves travel? ({days})",
                answer="Your line manager, in the expenses tool.",
                author="U0EXPERT1",
                verifier="U0VERIFY1",
                visibility=["C0HELP001"],
                review_days=days,
            )
    assert sweep_task()["reviews_requested"] == 1
    assert sweep_task()["reviews_requested"] == 0  # once per review date
    [dm] = slack.called("chat.postMessage")
    assert dm.params["channel"] == "U0VERIFY1" and "(0)" in dm.params["text"]
    assert "verified_confirm" in str(dm.params["blocks"])
