"""A question from Slack becomes exactly one answer task: dedupe by message (Slack's retries and
the `message` twin of an `app_mention` carry the same channel and ts), enqueue before Slack gets
its 200, then post the placeholder that the worker will edit."""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass

from redis.exceptions import RedisError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import BotServices
from faqbot import keys as redis_keys
from faqbot.contracts import ANSWER, AnswerRequest, Reply
from faqbot.errors import first_line
from faqbot.slack import apology_text, web_client

log = logging.getLogger("faqbot.bot")
PLACEHOLDER = "Searching the knowledge base…"
MAX_QUESTION_CHARS = 2000
RATE_WINDOW_S = 60.0
HINT, SLOW_DOWN = "hint", "slow-down"


@dataclass(frozen=True)
class Notice:
    """Why a message gets no answer. Only the `first` of each kind in a window is worth
    posting: a flood gets one hint and one slow-down notice, then silence."""

    kind: str  # HINT or SLOW_DOWN
    text: str
    first: bool


def sender_of(event: dict) -> str | None:
    """Whom a message counts against: the person who wrote it, else the bot, app or workflow
    that posted it (Slack's IDs tell them apart: U/W, B, A). None: nobody can be counted."""
    profile = event.get("bot_profile") or {}
    found = [event.get(field) for field in ("user", "bot_id", "app_id")] + [profile.get("app_id")]
    return next((sender for sender in found if sender), None)


def screen(services: BotServices, sender: str, question: str) -> Notice | None:
    """Counts the message against its sender's limit and says why it gets no answer, if it
    does not. A hint costs a question too, or empty mentions would make the bot post freely."""
    slow_down = over_rate(services, sender)
    if slow_down:
        return Notice(SLOW_DOWN, slow_down, _first_notice(services, sender, SLOW_DOWN))
    hint = problem(question)
    if hint:
        return Notice(HINT, hint, _first_notice(services, sender, HINT))
    return None


def _first_notice(services: BotServices, sender: str, kind: str) -> bool:
    try:
        return services.keys.claim(redis_keys.rate_notice(sender, kind), "1", RATE_WINDOW_S)
    except RedisError as exc:  # as with the count: without Redis nothing is held back
        log.warning("%s notice for %s not counted: %s", kind, sender, first_line(exc))
        return True


def over_rate(services: BotServices, sender: str) -> str | None:
    """A friendly refusal when `sender` asked too often in the last minute, counted in Redis
    so that every bot process shares one count; None when the question may go ahead."""
    limit = services.settings.questions_per_minute
    if not limit:
        return None
    try:
        wait_s = services.keys.admit(redis_keys.question_rate(sender), limit, RATE_WINDOW_S)
    except RedisError as exc:  # no count without Redis; the queue's own failure is reported
        log.warning("question rate of %s not checked: %s", sender, first_line(exc))
        return None
    if not wait_s:
        return None
    return (
        f":hourglass: You've asked {limit} questions in the last minute. Please ask again "
        f"in {math.ceil(wait_s)} s."
    )


def question_text(text: str, bot_user_id: str | None) -> str:
    """The question without the bot's @mention."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    return " ".join(text.split())


def problem(question: str) -> str | None:
    if not question:
        return "Ask me a question after the mention, e.g. _@faqbot how do I reset my password?_"
    if len(question) > MAX_QUESTION_CHARS:
        return (
            f"That question is {len(question)} characters long; please keep it under "
            f"{MAX_QUESTION_CHARS}."
        )
    return None


def message_request(event: dict, *, bot_user_id: str | None, direct: bool) -> AnswerRequest:
    """The question a message asks, replied to in place (a DM) or in the message's thread."""
    channel = event["channel"]
    thread_ts = event.get("thread_ts") or (None if direct else event["ts"])
    request = AnswerRequest(
        question=question_text(event.get("text") or "", bot_user_id),
        asker=event.get("user"),
        channel=channel,
        thread_ts=thread_ts,
        private=direct,
    )
    request.reply = Reply(
        kind="slack",
        key=redis_keys.placeholder(request.request_id),
        channel=channel,
        thread_ts=thread_ts,
        question_ts=event.get("ts"),
        user_id=event.get("user"),
        team_id=event.get("user_team") or event.get("team"),
    )
    return request


def unqueued_event(services: BotServices, body: bytes, exc: Exception) -> None:
    """Slack's last retry of an event the inbox could not take. Slack gives up after it, so a
    question in it is recorded as failed and its asker told, rather than lost in silence."""
    payload = json.loads(body)
    event = payload.get("event") or {}
    direct = event.get("channel_type") == "im"
    if not (
        event.get("type") == "app_mention"
        or (
            direct
            and event.get("type") == "message"
            and not event.get("subtype")
            and not event.get("bot_id")
        )
    ):
        return
    bot_user_id = (payload.get("authorizations") or [{}])[0].get("user_id")
    request = message_request(event, bot_user_id=bot_user_id, direct=direct)
    _say(
        web_client(services.settings),
        request.channel,
        request.thread_ts,
        not_queued(services, request, exc),
    )


def take_message(
    services: BotServices, client: WebClient, event: dict, *, bot_user_id: str | None, direct: bool
) -> AnswerRequest | None:
    """Takes a message as a question unless it was taken before. `direct`: a DM, answered
    in place; in a channel the answer goes in the message's thread."""
    channel, ts = event["channel"], event["ts"]
    sender = sender_of(event)
    if sender is None:
        log.warning("message %s/%s refused: no user, bot or app to count it against", channel, ts)
        return None
    if not services.keys.claim(
        redis_keys.seen(channel, ts), "1", services.settings.slack_dedupe_ttl_s
    ):
        log.info("dropped a repeat of message %s/%s (retry or mention twin)", channel, ts)
        return None
    request = message_request(event, bot_user_id=bot_user_id, direct=direct)
    thread_ts = request.thread_ts
    notice = screen(services, sender, request.question)
    if notice:
        if notice.first:  # a hint in the thread; a slow-down only for the asker's eyes
            reply = _tell if notice.kind == SLOW_DOWN else _say_in
            services.later(reply, client, event, thread_ts, notice.text)
        return None
    try:
        services.dispatcher.submit(ANSWER, request)
    except Exception:
        services.keys.drop(
            redis_keys.seen(channel, ts)
        )  # not taken after all: Slack's retry may be
        raise
    record_taken(services, request)
    if thread_ts and not direct and services.settings.thread_follow_up_hours:
        ttl = services.settings.thread_follow_up_hours * 3600
        services.keys.put(redis_keys.thread(channel, thread_ts), "1", ttl)
    services.later(post_placeholder, services, client, request)
    return request


def record_taken(services: BotServices, request: AnswerRequest, error: str | None = None) -> None:
    """The question goes on record as soon as it is taken, so one that no worker ever finishes
    is found by the sweep (and its asker told) instead of vanishing with its queue message.
    Queued questions still get answered if the database is down, so a failure here is logged."""
    from faqbot.db import interactions
    from faqbot.db.engine import session_scope

    try:
        with session_scope(services.settings) as session:
            interactions.record_sent(session, request, error)
    except Exception:
        log.exception("question %s not recorded", request.request_id[:8])


def not_queued(services: BotServices, request: AnswerRequest, exc: Exception) -> str:
    """The apology for a question the queue would not take; it stays on record as failed, so
    `faqbot failures retry` can send it once the queue is back."""
    reason = f"the question queue is unavailable: {first_line(exc)}"
    log.error("question %s not queued: %s", request.request_id[:8], reason)
    record_taken(services, request, reason)
    return apology_text("the question queue is unavailable", request.request_id[:8])


def is_followed_thread(services: BotServices, event: dict) -> bool:
    thread_ts = event.get("thread_ts")
    return (
        bool(thread_ts)
        and services.keys.get(redis_keys.thread(event["channel"], thread_ts)) is not None
    )


def post_placeholder(
    services: BotServices, client: WebClient, request: AnswerRequest, text: str = PLACEHOLDER
) -> None:
    """Posts the message the worker will edit. If the worker already posted its own (this
    thread was slow), the bot's is deleted so the asker sees one reply."""
    reply = request.reply
    try:
        posted = client.chat_postMessage(
            channel=reply.channel, thread_ts=reply.thread_ts, text=text
        )
    except SlackApiError as exc:
        log.warning(
            "placeholder for %s not posted: %s", request.request_id[:8], exc.response.get("error")
        )
        return
    where = f"{posted['channel']} {posted['ts']}"
    if not services.keys.claim(reply.key, where, redis_keys.PLACEHOLDER_TTL_S):
        client.chat_delete(channel=posted["channel"], ts=posted["ts"])


def _tell(client: WebClient, event: dict, thread_ts: str | None, text: str) -> None:
    """Only the asker sees it: a DM is theirs already; in a channel it is ephemeral."""
    if event.get("channel_type") == "im" or not event.get("user"):
        _say(client, event["channel"], thread_ts, text)
        return
    try:
        client.chat_postEphemeral(
            channel=event["channel"], user=event["user"], thread_ts=thread_ts, text=text
        )
    except SlackApiError as exc:
        log.warning("could not tell %s: %s", event["user"], exc.response.get("error"))


def _say_in(client: WebClient, event: dict, thread_ts: str | None, text: str) -> None:
    _say(client, event["channel"], thread_ts, text)


def _say(client: WebClient, channel: str, thread_ts: str | None, text: str) -> None:
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
    except SlackApiError as exc:
        log.warning("could not reply in %s: %s", channel, exc.response.get("error"))
