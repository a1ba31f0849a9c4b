"""Verified answers: what experts answered, who verified it, and where it may be served."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from faqbot.db.models import VerifiedAnswer, as_utc
from faqbot.db.models import utc_now as now
from faqbot.visibility import visible_in


def verify(
    session: Session,
    *,
    question: str,
    answer: str,
    author: str,
    verifier: str,
    visibility: list[str],
    review_days: int,
    channel: str | None = None,
    message_ts: str | None = None,
    interaction_id: int | None = None,
) -> tuple[VerifiedAnswer, bool]:
    """Stores the verified answer; (the row, False) when that reply was verified already."""
    if channel and message_ts:
        known = session.scalar(
            select(VerifiedAnswer).where(
                VerifiedAnswer.channel == channel, VerifiedAnswer.message_ts == message_ts
            )
        )
        if known:
            return known, False
    row = VerifiedAnswer(
        question=question,
        answer=answer,
        author=author,
        verifier=verifier,
        verified_at=now(),
        review_due=now() + dt.timedelta(days=review_days),
        visibility=visibility,
        channel=channel,
        message_ts=message_ts,
        interaction_id=interaction_id,
    )
    session.add(row)
    session.flush()
    return row, True


def servable(session: Session, labels: list[str]) -> list[VerifiedAnswer]:
    """The active verified answers whoever may see `labels` may be shown, oldest first."""
    rows = session.scalars(
        select(VerifiedAnswer).where(VerifiedAnswer.status == "active").order_by(VerifiedAnswer.id)
    )
    return [row for row in rows if visible_in(row.visibility, labels)]


def is_due_for_review(row: VerifiedAnswer) -> bool:
    return as_utc(row.review_due) <= now()


def due_for_review(session: Session) -> list[VerifiedAnswer]:
    """Active answers past their review date whose verifier has not been asked yet."""
    return list(
        session.scalars(
            select(VerifiedAnswer)
            .where(
                VerifiedAnswer.status == "active",
                VerifiedAnswer.review_due <= now(),
                VerifiedAnswer.review_asked_at.is_(None),
            )
            .with_for_update(skip_locked=True)
        )
    )


def confirm(row: VerifiedAnswer, review_days: int) -> None:
    """Still right: due again in `review_days`, no longer shown as possibly out of date."""
    row.review_due, row.review_asked_at = now() + dt.timedelta(days=review_days), None


def retire(row: VerifiedAnswer) -> None:
    row.status = "retired"
