"""Votes and corrections on answers, as the bot records them: one vote per user per answer, the
latest wins, and removing the reaction that cast a vote retracts it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from faqbot.db.models import Correction, Interaction, Vote

BUTTON = "button"


def by_reply(session: Session, channel: str, ts: str) -> Interaction | None:
    """The answer carried by a Slack message, if the message is one of the bot's answers."""
    query = select(Interaction).where(Interaction.reply_channel == channel,
                                      Interaction.reply_ts == ts)  # fmt: skip
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


def correct(session: Session, interaction: Interaction, user_id: str, text: str) -> Correction:
    correction = Correction(interaction_id=interaction.id, user_id=user_id, text=text)
    session.add(correction)
    return correction


def tally(session: Session, interaction: Interaction) -> dict[str, int]:
    votes = session.scalars(select(Vote).where(Vote.interaction_id == interaction.id)).all()
    return {"up": sum(v.value > 0 for v in votes), "down": sum(v.value < 0 for v in votes)}
