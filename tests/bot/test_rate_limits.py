"""Per-user question limits, counted in Redis so that two bot processes share one count."""

from __future__ import annotations

import pytest

from faqbot.settings import Settings
from faqbot.shared_state import redis_client
from pipelines.bench.slack_requests import mention
from tests.bot.conftest import slack_settings, start_bot, stop_bot

ASKER, OTHER = "U0ASKER01", "U0OTHER01"


@pytest.fixture
def two_bots(settings, standin, redis_url):
    """Two bot processes' apps, one Redis, at most two questions a minute per user."""
    redis_client(redis_url).flushdb()
    configured = Settings(
        _env_file=None,
        data_dir=settings.data_dir,
        redis_url=redis_url,
        questions_per_minute=2,
        **slack_settings(standin),
    )
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
        "How do I fix VPN error 809?",
        "Where is the PTO policy?",
    ]
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


def texts(bot, method: str, containing: str) -> list[str]:
    return [c.params["text"] for c in bot.standin.called(method) if containing in c.params["text"]]


def test_a_flood_gets_one_hint_and_one_slow_down_notice_then_silence(two_bots):
    """Hints cost a question like any other, and each kind of notice is posted once a window:
    otherwise empty mentions would make the bot post as fast as anyone can type."""
    first, second = two_bots
    for n in range(4):
        bot = (first, second)[n % 2]
        bot.event(mention("", channel="C0HELP003", user=ASKER))
        bot.event(mention("x" * 2500, channel="C0HELP003", user=ASKER))
        bot.event(mention(f"question {n} about VPN error 809?", channel="C0HELP003", user=ASKER))
    for bot in two_bots:
        bot.drain()
    assert first.queued() == []  # the first two messages (hints) used up the limit of two
    assert len(texts(first, "chat.postMessage", "Ask me a question")) == 1
    assert texts(first, "chat.postMessage", "characters long") == []  # a hint was given
    [slow_down] = texts(first, "chat.postEphemeral", "Please ask again in")
    assert "asked 2 questions in the last minute" in slow_down


def test_an_empty_ask_counts_against_the_limit_too(two_bots):
    first, second = two_bots
    assert "Usage: `/ask <question>`" in first.command("/ask", "  ", user=ASKER).text
    second.event(mention("How do I fix VPN error 809?", channel="C0HELP004", user=ASKER))
    response = first.command("/ask", "what about the PTO policy?", user=ASKER)
    assert "Please ask again in" in response.text
    assert [task["question"] for task in first.queued()] == ["How do I fix VPN error 809?"]


def from_a_bot(text: str, channel: str, **sender) -> dict:
    """An @mention posted by a bot, an app or a workflow: no `user`, or not only one."""
    event = mention(text, channel=channel)
    del event["user"]
    return {**event, **sender}


def test_bots_apps_and_workflows_are_limited_like_people(two_bots):
    first, second = two_bots
    senders = [
        {"bot_id": "B0WORKFLOW"},  # Workflow Builder posts as its bot
        {"app_id": "A0ALERTS1"},
        {"bot_profile": {"app_id": "A0PROFILED"}},
    ]
    for sender in senders:
        for n in range(3):
            bot = (first, second)[n % 2]
            bot.event(from_a_bot(f"status {n} of VPN error 809?", "C0HELP005", **sender))
    for bot in two_bots:
        bot.drain()
    assert len(first.queued()) == 2 * len(senders)  # two each; the third of each is refused
    notices = texts(first, "chat.postMessage", "Please ask again in")
    assert len(notices) == len(senders)  # in the thread: there is no person to tell privately


def test_an_event_with_no_sender_to_count_is_refused(two_bots):
    first, _ = two_bots
    for n in range(3):
        first.event(from_a_bot(f"anonymous question {n}?", "C0HELP006"))
    first.drain()
    assert first.queued() == [] and first.standin.called("chat.postMessage") == []
