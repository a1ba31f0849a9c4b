"""An expert's reply in a thread handed to experts becomes a verified answer when an expert or
admin puts FAQBOT_VERIFY_REACTION (✅) on it: the question, the reply, who verified it and
when, served from then on to questions that ask the same in that channel."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.escalation import is_expert
from faqbot.db import audit, experts, verified
from faqbot.db.engine import session_scope
from faqbot.db.models import Escalation, Interaction, VerifiedAnswer
from faqbot.settings import Settings
from faqbot.slack import escape

log = logging.getLogger("faqbot.bot")


def on_reaction(
    settings: Settings, client: WebClient, event: dict, is_admin: Callable[[str], bool]
) -> int | None:
    """The verified answer's id when this reaction verified one; None when it is not a
    verification (another emoji, a message outside a handed-over thread, nobody entitled)."""
    item, reactor = event.get("item") or {}, event.get("user")
    if event.get("reaction") != settings.verify_reaction or item.get("type") != "message":
        return None
    channel, ts = item.get("channel"), item.get("ts")
    if not (channel and ts and reactor):
        return None
    found = _escalated_reply(settings, client, channel, ts)
    if found is None:
        return None
    escalation, reply = found
    entitled = [reply.get("user"), reactor]
    if not all(user and is_expert(escalation.experts, user, client, is_admin) for user in entitled):
        return None
    return _verify(settings, client, escalation, reply, reactor)


def _escalated_reply(
    settings: Settings, client: WebClient, channel: str, ts: str
) -> tuple[Escalation, dict] | None:
    """The hand-over whose thread holds the message `ts`, and that message (a person's). One
    Slack call, and only in channels that have had a hand-over: a reaction event does not say
    which thread its message is in, and conversations.replies given a reply's ts returns its
    thread."""
    with session_scope(settings) as session:
        if not session.scalar(select(Escalation.id).where(Escalation.channel == channel)):
            return None
    try:
        thread = client.conversations_replies(channel=channel, ts=ts, limit=200)
    except SlackApiError as exc:
        log.warning("could not read the thread of %s: %s", ts, exc.response.get("error"))
        return None
    messages = thread.get("messages") or []
    reply = next((m for m in messages if m.get("ts") == ts), None)
    if not reply or reply.get("bot_id") or not reply.get("text") or not reply.get("thread_ts"):
        return None
    with session_scope(settings) as session:
        escalation = session.scalar(
            select(Escalation).where(
                Escalation.channel == channel, Escalation.thread_ts == reply["thread_ts"]
            )
        )
    return (escalation, reply) if escalation else None


def _verify(
    settings: Settings, client: WebClient, escalation: Escalation, reply: dict, verifier: str
) -> int:
    with session_scope(settings) as session:
        interaction = session.get(Interaction, escalation.interaction_id)
        row, new = verified.verify(
            session,
            question=interaction.question,
            answer=reply["text"],
            author=reply["user"],
            verifier=verifier,
            visibility=[escalation.channel],
            review_days=settings.verified_review_days,
            channel=escalation.channel,
            message_ts=reply["ts"],
            interaction_id=interaction.id,
        )
        if not new:
            return row.id
        experts.resolve(session, session.merge(escalation), verifier)
        audit.record(
            session,
            "answer.verify",
            actor=verifier,
            target=str(row.id),
            channel=escalation.channel,
            author=reply["user"],
        )
        answer_id, due = row.id, row.review_due.date().isoformat()
    text = (
        f":white_check_mark: Saved as verified answer #{answer_id}, verified by <@{verifier}>. "
        f"Questions like _{escape(interaction.question[:200])}_ in <#{escalation.channel}> "
        f"will get it from now on; it is due for review on {due}."
    )
    try:
        client.chat_postMessage(
            channel=escalation.channel, thread_ts=escalation.thread_ts, text=text
        )
    except SlackApiError as exc:
        log.warning(
            "could not confirm verified answer %d: %s", answer_id, exc.response.get("error")
        )
    return answer_id


NOT_SERVED = "That verified answer is no longer served."
NOT_REVIEWER = "Only the person who verified it, or an admin, can review it."


def review(
    settings: Settings,
    answer_id: str,
    user: str,
    keep: bool,
    is_admin: Callable[[str], bool],
    text: str | None = None,
) -> str:
    """The verifier's (or an admin's) decision on a verified answer due for review: keep it
    (with `text`, as they edited it) or retire it."""
    with session_scope(settings) as session:
        row = _reviewable(session, answer_id)
        if row is None:
            return NOT_SERVED
        if user != row.verifier and not is_admin(user):
            return NOT_REVIEWER
        if keep:
            verified.confirm(row, settings.verified_review_days)
        else:
            verified.retire(row)
        if keep and text and text.strip() != row.answer:
            row.answer = text.strip()
            action = "answer.edit"
        else:
            action = "answer.confirm" if keep else "answer.retire"
        audit.record(session, action, actor=user, target=str(row.id))
        due = row.review_due.date().isoformat()
    if action == "answer.edit":
        return f":pencil2: Verified answer #{answer_id} is served as you edited it; next review on {due}."
    if keep:
        return f":white_check_mark: Verified answer #{answer_id} stays; next review on {due}."
    return f":wastebasket: Verified answer #{answer_id} is retired and no longer served."


def editable_text(settings: Settings, answer_id: str, user: str, is_admin) -> str | None:
    """The answer's text for the edit form, or None when `user` may not edit it."""
    with session_scope(settings) as session:
        row = _reviewable(session, answer_id)
        if row is None or (user != row.verifier and not is_admin(user)):
            return None
        return row.answer


def _reviewable(session, answer_id: str) -> VerifiedAnswer | None:
    row = session.get(VerifiedAnswer, int(answer_id)) if answer_id.isdigit() else None
    return row if row is not None and row.status == "active" else None
