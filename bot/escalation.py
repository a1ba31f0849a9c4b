""" "Still need help?": the question goes to the channel's experts, in the answer's thread, once
per question; the asker, an expert or an admin marks it resolved. Channels without experts
name FAQBOT_FALLBACK_CONTACT instead."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot import ui
from faqbot.db import audit, experts, feedback
from faqbot.db.engine import session_scope
from faqbot.settings import Settings

log = logging.getLogger("faqbot.bot")
ALREADY = "This question has already been handed to people who can help."


def escalate(settings: Settings, client: WebClient, request_id: str, user: str) -> str:
    try:
        return _escalate(settings, client, request_id, user)
    except IntegrityError:  # pressed twice at the same moment: the other press handed it over
        return ALREADY
    except SlackApiError as exc:  # the escalation was rolled back: pressing again may work
        error = exc.response.get("error")
        log.warning("could not hand %s to the experts: %s", request_id[:8], error)
        return (
            f"I couldn't post in the thread ({error}); please try again, or ask "
            f"{settings.fallback_contact}."
        )


def _escalate(settings: Settings, client: WebClient, request_id: str, user: str) -> str:
    with session_scope(settings) as session:
        interaction = feedback.by_request(session, request_id)
        if interaction is None or not interaction.reply_ts:
            return "I can't find that answer any more; please ask again."
        if interaction.private or not interaction.channel:
            return (
                "Only you saw this answer, so I won't post it where others can see. Please "
                f"ask {settings.fallback_contact}, or ask in the channel where its experts are."
            )
        channel, thread_ts = interaction.channel, interaction.thread_ts or interaction.reply_ts
        tagged = experts.of_channel(session, channel)
        row = experts.escalate(
            session,
            interaction,
            channel=channel,
            thread_ts=thread_ts,
            asked_by=user,
            experts=tagged,
        )
        if row is None:
            return ALREADY
        message = ui.escalation_message(
            interaction.question, user, tagged, settings.fallback_contact, request_id
        )
        posted = client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)
        row.message_ts = posted.get("ts")
        audit.record(
            session,
            "question.escalate",
            actor=user,
            target=request_id,
            channel=channel,
            experts=tagged,
        )
    who = "the channel's experts" if tagged else settings.fallback_contact
    return f"I've asked {who} in the thread."


def resolve(
    settings: Settings,
    client: WebClient,
    request_id: str,
    user: str,
    is_admin: Callable[[str], bool],
) -> str:
    """The presser's ephemeral note. Only the person who asked for help, the channel's experts
    and admins may close it."""
    with session_scope(settings) as session:
        interaction = feedback.by_request(session, request_id)
        row = interaction and experts.escalation_of(session, interaction)
        if row is None:
            return "I can't find that request for help any more."
        if user != row.asked_by and not is_expert(row.experts, user, client, is_admin):
            return "Only the person who asked for help, the channel's experts or an admin can."
        if not experts.resolve(session, row, user):
            return "It was already marked resolved."
        audit.record(session, "question.resolve", actor=user, target=request_id)
        channel, message_ts = row.channel, row.message_ts
        text = ui.resolved_text(user)
    if message_ts:
        try:
            client.chat_update(channel=channel, ts=message_ts, text=text, blocks=[])
        except SlackApiError as exc:
            log.warning("could not mark the hand-over resolved: %s", exc.response.get("error"))
    return "Marked resolved. Thanks!"


def is_expert(
    experts: list[str], user: str, client: WebClient, is_admin: Callable[[str], bool]
) -> bool:
    """One of `experts` (in person or through a user group), or an admin."""
    if user in experts or is_admin(user):
        return True
    return any(user in _group_members(client, group) for group in experts if group[0] == "S")


def _group_members(client: WebClient, group: str) -> list[str]:
    try:
        return client.usergroups_users_list(usergroup=group)["users"]
    except SlackApiError as exc:
        log.warning("user group %s not readable: %s", group, exc.response.get("error"))
        return []
