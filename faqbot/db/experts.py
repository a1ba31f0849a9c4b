"""Who answers each channel's questions by hand, and the questions handed to them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from faqbot.db.models import ChannelExpert, Escalation, Interaction
from faqbot.db.models import utc_now as now


def add_experts(session: Session, channel: str, experts: list[str], added_by: str) -> list[str]:
    """Adds each expert to the channel; returns those that were not there already."""
    known = set(of_channel(session, channel))
    added = [expert for expert in experts if expert not in known]
    for expert in added:
        session.add(ChannelExpert(channel=channel, expert=expert, added_by=added_by))
    return added


def remove_experts(session: Session, channel: str, experts: list[str] | None = None) -> int:
    """Removes those experts (all of the channel's when None); returns how many went."""
    query = delete(ChannelExpert).where(ChannelExpert.channel == channel)
    if experts is not None:
        query = query.where(ChannelExpert.expert.in_(experts))
    return session.execute(query).rowcount or 0


def of_channel(session: Session, channel: str) -> list[str]:
    rows = session.scalars(
        select(ChannelExpert.expert)
        .where(ChannelExpert.channel == channel)
        .order_by(ChannelExpert.expert)
    )
    return list(rows)


def by_channel(session: Session) -> dict[str, list[str]]:
    listing: dict[str, list[str]] = {}
    for row in session.scalars(
        select(ChannelExpert).order_by(ChannelExpert.channel, ChannelExpert.expert)
    ):
        listing.setdefault(row.channel, []).append(row.expert)
    return listing


def escalation_of(session: Session, interaction: Interaction) -> Escalation | None:
    return session.scalar(select(Escalation).where(Escalation.interaction_id == interaction.id))


def escalate(
    session: Session,
    interaction: Interaction,
    *,
    channel: str,
    thread_ts: str,
    asked_by: str,
    experts: list[str],
) -> Escalation | None:
    """Records the hand-over; None when this question was already handed over (at most once
    per question, whoever presses the button and however often). Two presses at the same
    moment: the unique interaction makes the second one's flush raise IntegrityError.
    (No savepoint: on SQLite, releasing one would commit the hand-over before it is posted.)"""
    if escalation_of(session, interaction):
        return None
    row = Escalation(
        interaction_id=interaction.id,
        channel=channel,
        thread_ts=thread_ts,
        asked_by=asked_by,
        experts=experts,
    )
    session.add(row)
    session.flush()
    return row


def resolve(session: Session, escalation: Escalation, by: str) -> bool:
    """Marks it resolved; False when it already was."""
    if escalation.status == "resolved":
        return False
    escalation.status, escalation.resolved_by, escalation.resolved_at = "resolved", by, now()
    return True


def open_escalations(session: Session, limit: int = 50) -> list[tuple[Escalation, Interaction]]:
    rows = session.execute(
        select(Escalation, Interaction)
        .join(Interaction, Interaction.id == Escalation.interaction_id)
        .where(Escalation.status == "open")
        .order_by(Escalation.created_at)
        .limit(limit)
    )
    return [(escalation, interaction) for escalation, interaction in rows]


def due_reminders(session: Session, older_than: dt.timedelta) -> list[Escalation]:
    """Open escalations nobody resolved in time and not yet reminded: each is reminded once."""
    return list(
        session.scalars(
            select(Escalation)
            .where(
                Escalation.status == "open",
                Escalation.reminded_at.is_(None),
                Escalation.created_at < now() - older_than,
            )
            .with_for_update(skip_locked=True)
        )
    )
