"""Votes and corrections, written straight to the app database by the bot: small rows, and
feedback must not wait behind answers in the queue."""

from __future__ import annotations

import logging

from faqbot.db import feedback
from faqbot.db.engine import session_scope
from faqbot.settings import Settings

log = logging.getLogger("faqbot.bot")


def vote_value(settings: Settings, reaction: str) -> int:
    if reaction in settings.vote_up_reactions:
        return 1
    if reaction in settings.vote_down_reactions:
        return -1
    return 0


def on_reaction(settings: Settings, event: dict, added: bool) -> str | None:
    """A reaction on one of the bot's answers is a vote; anything else is ignored. Returns
    what happened ("cast", "retracted") or None."""
    item, name, user = event.get("item") or {}, event.get("reaction", ""), event.get("user")
    value = vote_value(settings, name)
    if not value or item.get("type") != "message" or not user:
        return None
    with session_scope(settings) as session:
        answer = feedback.by_reply(session, item.get("channel", ""), item.get("ts", ""))
        if answer is None:
            return None
        via = f"reaction:{name}"
        if added:
            feedback.cast(session, answer, user, value, via)
            return "cast"
        return "retracted" if feedback.retract(session, answer, user, via) else None


def on_button(settings: Settings, request_id: str, user: str, value: int) -> bool:
    with session_scope(settings) as session:
        answer = feedback.by_request(session, request_id)
        if answer is None:
            log.warning("vote on unknown answer %s", request_id[:8])
            return False
        feedback.cast(session, answer, user, value, feedback.BUTTON)
        return True


def on_correction(settings: Settings, request_id: str, user: str, text: str) -> bool:
    text = text.strip()
    if not text:
        return False
    with session_scope(settings) as session:
        answer = feedback.by_request(session, request_id)
        if answer is None:
            return False
        feedback.correct(session, answer, user, text)
        return True
