"""What the bot and the workers both need to talk to Slack: one Web API client setup (with the
configured base URL and retries on rate limits and dropped connections) and mrkdwn escaping."""

from __future__ import annotations

import json
import time
from functools import lru_cache
from urllib.parse import parse_qsl

from redis.exceptions import RedisError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from faqbot import keys
from faqbot.settings import Settings

DEFAULT_API_URL = "https://slack.com/api/"


def api_url(settings: Settings) -> str:
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


# Methods whose limit Slack counts per channel: chat.postMessage allows about one message a
# second in each channel (the "special" tier). Every other method used here is limited per
# method and workspace (chat.update and chat.delete: Tier 3, chat.postEphemeral: Tier 4).
# https://docs.slack.dev/apis/web-api/rate-limits
PER_CHANNEL_METHODS = frozenset({"chat.postMessage"})


class SharedRateLimits:
    """Slack's rate limits are per workspace, not per process: a 429 seen by one process goes
    into Redis, so every bot and worker process waits out the Retry-After instead of each
    learning it by being refused. It holds back the method in that channel where Slack counts
    per channel (one busy thread must not silence every other), else the method everywhere."""

    MAX_WAIT_S = 60.0

    def __init__(self, redis_url: str):
        from faqbot.shared_state import redis_client

        self.redis = redis_client(redis_url)

    @staticmethod
    def key(method: str, channel: str | None = None) -> str:
        return keys.retry_after(method, channel if method in PER_CHANNEL_METHODS else None)

    def record(self, method: str, channel: str | None, seconds: float) -> None:
        if seconds > 0:
            self.redis.set(self.key(method, channel), "1", px=int(seconds * 1000))

    def wait(self, method: str, channel: str | None = None) -> None:
        try:
            left_ms = self.redis.pttl(self.key(method, channel))
        except RedisError:  # no shared limit without Redis; Slack's own 429 still applies
            return
        if left_ms > 0:
            time.sleep(min(left_ms / 1000, self.MAX_WAIT_S))


class SharedRateLimitHandler(RateLimitErrorRetryHandler):
    """Waits out Slack's Retry-After and tries again (at most twice), after telling the other
    processes how long to hold off."""

    def __init__(self, limits: SharedRateLimits | None):
        super().__init__(max_retry_count=2)
        self.limits = limits

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        if self.limits and response is not None:
            method = request.url.rsplit("/", 1)[-1]
            self.limits.record(method, _channel_sent(request), _retry_after_s(response.headers))
        super().prepare_for_next_attempt(
            state=state, request=request, response=response, error=error
        )


def _channel_sent(request) -> str | None:
    """The `channel` argument of a Web API call as it went out (a JSON or a form body)."""
    data = request.data or b""
    try:
        if data.lstrip().startswith(b"{"):
            sent = json.loads(data)
        else:
            sent = dict(parse_qsl(data.decode()))
    except ValueError:  # UnicodeDecodeError included
        return None
    channel = sent.get("channel") if isinstance(sent, dict) else None
    return channel if isinstance(channel, str) else None


def _channel_argument(kwargs: dict) -> str | None:
    """The `channel` argument of a Web API call about to be made."""
    for part in ("json", "data", "params"):
        arguments = kwargs.get(part)
        if isinstance(arguments, dict) and isinstance(arguments.get("channel"), str):
            return arguments["channel"]
    return None


def _retry_after_s(headers: dict) -> float:
    for name, values in headers.items():
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list) else values
            return float(value)
    return 1.0


class FaqbotWebClient(WebClient):
    def __init__(self, *args, limits: SharedRateLimits | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits = limits

    def api_call(self, api_method: str, **kwargs):
        if self.limits:
            self.limits.wait(api_method, _channel_argument(kwargs))
        return super().api_call(api_method, **kwargs)


@lru_cache(maxsize=4)
def _client(token: str, base_url: str, redis_url: str | None) -> WebClient:
    limits = SharedRateLimits(redis_url) if redis_url else None
    client = FaqbotWebClient(token=token, base_url=base_url, timeout=10, limits=limits)
    # A dropped connection is retried by the client's default handler.
    client.retry_handlers.append(SharedRateLimitHandler(limits))
    return client


def web_client(settings: Settings) -> WebClient:
    """One client per token and URL per process (it keeps no connection state of its own)."""
    if settings.slack_bot_token is None:
        raise ValueError("FAQBOT_SLACK_BOT_TOKEN is not set: the bot cannot reach Slack")
    return _client(
        settings.slack_bot_token.get_secret_value(), api_url(settings), settings.redis_url
    )


def escape(text: str) -> str:
    """Text from documents or the model shown as itself: no links, mentions or markup tags.
    https://api.slack.com/reference/surfaces/formatting#escaping"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def apology_text(reason: str | None, reference: str) -> str:
    """What replaces a placeholder when no answer can come: never a lone "Searching…".
    `reason` only when it is meant for this reader: an asker gets none, since internal errors
    name hosts and services (they go to the log and `faqbot failures` under the reference)."""
    why = f" ({escape(reason)})" if reason else ""
    return (
        f":warning: Sorry, I couldn't finish this{why}. Reference `{reference}` — please try "
        "again in a few minutes."
    )


# Action ids of the buttons the workers draw and the bot listens to: votes, "Still need
# help?" on every answer, "Resolved" on the hand-over to experts, and the review of a
# verified answer.
VOTE_UP, VOTE_DOWN = "vote_up", "vote_down"  # the buttons of answers posted before FEEDBACK
# Slack's own feedback buttons (context_actions); each value is "up <request id>" or "down …".
FEEDBACK = "answer_feedback"
ESCALATE, RESOLVE = "escalate", "resolve_escalation"
# On the DM asking a verifier to review a verified answer past its review date.
VERIFIED_CONFIRM, VERIFIED_RETIRE = "verified_confirm", "verified_retire"
VERIFIED_EDIT = "verified_edit"
# On each gap of the weekly report: open the /faq-admin add form; hand the newest question of
# the gap to its channel's experts.
GAP_ADD_SOURCE, GAP_ASK_EXPERTS = "gap_add_source", "gap_ask_experts"
ADD_THREAD = "add_thread"  # the message shortcut "Add to knowledge base" (deploy/slack manifest)


def mention(slack_id: str) -> str:
    """How a message tags a user (U…, W…) or a user group (S…); a maintainer who acted from
    the CLI ("cli:<name>") is named, not tagged."""
    if slack_id.startswith("cli:"):
        return escape(slack_id.removeprefix("cli:"))
    return f"<!subteam^{slack_id}>" if slack_id.startswith("S") else f"<@{slack_id}>"
