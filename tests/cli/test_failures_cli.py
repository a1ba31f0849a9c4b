"""`faqbot failures`: what the on-call engineer sees of failed questions, and retrying one."""

from __future__ import annotations

import base64
import json

import pytest
from typer.testing import CliRunner

from cli import app
from faqbot.contracts import AnswerRequest, Reply
from faqbot.db import interactions
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.settings import Settings
from faqbot.shared_state import redis_client


def faqbot(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def queue_settings(settings, monkeypatch, redis_url) -> Settings:
    redis_client(redis_url).flushdb()
    monkeypatch.setenv("FAQBOT_REDIS_URL", redis_url)
    configured = Settings(_env_file=None)
    ensure_schema(configured)
    return configured


def failed_question(settings: Settings, question: str, reply: Reply) -> AnswerRequest:
    request = AnswerRequest(
        question=question,
        asker="U0ASKER01",
        channel="C0HELP001",
        thread_ts="1700000000.000100",
        reply=reply,
    )
    with session_scope(settings) as session:
        interactions.record_sent(session, request, "the question queue is unavailable")
    return request


def queued_answers(settings: Settings) -> list[dict]:
    raw = redis_client(settings.redis_url).lrange("answers", 0, -1)
    return [json.loads(base64.b64decode(json.loads(m)["body"]))[1]["payload"] for m in raw]


def test_a_failed_question_is_listed_with_its_reference_and_retried_in_its_thread(queue_settings):
    reply = Reply(
        kind="slack",
        key="faqbot:slack:placeholder:x",
        channel="C0HELP001",
        thread_ts="1700000000.000100",
    )
    request = failed_question(queue_settings, "How do I fix VPN error 809?", reply)
    reference = request.request_id[:8]

    [row] = [json.loads(line) for line in faqbot("failures", "list", "--json").stdout.splitlines()]
    assert (row["reference"], row["question"], row["retryable"]) == (
        reference,
        "How do I fix VPN error 809?",
        True,
    )
    assert row["error"] == "the question queue is unavailable"
    assert reference in faqbot("failures", "list").stdout

    result = faqbot("failures", "retry", reference)
    assert result.exit_code == 0, result.output
    [task] = queued_answers(queue_settings)
    assert task["request_id"] == request.request_id  # same id: its answer replaces the apology
    assert task["reply"] == reply.model_dump()
    assert "No failed questions" in faqbot("failures", "list").stdout


def test_an_ask_question_is_retried_into_the_askers_dm(queue_settings):
    reply = Reply(kind="slack", response_url="https://hooks.slack.com/commands/T0/1/abc")
    request = failed_question(queue_settings, "Where is the PTO policy?", reply)
    assert faqbot("failures", "retry", request.request_id).exit_code == 0
    [task] = queued_answers(queue_settings)
    assert task["reply"]["channel"] == "U0ASKER01" and task["reply"]["response_url"] is None


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        ("ab", "is at least 6 letters and digits"),
        ("ffffffff", "no question has this reference"),
    ],
)
def test_a_bad_reference_is_one_line_and_changes_nothing(queue_settings, reference, reason):
    request = failed_question(queue_settings, "How do I fix VPN error 809?", Reply(kind="none"))
    result = faqbot("failures", "retry", reference)
    assert result.exit_code == 2 and reason in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert queued_answers(queue_settings) == []
    with session_scope(queue_settings) as session:
        assert interactions.find(session, request.request_id).status == "failed"


def test_a_question_that_is_no_longer_failed_is_not_sent_twice(queue_settings):
    request = failed_question(queue_settings, "How do I fix VPN error 809?", Reply(kind="none"))
    assert faqbot("failures", "retry", request.request_id[:8]).exit_code == 0
    again = faqbot("failures", "retry", request.request_id[:8])
    assert again.exit_code == 2 and "is queued, not failed" in again.output
    assert len(queued_answers(queue_settings)) == 1


def test_with_the_queue_down_a_retry_is_one_line_and_the_question_stays_failed(
    queue_settings, monkeypatch
):
    request = failed_question(queue_settings, "How do I fix VPN error 809?", Reply(kind="none"))
    monkeypatch.setenv("FAQBOT_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    result = faqbot("failures", "retry", request.request_id[:8])
    assert result.exit_code == 2 and "not queued, it stays failed" in result.output
    with session_scope(queue_settings) as session:
        assert interactions.find(session, request.request_id).status == "failed"
