"""The numbers an admin cares about, for a time range and optionally one channel: how many
questions, how many were answered without a person stepping in, how many refused or handed to
experts, how long experts took, how people rated the answers, how often a verified answer was
served. `faqbot stats` prints them; the weekly report posts them."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from faqbot.db.models import Escalation, Interaction, VerifiedAnswer, Vote, as_utc

VERIFIED_MODE = "verified"


class WeekCounts(BaseModel):
    """One week (starting Monday, UTC) of questions, by how they ended."""

    week: dt.date
    answered: int = 0
    refused: int = 0
    escalated: int = 0


class UsageStats(BaseModel):
    since: dt.datetime
    until: dt.datetime
    channel: str | None = None
    questions: int  # asked in the range, whatever became of them
    answered: int  # an answer was given (generated, quoted or verified)
    answered_without_escalation: int  # ... and nobody pressed "Still need help?"
    refused: int  # "not in the knowledge base"
    failed: int  # the asker got an apology (`faqbot failures list`)
    escalated: int  # handed to experts
    resolved: int  # of those, marked resolved (or answered with a verified reply)
    resolution_hours_p50: float | None  # median time from hand-over to resolution
    votes_up: int
    votes_down: int
    thumbs_up_rate: float | None  # 👍 / (👍 + 👎) over answers given in the range
    verified_served: int  # answers that were a verified answer
    verified_active: int  # verified answers being served now (all channels)
    weeks: list[WeekCounts]


def usage(
    session: Session, since: dt.datetime, until: dt.datetime, channel: str | None = None
) -> UsageStats:
    rows = _interactions(session, since, until, channel)
    ids = [row.id for row in rows]
    escalations = _escalations(session, ids)
    statuses = Counter(row.status for row in rows)
    answered = [row for row in rows if row.status == "answered"]
    up, down = _votes(session, [row.id for row in answered])
    hours = [
        (as_utc(e.resolved_at) - as_utc(e.created_at)).total_seconds() / 3600
        for e in escalations.values()
        if e.resolved_at
    ]
    return UsageStats(
        since=since,
        until=until,
        channel=channel,
        questions=len(rows),
        answered=len(answered),
        answered_without_escalation=sum(row.id not in escalations for row in answered),
        refused=statuses["refused"],
        failed=statuses["failed"],
        escalated=len(escalations),
        resolved=len(hours),
        resolution_hours_p50=round(statistics.median(hours), 2) if hours else None,
        votes_up=up,
        votes_down=down,
        thumbs_up_rate=round(up / (up + down), 3) if up + down else None,
        verified_served=sum(row.mode == VERIFIED_MODE for row in answered),
        verified_active=session.scalar(
            select(func.count())
            .select_from(VerifiedAnswer)
            .where(VerifiedAnswer.status == "active")
        ),
        weeks=_weeks(rows, escalations),
    )


def _interactions(session: Session, since, until, channel) -> list:
    query = select(Interaction.id, Interaction.status, Interaction.mode, Interaction.created_at)
    query = query.where(Interaction.created_at >= since, Interaction.created_at < until)
    if channel:
        query = query.where(Interaction.channel == channel)
    return list(session.execute(query.order_by(Interaction.id)))


def _escalations(session: Session, ids: list[int]) -> dict[int, Escalation]:
    if not ids:
        return {}
    query = select(Escalation).where(Escalation.interaction_id.in_(ids))
    return {row.interaction_id: row for row in session.scalars(query)}


def _votes(session: Session, ids: list[int]) -> tuple[int, int]:
    if not ids:
        return 0, 0
    values = session.scalars(select(Vote.value).where(Vote.interaction_id.in_(ids))).all()
    return sum(v > 0 for v in values), sum(v < 0 for v in values)


def _weeks(rows: list, escalations: dict[int, Escalation]) -> list[WeekCounts]:
    weeks: dict[dt.date, WeekCounts] = {}
    for row in rows:
        day = as_utc(row.created_at).date()
        monday = day - dt.timedelta(days=day.weekday())
        counts = weeks.setdefault(monday, WeekCounts(week=monday))
        if row.id in escalations:
            counts.escalated += 1
        elif row.status == "answered":
            counts.answered += 1
        elif row.status == "refused":
            counts.refused += 1
    return [weeks[week] for week in sorted(weeks)]
