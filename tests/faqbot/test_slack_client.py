"""The Web API client every process uses waits as long as Slack's Retry-After asks."""

from __future__ import annotations

import time

from faqbot.settings import Settings
from faqbot.slack import web_client
from pipelines.bench.slack_standin import TOKEN, SlackStandIn


def test_a_429_is_retried_after_slacks_retry_after():
    with SlackStandIn() as slack:
        settings = Settings(_env_file=None, slack_bot_token=TOKEN, slack_api_url=slack.api_url)
        slack.fail("chat.postMessage", times=1, status=429, retry_after=1)
        started = time.monotonic()
        posted = web_client(settings).chat_postMessage(channel="C0HELP001", text="hello")
        waited_s = time.monotonic() - started
    assert posted["ok"] and len(slack.called("chat.postMessage")) == 2
    assert waited_s >= 1.0  # Slack asked for a second; retrying sooner would be refused again


def test_a_429_seen_by_one_process_holds_the_others_back(settings):
    """Two clients with one Redis, as two processes would be: the second waits out the
    Retry-After the first was given, instead of being refused too."""
    import threading

    from faqbot.slack import SharedRateLimits, _client

    redis_url = "redis://127.0.0.1:6379/2"
    SharedRateLimits(redis_url).redis.delete(SharedRateLimits.key("chat.postMessage"))
    with SlackStandIn() as slack:
        first, second = (_client.__wrapped__(TOKEN, slack.api_url, redis_url) for _ in range(2))
        slack.fail("chat.postMessage", times=1, status=429, retry_after=1)
        refused = threading.Thread(target=first.chat_postMessage, kwargs={"channel": "C0HELP001",
                                                                     "text": "first"})  # fmt: skip
        refused.start()
        slack.wait_for(lambda: slack.called("chat.postMessage"), timeout_s=5)
        time.sleep(0.2)  # the first process has recorded Slack's answer by now
        second.chat_postMessage(channel="C0HELP001", text="second")
        refused.join()
        calls = slack.called("chat.postMessage")
    assert len(calls) == 3  # the refused call, its retry, and the second process's one call
    waited_s = next(c.at for c in calls if c.params["text"] == "second") - calls[0].at
    assert waited_s >= 0.95
