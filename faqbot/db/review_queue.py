"""What waits for an admin's decision: corrections from people who are neither experts nor
admins, and 👍 answers nobody has reviewed. One home for what a decision does, whether it
comes from a Slack button (`/faq-admin review`), `/faq-admin corrections` or the CLI:

- approving a correction serves it at once, as a verified answer in the channel the question
  was asked in (a DM or /ask answer has no channel to serve it in: it only trains), verified by
  the admin; rejecting one retires what an earlier approval served;
- approving a 👍 answer makes it a training candidate (`faqbot dataset build`); editing either
  is the admin's own correction: approved, and served like one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from faqbot.db import feedback, reviews, verified
from faqbot.db.models import Correction, DatasetReview, Interaction, VerifiedAnswer, Vote

CORRECTION, ANSWER = "correction", "answer"
APPROVE, EDIT, REJECT = "approve", "edit", "reject"


class UnknownItem(LookupError):
    """A review key that names nothing waiting (or nothing at all)."""


@dataclass
class ReviewItem:
    kind: str  # CORRECTION or ANSWER
    id: int  # the correction's id, or the answer's (interaction's)
    interaction: Interaction
    text: str  # the correction, or the answer as given
    author: str  # who wrote the correction, or who asked
    up: int = 0  # 👍 on the answer (ANSWER items)

    @property
    def key(self) -> str:
        return key(self.kind, self.id)


@dataclass
class Decided:
    label: str  # "correction #3", "answer #12"
    decision: str  # APPROVE, EDIT or REJECT
    verified_id: int | None = None  # the verified answer it serves as, if any
    retired: int = 0  # verified answers an earlier approval served, now retired


def key(kind: str, item_id: int) -> str:
    return f"{kind}:{item_id}"


def parse_key(value: str) -> tuple[str, int]:
    kind, _, number = value.partition(":")
    if kind not in (CORRECTION, ANSWER) or not number.isdigit():
        raise UnknownItem(f"review item {value[:40]!r}: not a correction or answer number")
    return kind, int(number)


def pending(session: Session, limit: int = 10) -> list[ReviewItem]:
    """Corrections waiting (oldest first), then unreviewed answers with more 👍 than 👎 and no
    pending correction, up to `limit` in all."""
    items = [
        ReviewItem(CORRECTION, c.id, i, c.text, c.user_id)
        for c, i in feedback.pending_corrections(session, limit)
    ]
    if len(items) < limit:
        items += _liked_answers(session, limit - len(items))
    return items


def find(session: Session, item_key: str) -> ReviewItem | None:
    """The item a key names, waiting or not; None when there is no such thing."""
    kind, item_id = parse_key(item_key)
    if kind == CORRECTION:
        correction = session.get(Correction, item_id)
        if correction is None:
            return None
        interaction = session.get(Interaction, correction.interaction_id)
        return ReviewItem(kind, item_id, interaction, correction.text, correction.user_id)
    interaction = session.get(Interaction, item_id)
    if interaction is None:
        return None
    return ReviewItem(kind, item_id, interaction, interaction.answer or "", interaction.asker or "")


def _liked_answers(session: Session, limit: int) -> list[ReviewItem]:
    up = func.sum(case((Vote.value > 0, 1), else_=0))
    down = func.sum(case((Vote.value < 0, 1), else_=0))
    liked = select(Vote.interaction_id, up.label("up")).group_by(Vote.interaction_id)
    liked = liked.having(up > down).subquery()
    reviewed = select(DatasetReview.interaction_id)
    waiting = select(Correction.interaction_id).where(Correction.status == feedback.PENDING)
    query = (
        select(Interaction, liked.c.up)
        .join(liked, liked.c.interaction_id == Interaction.id)
        .where(
            Interaction.status == "answered",
            Interaction.id.not_in(reviewed),
            Interaction.id.not_in(waiting),
        )
        .order_by(Interaction.id)
        .limit(limit)
    )
    return [
        ReviewItem(ANSWER, row.id, row, row.answer or "", row.asker or "", int(n))
        for row, n in session.execute(query)
    ]


def decide(
    session: Session,
    item_key: str,
    decision: str,
    reviewer: str,
    *,
    review_days: int,
    text: str | None = None,
) -> Decided:
    """Applies an admin's decision; EDIT needs `text` (the answer as it should be)."""
    kind, item_id = parse_key(item_key)
    if decision not in (APPROVE, EDIT, REJECT):
        raise ValueError(f"decision {decision!r}: use {APPROVE}, {EDIT} or {REJECT}")
    if decision == EDIT and not (text or "").strip():
        raise ValueError("an edit needs the answer's text")
    if kind == CORRECTION:
        return _decide_correction(session, item_id, decision, reviewer, review_days, text)
    return _decide_answer(session, item_id, decision, reviewer, review_days, text)


def _decide_correction(
    session: Session, item_id: int, decision: str, reviewer: str, days: int, text: str | None
) -> Decided:
    try:
        status = feedback.REJECTED if decision == REJECT else feedback.APPROVED
        correction = feedback.review_correction(session, item_id, status, reviewer)
    except feedback.UnknownCorrection as exc:
        raise UnknownItem(str(exc)) from exc
    interaction = session.get(Interaction, correction.interaction_id)
    done = Decided(f"correction #{item_id}", decision)
    if decision == REJECT:
        done.retired = _retire_served(session, interaction, correction.text)
        return done
    served, author = correction.text, correction.user_id
    if decision == EDIT:
        served, author = text.strip(), reviewer
        feedback.correct(session, interaction, reviewer, served, by_admin=True)
    done.verified_id = serve(session, interaction, served, author, reviewer, days)
    return done


def _decide_answer(
    session: Session, item_id: int, decision: str, reviewer: str, days: int, text: str | None
) -> Decided:
    interaction = session.get(Interaction, item_id)
    if interaction is None:
        raise UnknownItem(f"answer {item_id}: no such answer")
    reviews.mark(session, item_id, "rejected" if decision == REJECT else "approved", reviewer)
    done = Decided(f"answer #{item_id}", decision)
    if decision == EDIT:
        feedback.correct(session, interaction, reviewer, text.strip(), by_admin=True)
        done.verified_id = serve(session, interaction, text.strip(), reviewer, reviewer, days)
    return done


def serve(
    session: Session, interaction: Interaction, text: str, author: str, verifier: str, days: int
) -> int | None:
    """A correction someone with authority stands behind, as the verified answer for the
    question's channel; None for a private answer, which has no channel to serve it in."""
    if not interaction.channel or interaction.private:
        return None
    row, _ = verified.verify(
        session,
        question=interaction.question,
        answer=text,
        author=author,
        verifier=verifier,
        visibility=[interaction.channel],
        review_days=days,
        interaction_id=interaction.id,
    )
    return row.id


def _retire_served(session: Session, interaction: Interaction, text: str) -> int:
    rows = session.scalars(
        select(VerifiedAnswer).where(
            VerifiedAnswer.interaction_id == interaction.id,
            VerifiedAnswer.answer == text,
            VerifiedAnswer.status == "active",
        )
    ).all()
    for row in rows:
        verified.retire(row)
    return len(rows)
