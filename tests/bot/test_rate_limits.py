"""Per-user question limits, counted in Redis so that two bot processes share one count."""

from __future__ import annotations

import pytest

from faqbot.settings import Settings
from faqbot.shared_state import redis_client
from pipelines.bench.slack_requests import mention
from tests.bot.conftest import QUEUE_REDIS_URL, slack_settings, start_bot, stop_bot

ASKER, OTHER = "U0ASKER01", "U0OTHER01"


@pytest.fixture
def two_bots(settings, standin):
    """Two bot processes' apps, one Redis, at most two questions a minute per user."""
    redis_client(QUEUE_REDIS_URL).flushdb()
    configured = Settings(_env_file=None, data_dir=settings.data_dir, redis_url=QUEUE_REDIS_URL,
                          questions_per_minute=2, **slack_settings(standin))  # fmt: skip
    running = [start_bot(configured, standin) for _ in range(2)]
    yield [bot for bot, _ in running]
    for bot, server in running:
        stop_bot(bot, server)


def test_a_third_question_in_a_minute_is_refused_with_when_to_retry(two_bots):
    first, second = two_bots
    first.event(mention("How do I fix VPN error 809?", channel="C0HELP001", user=ASKER))
    second.event(mention("Where is the PTO policy?", channel="C0HELP001", user=ASKER))
    refused = mention("And the travel policy?", channel="C0HELP001", user=ASKER)
    first.event(refused)
    assert [task["question"] for task in first.queued()] == [
        "How do I fix VPN error 809?", "Where is the PTO policy?"]  # fmt: skip
    [told] = first.standin.wait_for(lambda: first.standin.called("chat.postEphemeral"), 10)
    assert (told.params["user"], told.params["thread_ts"]) == (ASKER, refused["ts"])
    assert "asked 2 questions in the last minute" in told.params["text"]
    wait_s = int(told.params["text"].split("again in ")[1].split(" s")[0])
    assert 50 <= wait_s <= 60


def test_the_limit_is_per_user_and_covers_ask(two_bots):
    first, second = two_bots
    for n in range(2):
        first.event(mention(f"question {n} about VPN error 809?", channel="C0HELP002", user=ASKER))
    response = second.command("/ask", "what about the PTO policy?", user=ASKER)
    assert "Please ask again in" in response.text
    second.event(mention("How do I fix VPN error 809?", channel="C0HELP002", user=OTHER))
    assert [task["asker"] for task in first.queued()] == [ASKER, ASKER, OTHER]
