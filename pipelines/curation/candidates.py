"""The answers people reacted to, with what they said: the raw material of a dataset."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from faqbot.db.feedback import APPROVED, PENDING
from faqbot.db.models import Correction, Interaction, KnowledgeSource, VerifiedAnswer, Vote
from faqbot.db.reviews import marks
from faqbot.visibility import combined, is_public

# What the build does with each candidate, by rule (counted in the manifest).
VERIFIED, POSITIVE, CORRECTED, NEGATIVE = "verified", "positive", "corrected", "negative"
NEUTRAL, REJECTED, NOT_APPROVED, NO_CONTEXT = "neutral", "rejected", "not_approved", "no_context"
TOO_FEW_VOTERS = "too_few_voters"  # 👍 from fewer distinct people than the setting, unreviewed
RESTRICTED = "restricted"  # built from passages not everyone may see: never trained on


@dataclass
class Candidate:
    interaction_id: int
    question: str
    answer: str
    correction: str | None  # the latest one an admin approved
    up: int
    down: int
    context: dict
    channel: str | None
    created_at: dt.datetime
    review: str | None  # approved, rejected or None
    private: bool = False  # only the asker saw it (a DM, /ask)
    visibility: list[str] | None = None  # where all it was built from is visible; None: unknown
    pending_corrections: int = 0  # corrections waiting for an admin
    verified: str | None = None  # the verified answer served for this question, if any
    cited: list[str] = field(default_factory=list)  # source ids the answer cited

    @property
    def net(self) -> int:
        return self.up - self.down

    def rule(self, *, approved_only: bool = False, min_voters: int = 1) -> str:
        """An approved correction wins over votes: the person said what the answer should have
        been, and an admin agreed; a verified answer (an expert's, or a correction an admin
        stood behind) wins over both. Corrections nobody approved count for nothing. A 👍
        majority needs `min_voters` distinct people unless an admin approved the answer. A
        net-negative answer never becomes a target, only an unpaired negative."""
        if self.review == "rejected":
            return REJECTED
        if approved_only and self.review != "approved" and not self.verified:
            return NOT_APPROVED
        if not self.context.get("sources"):
            # Answered before contexts were recorded, or refused with nothing retrieved: a
            # target without passages would teach the model to answer from nowhere.
            return NO_CONTEXT
        if self.verified:
            return VERIFIED
        if self.correction:
            return CORRECTED
        if self.net > 0:
            if self.up < min_voters and self.review != "approved":
                return TOO_FEW_VOTERS
            return POSITIVE
        return NEGATIVE if self.net < 0 else NEUTRAL

    def target(self, rule: str) -> str:
        """What the answer should have been, by the rule that made it an example."""
        chosen = {VERIFIED: self.verified, CORRECTED: self.correction}.get(rule)
        return chosen or self.answer

    def training_rule(self, approved_only: bool, min_voters: int) -> str:
        """As `rule`, except that an answer built from a restricted passage (or from a thread
        turn that was) never becomes an example: a trained adapter answers everyone, so its
        text would leave the channels that may see it."""
        rule = self.rule(approved_only=approved_only, min_voters=min_voters)
        if rule in (VERIFIED, POSITIVE, CORRECTED, NEGATIVE) and not is_public(self.visibility):
            return RESTRICTED
        return rule


def load_candidates(
    session: Session, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[Candidate]:
    """Every answered question in [since, until) with a standing vote or a correction."""
    tallies = _vote_tallies(session)
    corrections = _latest_corrections(session, APPROVED)
    pending = _pending_counts(session)
    served = _verified_answers(session)
    ids = set(tallies) | set(corrections) | set(pending) | set(served)
    if not ids:
        return []
    query = select(Interaction).where(
        Interaction.id.in_(ids), Interaction.status.in_(("answered", "refused"))
    )
    if since:
        query = query.where(Interaction.created_at >= since)
    if until:
        query = query.where(Interaction.created_at < until)
    reviews = marks(session)
    registered = dict(session.execute(select(KnowledgeSource.id, KnowledgeSource.visibility)).all())
    return [
        Candidate(
            row.id,
            row.question,
            row.answer or "",
            corrections.get(row.id),
            *tallies.get(row.id, (0, 0)),
            row.context or {},
            row.channel,
            row.created_at,
            reviews.get(row.id),
            private=row.private,
            visibility=visibility_now(row, registered),
            pending_corrections=pending.get(row.id, 0),
            verified=served.get(row.id),
            cited=sorted({c.get("source_id") for c in row.citations or [] if c.get("source_id")}),
        )
        for row in session.scalars(query.order_by(Interaction.id))
    ]


def visibility_now(row: Interaction, registered: dict[str, list[str]]) -> list[str] | None:
    """Where the answer may be shown today: what it was built from then, narrowed by the
    visibility each source it used has now, so restricting a source after the fact also
    restricts what was made of it. A source not in the registry keeps what was recorded."""
    if row.visibility is None:
        return None
    used = {hit.get("source_id") for hit in row.retrieved or []}
    return combined([row.visibility, *(registered[s] for s in used if s in registered)])


def _vote_tallies(session: Session) -> dict[int, tuple[int, int]]:
    """interaction id -> (up, down), retracted votes (value 0) not counted."""
    query = select(
        Vote.interaction_id,
        func.sum(case((Vote.value > 0, 1), else_=0)),
        func.sum(case((Vote.value < 0, 1), else_=0)),
    ).group_by(Vote.interaction_id)
    return {iid: (int(up), int(down)) for iid, up, down in session.execute(query) if up or down}


def _latest_corrections(session: Session, status: str) -> dict[int, str]:
    rows = session.execute(
        select(Correction.interaction_id, Correction.text)
        .where(Correction.status == status)
        .order_by(Correction.created_at, Correction.id)
    )
    return {iid: text for iid, text in rows if text.strip()}


def _verified_answers(session: Session) -> dict[int, str]:
    """interaction id -> the newest active verified answer to its question."""
    rows = session.execute(
        select(VerifiedAnswer.interaction_id, VerifiedAnswer.answer)
        .where(VerifiedAnswer.status == "active", VerifiedAnswer.interaction_id.is_not(None))
        .order_by(VerifiedAnswer.id)
    )
    return {iid: text for iid, text in rows if text.strip()}


def _pending_counts(session: Session) -> dict[int, int]:
    query = (
        select(Correction.interaction_id, func.count())
        .where(Correction.status == PENDING)
        .group_by(Correction.interaction_id)
    )
    return {iid: int(n) for iid, n in session.execute(query)}
