"""What the bot and the workers both need to talk to Slack: one Web API client setup (with the
configured base URL and retries on rate limits and dropped connections) and mrkdwn escaping."""

from __future__ import annotations

from functools import lru_cache

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from faqbot.settings import Settings

DEFAULT_API_URL = "https://slack.com/api/"


def api_url(settings: Settings) -> str:
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


@lru_cache(maxsize=4)
def _client(token: str, base_url: str) -> WebClient:
    client = WebClient(token=token, base_url=base_url, timeout=10)
    # Slack answers 429 with Retry-After: wait that long and try again (at most twice). A
    # dropped connection is retried by the client's default handler.
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def web_client(settings: Settings) -> WebClient:
    """One client per token and URL per process (it keeps no connection state of its own)."""
    if settings.slack_bot_token is None:
        raise ValueError("FAQBOT_SLACK_BOT_TOKEN is not set: the bot cannot reach Slack")
    return _client(settings.slack_bot_token.get_secret_value(), api_url(settings))


def escape(text: str) -> str:
    """Text from documents or the model shown as itself: no links, mentions or markup tags.
    https://api.slack.com/reference/surfaces/formatting#escaping"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def apology_text(reason: str, reference: str) -> str:
    """What replaces a placeholder when no answer can come: never a lone "Searching…"."""
    return (f":warning: Sorry, I couldn't finish this ({escape(reason)}). Reference `{reference}` "
            "— please try again in a few minutes.")  # fmt: skip


# Action ids of the vote buttons the workers draw and the bot listens to.
VOTE_UP, VOTE_DOWN = "vote_up", "vote_down"
