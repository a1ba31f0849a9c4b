"""The suggested prompts of the app's Messages tab: the questions people asked most in the last
30 days, one per paraphrase cluster, largest first. Only questions that were answered from
sources everyone may see, asked in a channel (never a DM or /ask) by at least two people: a
prompt is shown to the whole workspace, so it must not carry one person's question or a
restricted answer's subject. Personal data is scrubbed as in datasets. A worker computes them
each day (`faqbot beat`) and leaves them in Redis, where the bot reads them."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
from sqlalchemy import select

from faqbot import keys
from faqbot.db.engine import session_scope
from faqbot.db.models import Interaction
from faqbot.settings import Settings
from faqbot.visibility import is_public
from pipelines.curation.grouping import PARAPHRASE_SIMILARITY, linked_groups, normalise
from pipelines.curation.scrub import scrub

PROMPTS = 4  # Slack shows up to four suggested prompts
MIN_ASKERS = 2
TITLE_CHARS = 75


def popular_questions(
    settings: Settings,
    embedder,
    *,
    now: dt.datetime | None = None,
    days: int = 30,
    limit: int = PROMPTS,
) -> list[str]:
    now = now or dt.datetime.now(dt.UTC)
    with session_scope(settings) as session:
        rows = session.execute(
            select(Interaction.question, Interaction.asker, Interaction.visibility).where(
                Interaction.status == "answered",
                Interaction.private.is_(False),
                Interaction.channel.is_not(None),
                Interaction.created_at >= now - dt.timedelta(days=days),
            )
        ).all()
    asked = [(q, asker) for q, asker, visibility in rows if is_public(visibility) and asker]
    if not asked:
        return []
    questions = [q for q, _ in asked]
    vectors = embedder.embed(questions)
    groups = linked_groups(vectors, PARAPHRASE_SIMILARITY, same=[normalise(q) for q in questions])
    clusters: dict[int, list[int]] = {}
    for index, group in enumerate(groups):
        clusters.setdefault(group, []).append(index)
    popular = [
        rows_ for rows_ in clusters.values() if len({asked[i][1] for i in rows_}) >= MIN_ASKERS
    ]
    popular.sort(key=lambda rows_: -len(rows_))
    return [_representative(rows_, questions, vectors) for rows_ in popular[:limit]]


def _representative(rows: list[int], questions: list[str], vectors: np.ndarray) -> str:
    """The member closest to the cluster's centre, scrubbed."""
    centre = vectors[rows].mean(axis=0)
    best = max(rows, key=lambda i: float(vectors[i] @ centre))
    return scrub(questions[best])


def as_prompts(questions: list[str]) -> list[dict[str, str]]:
    """As assistant.threads.setSuggestedPrompts takes them: a short title, the full message."""
    return [{"title": _title(q), "message": q} for q in questions]


def _title(question: str) -> str:
    return question if len(question) <= TITLE_CHARS else question[: TITLE_CHARS - 1] + "…"


def refresh_suggested_prompts(settings: Settings, embedder) -> list[str]:
    """Computes today's prompts and leaves them where the bot reads them."""
    from faqbot.shared_state import shared_keys

    questions = popular_questions(settings, embedder)
    shared_keys(settings).put(
        keys.SUGGESTED_PROMPTS, json.dumps(as_prompts(questions)), keys.SUGGESTED_PROMPTS_TTL_S
    )
    return questions
