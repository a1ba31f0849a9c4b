"""With Redis down the bot still answers every question: with an apology and a reference, and
the question stays on record as failed for `faqbot failures retry`."""

from __future__ import annotations

import pytest

from faqbot.db import interactions
from faqbot.db.engine import session_scope
from faqbot.db.models import Interaction
from faqbot.settings import Settings
from pipelines.bench.slack_requests import mention
from tests.bot.conftest import slack_settings, start_bot, stop_bot

DOWN_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there


@pytest.fixture
def bot_without_redis(settings, standin):
    configured = Settings(
        _env_file=None,
        data_dir=settings.data_dir,
        redis_url=DOWN_REDIS_URL,
        **slack_settings(standin),
    )
    bot, server = start_bot(configured, standin, consume=False)  # as gunicorn's processes
    yield bot
    stop_bot(bot, server)


def failed_rows(settings: Settings) -> list[Interaction]:
    with session_scope(settings) as session:
        return interactions.failures(session)


def test_ask_gets_an_apology_with_a_reference_and_the_question_is_kept(bot_without_redis):
    url = bot_without_redis.standin.response_url("ask-down")
    response = bot_without_redis.command("/ask", "How do I fix VPN error 809?", response_url=url)
    assert response.status_code == 200
    text = response.json()["text"]
    assert text.startswith(":warning: Sorry") and "question queue is unavailable" in text
    [row] = failed_rows(bot_without_redis.services.settings)
    assert f"`{row.request_id[:8]}`" in text
    assert (
        row.question == "How do I fix VPN error 809?"
        and row.request["reply"]["response_url"] == url
    )


def test_an_event_is_left_to_slacks_retries_and_the_last_one_gets_an_apology(bot_without_redis):
    event = mention("How do I fix VPN error 809?", channel="C0HELP001")
    first = bot_without_redis.post(_body(event))
    assert first.status_code == 503  # Slack will send it again
    assert failed_rows(bot_without_redis.services.settings) == []
    last = bot_without_redis.post(
        _body(event), **{"X-Slack-Retry-Num": "3", "X-Slack-Retry-Reason": "http_error"}
    )
    assert last.status_code == 200
    [told] = bot_without_redis.standin.wait_for(
        lambda: bot_without_redis.standin.called("chat.postMessage", channel="C0HELP001"), 10
    )
    assert told.params["thread_ts"] == event["ts"]
    [row] = failed_rows(bot_without_redis.services.settings)
    assert f"`{row.request_id[:8]}`" in told.params["text"]
    assert (row.question, row.thread_ts) == ("How do I fix VPN error 809?", event["ts"])


def _body(event: dict) -> bytes:
    from pipelines.bench.slack_requests import event_body

    return event_body(event, "Ev0DOWN01")
