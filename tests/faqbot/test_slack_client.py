"""The Web API client every process uses waits as long as Slack's Retry-After asks."""

from __future__ import annotations

import time

from faqbot.settings import Settings
from faqbot.slack import web_client
from pipelines.bench.slack_standin import TOKEN, SlackStandIn


def forget_retry_afters(redis_url: str) -> None:
    """Clears the Retry-After holds this module's earlier tests left."""
    from faqbot.shared_state import redis_client

    redis = redis_client(redis_url)
    for key in redis.scan_iter("faqbot:slack:retry-after:*"):
        redis.delete(key)


def test_a_429_is_retried_after_slacks_retry_after():
    with SlackStandIn() as slack:
        settings = Settings(_env_file=None, slack_bot_token=TOKEN, slack_api_url=slack.api_url)
        slack.fail("chat.postMessage", times=1, status=429, retry_after=1)
        started = time.monotonic()
        posted = web_client(settings).chat_postMessage(channel="C0HELP001", text="hello")
        waited_s = time.monotonic() - started
    assert posted["ok"] and len(slack.called("chat.postMessage")) == 2
    assert waited_s >= 1.0  # Slack asked for a second; retrying sooner would be refused again


def test_a_429_seen_by_one_process_holds_the_others_back(settings, redis_url):
    """Two clients with one Redis, as two processes would be: the second waits out the
    Retry-After the first was given, instead of being refused too."""
    import threading

    from faqbot.slack import _client

    forget_retry_afters(redis_url)
    with SlackStandIn() as slack:
        first, second = (_client.__wrapped__(TOKEN, slack.api_url, redis_url) for _ in range(2))
        slack.fail("chat.postMessage", times=1, status=429, retry_after=1)
        refused = threading.Thread(
            target=first.chat_postMessage, kwargs={"channel": "C0HELP001", "text": "first"}
        )
        refused.start()
        slack.wait_for(lambda: slack.called("chat.postMessage"), timeout_s=5)
        time.sleep(0.2)  # the first process has recorded Slack's answer by now
        second.chat_postMessage(channel="C0HELP001", text="second")
        refused.join()
        calls = slack.called("chat.postMessage")
    assert len(calls) == 3  # the refused call, its retry, and the second process's one call
    waited_s = next(c.at for c in calls if c.params["text"] == "second") - calls[0].at
    assert waited_s >= 0.95


def held_back_s(redis_url: str, method: str, refused_in: str, then_in: str) -> tuple[float, float]:
    """Process one's `method` call in channel `refused_in` gets a 429 with Retry-After 3 s;
    then process two makes the same call in `then_in` and in `refused_in`. Returns how long
    each of process two's calls took (both start while the first is held back)."""
    import threading

    from faqbot.slack import _client

    forget_retry_afters(redis_url)
    with SlackStandIn() as slack:
        first, second = (_client.__wrapped__(TOKEN, slack.api_url, redis_url) for _ in range(2))
        ts = slack.api("chat.postMessage", {"channel": refused_in, "text": "placeholder"})["ts"]
        other = slack.api("chat.postMessage", {"channel": then_in, "text": "placeholder"})["ts"]
        call = {
            "chat.postMessage": lambda client, channel, _ts: client.chat_postMessage(
                channel=channel, text="hello"
            ),
            "chat.update": lambda client, channel, ts: client.chat_update(
                channel=channel, ts=ts, text="edited"
            ),
        }[method]
        slack.fail(method, times=1, status=429, retry_after=3)
        refused = threading.Thread(target=call, args=(first, refused_in, ts))
        refused.start()
        slack.wait_for(lambda: slack.called(method), timeout_s=5)
        time.sleep(0.2)  # the first process has recorded Slack's answer by now
        took = []
        for channel, message_ts in ((then_in, other), (refused_in, ts)):
            started = time.monotonic()
            call(second, channel, message_ts)
            took.append(time.monotonic() - started)
        refused.join()
    return took[0], took[1]


def test_a_429_on_chat_post_message_holds_back_only_its_channel(redis_url):
    """Slack limits chat.postMessage to about one message a second per channel: one busy
    thread must not make every process wait before posting anywhere."""
    elsewhere_s, same_channel_s = held_back_s(
        redis_url, "chat.postMessage", "C0BUSY001", "C0QUIET01"
    )
    assert elsewhere_s < same_channel_s / 5
    assert same_channel_s >= 2.5  # the rest of the 3 s Retry-After


def test_a_429_on_a_per_workspace_method_holds_it_back_in_every_channel(redis_url):
    """chat.update is limited per method and workspace (Tier 3): its Retry-After holds every
    channel's edits."""
    elsewhere_s, _ = held_back_s(redis_url, "chat.update", "C0BUSY001", "C0QUIET01")
    assert elsewhere_s >= 2.5
