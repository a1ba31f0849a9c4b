"""Votes and corrections on answers, as the bot records them: one vote per user per answer, the
latest wins, and removing the reaction that cast a vote retracts it. A correction waits for an
admin's review (`pending`) unless an admin wrote it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from faqbot.db.models import Correction, Interaction, Vote

BUTTON = "button"
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def by_reply(session: Session, channel: str, ts: str) -> Interaction | None:
    """The answer carried by a Slack message, if the message is one of the bot's answers."""
    query = select(Interaction).where(
        Interaction.reply_channel == channel, Interaction.reply_ts == ts
    )
    return session.scalar(query)


def by_request(session: Session, request_id: str) -> Interaction | None:
    return session.scalar(select(Interaction).where(Interaction.request_id == request_id))


def current_vote(session: Session, interaction: Interaction, user_id: str) -> Vote | None:
    query = select(Vote).where(Vote.interaction_id == interaction.id, Vote.user_id == user_id)
    return session.scalar(query.with_for_update())


def cast(session: Session, interaction: Interaction, user_id: str, value: int, via: str) -> Vote:
    vote = current_vote(session, interaction, user_id)
    if vote is None:
        vote = Vote(interaction_id=interaction.id, user_id=user_id, value=value, via=via)
        try:
            with session.begin_nested():
                session.add(vote)
            return vote
        except IntegrityError:  # the same user's other vote (a click and a reaction) won
            vote = current_vote(session, interaction, user_id)
    vote.value, vote.via = value, via
    return vote


def retract(session: Session, interaction: Interaction, user_id: str, via: str) -> bool:
    """Retracts the user's vote if `via` cast it (removing a 👍 does not undo a later 👎)."""
    vote = current_vote(session, interaction, user_id)
    if vote is None or vote.via != via or vote.value == 0:
        return False
    vote.value = 0
    return True


def correct(
    session: Session, interaction: Interaction, user_id: str, text: str, *, by_admin: bool = False
) -> Correction:
    """An admin's own correction needs no second opinion; anyone else's waits for one."""
    correction = Correction(interaction_id=interaction.id, user_id=user_id, text=text)
    if by_admin:
        correction.status, correction.reviewer = APPROVED, user_id
        correction.reviewed_at = dt.datetime.now(dt.UTC)
    session.add(correction)
    session.flush()
    return correction


def corrections_since(session: Session, user_id: str, since: dt.datetime) -> int:
    """How many corrections `user_id` sent after `since`: what the daily limit counts."""
    query = select(func.count()).select_from(Correction)
    query = query.where(Correction.user_id == user_id, Correction.created_at > since)
    return session.scalar(query) or 0


class UnknownCorrection(LookupError):
    """A correction number that names none."""


def pending_corrections(session: Session, limit: int = 20) -> list[tuple[Correction, Interaction]]:
    """Corrections waiting for review, oldest first, with the answers they correct."""
    query = (
        select(Correction, Interaction)
        .join(Interaction, Interaction.id == Correction.interaction_id)
        .where(Correction.status == PENDING)
        .order_by(Correction.id)
        .limit(limit)
    )
    return [(correction, interaction) for correction, interaction in session.execute(query)]


def review_correction(
    session: Session, correction_id: int, decision: str, reviewer: str
) -> Correction:
    """An admin's decision; the latest one replaces an earlier one."""
    if decision not in (APPROVED, REJECTED):
        raise ValueError(f"decision {decision!r}: use {APPROVED} or {REJECTED}")
    correction = session.get(Correction, correction_id, with_for_update=True)
    if correction is None:
        raise UnknownCorrection(f"correction {correction_id}: no such correction")
    correction.status, correction.reviewer = decision, reviewer
    correction.reviewed_at = dt.datetime.now(dt.UTC)
    return correction


def tally(session: Session, interaction: Interaction) -> dict[str, int]:
    votes = session.scalars(select(Vote).where(Vote.interaction_id == interaction.id)).all()
    return {"up": sum(v.value > 0 for v in votes), "down": sum(v.value < 0 for v in votes)}
