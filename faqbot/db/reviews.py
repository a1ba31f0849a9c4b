"""Admins' marks on training candidates (`faqbot dataset review`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from faqbot.db.models import DatasetReview, Interaction

DECISIONS = ("approved", "rejected")


class UnknownInteraction(ValueError):
    pass


def mark(
    session: Session, interaction_id: int, decision: str, reviewer: str, note: str | None = None
) -> DatasetReview:
    """The latest decision on an answer replaces an earlier one."""
    if decision not in DECISIONS:
        raise ValueError(f"decision {decision!r}: use approved or rejected")
    if session.get(Interaction, interaction_id) is None:
        raise UnknownInteraction(f"answer {interaction_id}: no such interaction")
    review = session.get(DatasetReview, interaction_id) or DatasetReview(
        interaction_id=interaction_id
    )
    review.decision, review.reviewer, review.note = decision, reviewer, note
    session.add(review)
    session.flush()
    return review


def marks(session: Session) -> dict[int, str]:
    rows = session.execute(select(DatasetReview.interaction_id, DatasetReview.decision))
    return dict(rows.all())
