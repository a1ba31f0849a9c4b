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
