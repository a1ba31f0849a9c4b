"""Votes and corrections, written straight to the app database by the bot: small rows, and
feedback must not wait behind answers in the queue."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from faqbot.db import feedback, review_queue
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


class CorrectionRefused(ValueError):
    """Why a correction was not stored, in one line for the form."""


def on_correction(
    settings: Settings,
    request_id: str,
    user: str,
    text: str,
    *,
    by_admin: bool = False,
    is_channel_expert: Callable[[str], bool] = lambda channel: False,
) -> str | None:
    """Stores a correction: `verified` (an expert's or admin's, on an answer in a channel:
    approved, and a verified answer for that channel), `approved` (an admin's elsewhere),
    `pending` (anyone else's waits for an admin), or None when there is nothing to store.
    Over the daily limit or too long, it raises CorrectionRefused and stores nothing."""
    text = text.strip()
    if not text:
        return None
    if len(text) > settings.correction_max_chars:
        limit = settings.correction_max_chars
        raise CorrectionRefused(
            f"A correction is at most {limit} characters; this has {len(text)}."
        )
    with session_scope(settings) as session:
        answer = feedback.by_request(session, request_id)
        if answer is None:
            return None
        in_channel = bool(answer.channel) and not answer.private
        expert = in_channel and (by_admin or is_channel_expert(answer.channel))
        if not (by_admin or expert):
            _within_daily_limit(session, settings, user)
        status = feedback.correct(session, answer, user, text, by_admin=by_admin or expert).status
        if not expert:
            return status
        review_queue.serve(session, answer, text, user, user, settings.verified_review_days)
        return "verified"


def _within_daily_limit(session, settings: Settings, user: str) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    sent = feedback.corrections_since(session, user, since)
    if sent >= settings.corrections_per_day:
        raise CorrectionRefused(
            f"You have sent {sent} corrections in the last 24 hours, the most allowed. "
            "Please try again tomorrow, or tell a knowledge-base admin directly."
        )
