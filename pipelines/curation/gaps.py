"""Knowledge gaps: the questions the bot could not help with (refused, voted 👎, handed to
experts, still waiting for one), grouped by paraphrase so that twenty people asking one thing
read as one gap, largest first, each with the closest passage the knowledge base has (or
"nothing close"). `faqbot gaps` prints them; the weekly report posts them with actions."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from faqbot.db.models import Escalation, Interaction, Vote, as_utc
from faqbot.db.stats import WeekCounts
from faqbot.settings import Settings
from faqbot.visibility import asker_labels
from pipelines.curation.grouping import PARAPHRASE_SIMILARITY, linked_groups, normalise

REFUSED, DISLIKED, ESCALATED, UNRESOLVED = "refused", "disliked", "escalated", "unresolved"
# Dense cosine (all-MiniLM-L6-v2) between a question and a passage below which the passage is
# "nothing close". Measured on the sample handbook (2026-12-02): questions it answers scored
# 0.59-0.74 against their nearest passage (VPN error 809, parental leave, reporting phishing),
# parking, which the facilities guide touches, 0.42, and questions it does not cover (dogs at
# work, the canteen menu, the CEO, working from Spain) 0.27-0.39.
CLOSE_COSINE = 0.4
EXAMPLES = 3


@dataclass
class GapQuestion:
    interaction_id: int
    request_id: str
    question: str
    channel: str | None
    private: bool
    created_at: dt.datetime
    reasons: set[str] = field(default_factory=set)


class GapCluster(BaseModel):
    size: int
    examples: list[str]  # newest first; a privately asked question is not quoted
    channels: list[str]
    reasons: dict[str, int]
    newest_request_id: str | None  # what "Ask experts" hands over; None: all asked privately
    newest_at: dt.datetime
    closest: str | None  # "source-id › title" of the nearest passage, None: nothing close
    closest_score: float | None


def gap_questions(
    session: Session, since: dt.datetime, until: dt.datetime, channel: str | None = None
) -> list[GapQuestion]:
    """Every question in the range that ended badly, with why (one may have several reasons)."""
    query = select(Interaction).where(
        Interaction.created_at >= since, Interaction.created_at < until
    )
    if channel:
        query = query.where(Interaction.channel == channel)
    rows = {row.id: row for row in session.scalars(query)}
    if not rows:
        return []
    reasons: dict[int, set[str]] = {i: set() for i in rows}
    for row in rows.values():
        if row.status == "refused":
            reasons[row.id].add(REFUSED)
    for interaction_id in _disliked(session, list(rows)):
        reasons[interaction_id].add(DISLIKED)
    escalated = select(Escalation.interaction_id, Escalation.status)
    for interaction_id, status in session.execute(
        escalated.where(Escalation.interaction_id.in_(list(rows)))
    ):
        reasons[interaction_id].add(ESCALATED)
        if status == "open":
            reasons[interaction_id].add(UNRESOLVED)
    return [
        GapQuestion(
            row.id, row.request_id, row.question, row.channel, row.private, row.created_at, found
        )
        for row_id, found in reasons.items()
        if found and (row := rows[row_id])
    ]


def _disliked(session: Session, ids: list[int]) -> list[int]:
    net = func.sum(case((Vote.value > 0, 1), (Vote.value < 0, -1), else_=0))
    query = select(Vote.interaction_id).where(Vote.interaction_id.in_(ids))
    return list(session.scalars(query.group_by(Vote.interaction_id).having(net < 0)))


def cluster_gaps(
    questions: list[GapQuestion], settings: Settings, store, embedder, limit: int = 20
) -> list[GapCluster]:
    """Paraphrase clusters (linked at cosine ≥ PARAPHRASE_SIMILARITY, as dataset splits are),
    largest first, then the most recent; at most `limit`."""
    if not questions:
        return []
    vectors = embedder.embed([q.question for q in questions])
    groups = linked_groups(
        vectors, PARAPHRASE_SIMILARITY, same=[normalise(q.question) for q in questions]
    )
    members: dict[int, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    ordered = sorted(
        members.values(),
        key=lambda rows: (
            -len(rows),
            -max(as_utc(questions[i].created_at).timestamp() for i in rows),
        ),
    )
    return [_cluster(rows, questions, vectors, store) for rows in ordered[:limit]]


def _cluster(rows: list[int], questions: list[GapQuestion], vectors, store) -> GapCluster:
    rows = sorted(rows, key=lambda i: as_utc(questions[i].created_at), reverse=True)
    members = [questions[i] for i in rows]
    newest = members[0]
    in_channels = [q for q in members if not q.private and q.channel]
    examples = [q.question for q in in_channels][:EXAMPLES]
    closest, score = _closest(store, newest, vectors[rows[0]])
    return GapCluster(
        size=len(members),
        examples=examples or ["(asked privately)"],
        channels=sorted({q.channel for q in members if q.channel and not q.private}),
        reasons=dict(Counter(reason for q in members for reason in sorted(q.reasons))),
        newest_request_id=in_channels[0].request_id if in_channels else None,
        newest_at=as_utc(newest.created_at),
        closest=closest,
        closest_score=score,
    )


def _closest(store, question: GapQuestion, vector) -> tuple[str | None, float | None]:
    """The nearest passage the question's channel may see, by dense cosine."""
    labels = asker_labels(None if question.private else question.channel)
    hits = store.search(text=question.question, vector=vector, labels=labels, k=1, mode="dense")
    if not hits:
        return None, None
    hit = hits[0]
    score = round(float(hit.score), 3)
    if score < CLOSE_COSINE:
        return None, score
    return f"{hit.chunk.source_id} › {hit.chunk.title}", score


def knowledge_gaps(
    settings: Settings,
    store,
    embedder,
    since: dt.datetime,
    until: dt.datetime,
    channel: str | None = None,
    limit: int = 20,
) -> list[GapCluster]:
    from faqbot.db.engine import session_scope

    with session_scope(settings) as session:
        questions = gap_questions(session, since, until, channel)
    return cluster_gaps(questions, settings, store, embedder, limit)


def plot_weeks(weeks: list[WeekCounts], path: Path) -> Path:
    """Stacked bars: answered, refused and handed to experts, per week."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = [f"{w.week:%d %b}" for w in weeks]
    figure, axes = plt.subplots(figsize=(max(5, 0.7 * len(weeks) + 2), 3.5))
    bottom = [0] * len(weeks)
    for name, colour in (("answered", "#2eb67d"), ("refused", "#ecb22e"), ("escalated", "#e01e5a")):
        values = [getattr(w, name) for w in weeks]
        axes.bar(labels, values, bottom=bottom, label=name, color=colour)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_ylabel("questions")
    axes.set_title("Questions per week (weeks start Monday, UTC)")
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
