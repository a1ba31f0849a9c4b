"""A question from Slack becomes exactly one answer task: dedupe by message (Slack's retries and
the `message` twin of an `app_mention` carry the same channel and ts), enqueue before Slack gets
its 200, then post the placeholder that the worker will edit."""

from __future__ import annotations

import logging
import math
import re

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import BotServices
from faqbot.tasks import ANSWER, AnswerRequest, Reply, placeholder_key

log = logging.getLogger("faqbot.bot")
PLACEHOLDER = "Searching the knowledge base…"
PLACEHOLDER_TTL_S = 24 * 3600
MAX_QUESTION_CHARS = 2000
RATE_WINDOW_S = 60.0


def seen_key(channel: str, ts: str) -> str:
    return f"faqbot:slack:seen:{channel}:{ts}"


def thread_key(channel: str, thread_ts: str) -> str:
    return f"faqbot:slack:thread:{channel}:{thread_ts}"


def rate_key(user: str) -> str:
    return f"faqbot:rate:questions:{user}"


def over_rate(services: BotServices, user: str | None) -> str | None:
    """A friendly refusal when `user` asked too often in the last minute, counted in Redis so
    that every bot process shares one count; None when the question may go ahead."""
    limit = services.settings.questions_per_minute
    if not (limit and user):
        return None
    wait_s = services.keys.admit(rate_key(user), limit, RATE_WINDOW_S)
    if not wait_s:
        return None
    return (f":hourglass: You've asked {limit} questions in the last minute. Please ask again "
            f"in {math.ceil(wait_s)} s.")  # fmt: skip


def question_text(text: str, bot_user_id: str | None) -> str:
    """The question without the bot's @mention."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    return " ".join(text.split())


def problem(question: str) -> str | None:
    if not question:
        return "Ask me a question after the mention, e.g. _@faqbot how do I reset my password?_"
    if len(question) > MAX_QUESTION_CHARS:
        return (f"That question is {len(question)} characters long; please keep it under "
                f"{MAX_QUESTION_CHARS}.")  # fmt: skip
    return None


def take_message(services: BotServices, client: WebClient, event: dict, *, bot_user_id: str | None,
                 direct: bool) -> AnswerRequest | None:  # fmt: skip
    """Takes a message as a question unless it was taken before. `direct`: a DM, answered
    in place; in a channel the answer goes in the message's thread."""
    channel, ts = event["channel"], event["ts"]
    if not services.keys.claim(seen_key(channel, ts), "1", services.settings.slack_dedupe_ttl_s):
        log.info("dropped a repeat of message %s/%s (retry or mention twin)", channel, ts)
        return None
    thread_ts = event.get("thread_ts") or (None if direct else ts)
    question = question_text(event.get("text") or "", bot_user_id)
    hint = problem(question)
    if hint:
        services.later(_say, client, channel, thread_ts, hint)
        return None
    slow_down = over_rate(services, event.get("user"))
    if slow_down:
        services.later(_tell, client, event, thread_ts, slow_down)
        return None
    request = AnswerRequest(question=question, asker=event.get("user"), channel=channel,
                            thread_ts=thread_ts, private=direct)  # fmt: skip
    request.reply = Reply(kind="slack", key=placeholder_key(request.request_id), channel=channel,
                          thread_ts=thread_ts)  # fmt: skip
    try:
        services.dispatcher.submit(ANSWER, request)
    except Exception:
        services.keys.drop(seen_key(channel, ts))  # not taken after all: Slack's retry may be
        raise
    if thread_ts and not direct and services.settings.thread_follow_up_hours:
        ttl = services.settings.thread_follow_up_hours * 3600
        services.keys.put(thread_key(channel, thread_ts), "1", ttl)
    services.later(post_placeholder, services, client, request)
    return request


def is_followed_thread(services: BotServices, event: dict) -> bool:
    thread_ts = event.get("thread_ts")
    return (
        bool(thread_ts) and services.keys.get(thread_key(event["channel"], thread_ts)) is not None
    )


def post_placeholder(services: BotServices, client: WebClient, request: AnswerRequest,
                     text: str = PLACEHOLDER) -> None:  # fmt: skip
    """Posts the message the worker will edit. If the worker already posted its own (this
    thread was slow), the bot's is deleted so the asker sees one reply."""
    reply = request.reply
    try:
        posted = client.chat_postMessage(channel=reply.channel, thread_ts=reply.thread_ts,
                                         text=text)  # fmt: skip
    except SlackApiError as exc:
        log.warning("placeholder for %s not posted: %s", request.request_id[:8],
                    exc.response.get("error"))  # fmt: skip
        return
    where = f"{posted['channel']} {posted['ts']}"
    if not services.keys.claim(reply.key, where, PLACEHOLDER_TTL_S):
        client.chat_delete(channel=posted["channel"], ts=posted["ts"])


def _tell(client: WebClient, event: dict, thread_ts: str | None, text: str) -> None:
    """Only the asker sees it: a DM is theirs already; in a channel it is ephemeral."""
    if event.get("channel_type") == "im" or not event.get("user"):
        _say(client, event["channel"], thread_ts, text)
        return
    try:
        client.chat_postEphemeral(channel=event["channel"], user=event["user"],
                                  thread_ts=thread_ts, text=text)  # fmt: skip
    except SlackApiError as exc:
        log.warning("could not tell %s: %s", event["user"], exc.response.get("error"))


def _say(client: WebClient, channel: str, thread_ts: str | None, text: str) -> None:
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
    except SlackApiError as exc:
        log.warning("could not reply in %s: %s", channel, exc.response.get("error"))
