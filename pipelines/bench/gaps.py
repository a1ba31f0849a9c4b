"""`faqbot bench gaps`: a simulated week of questions, through the real answer chain and the
real database, then `faqbot gaps` over it. Does it put what the knowledge base is missing at
the top?

The week: every sample question (the handbook answers each), the off-topic questions (the
probes and the held-out set), and the recurring questions of `sample_kb/gaps_week.jsonl`,
asked by several people in other words: one off-topic (a football final) and two the handbook
does not cover (dogs at work, the canteen menu). Each is asked once, at a time spread over the
last seven days, in one of a few channels, answered by the chain, and stored as the worker
stores it. An asker who did not get what they needed votes 👎: a sample question whose answer
holds under a quarter of its reference answer's content words, or any other question the bot
answered instead of refusing.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

from faqbot.contracts import AnswerRequest
from faqbot.db import feedback, interactions
from faqbot.db import stats as usage_stats
from faqbot.db.engine import session_scope
from faqbot.db.migrate import upgrade
from faqbot.settings import Settings
from faqbot.visibility import PUBLIC, asker_labels
from pipelines.bench.answer import reference_share
from pipelines.curation.gaps import GapCluster, knowledge_gaps, plot_weeks
from pipelines.evaluation.corpora import index_sample
from pipelines.evaluation.question_sets import (
    SAMPLE_DIR,
    load_offtopic_questions,
    load_sample_questions,
    spread,
)
from workers.answering.chain import answer_question, build_answer_chain
from workers.embedder import get_embedder

WEEK_FILE = "gaps_week.jsonl"
CHANNELS = ("C0HELP001", "C0GENERAL", "C0OFFICE1")
DISLIKED_BELOW = 0.25  # share of the reference's content words: the asker did not get it


@dataclass(frozen=True)
class WeekQuestion:
    text: str
    kind: str  # "answerable" (a sample question), "off-topic" or "uncovered"
    group: str | None = None  # recurring questions: which one they rephrase
    reference: str | None = None


def simulated_week(limit: int | None = None) -> list[WeekQuestion]:
    """The week's questions in the order they are asked; `limit` keeps that many sample and
    off-topic questions each (spread over their sets) beside every recurring one."""
    recurring = [
        WeekQuestion(row["question"], row["kind"], row["group"])
        for row in map(
            json.loads, filter(str.strip, (SAMPLE_DIR / WEEK_FILE).read_text().splitlines())
        )
    ]
    sample = [
        WeekQuestion(q.text, "answerable", reference=q.gold_answers[0])
        for q in spread(load_sample_questions(), limit)
    ]
    offtopic = load_offtopic_questions() + load_offtopic_questions(held_out=True)
    strays = [WeekQuestion(q, "off-topic") for q in spread(offtopic, limit)]
    return _interleaved(_interleaved(sample, strays), _round_robin(recurring))


def _round_robin(recurring: list[WeekQuestion]) -> list[WeekQuestion]:
    """One of each group in turn, so every group is asked on several days."""
    groups: dict[str, list[WeekQuestion]] = {}
    for question in recurring:
        groups.setdefault(question.group, []).append(question)
    turns = zip_longest(*groups.values())
    return [q for turn in turns for q in turn if q is not None]


def _interleaved(others: list[WeekQuestion], recurring: list[WeekQuestion]) -> list[WeekQuestion]:
    """`recurring` spread evenly between `others`, each list keeping its order."""
    placed = [((n + 0.5) / len(others), 0, q) for n, q in enumerate(others)]
    placed += [((n + 1) / (len(recurring) + 1), 1, q) for n, q in enumerate(recurring)]
    return [q for *_, q in sorted(placed, key=lambda p: p[:2])]


def run_gaps_benchmark(
    settings: Settings, *, limit: int | None = None, plot: Path | None = None, progress=None
) -> dict:
    from workers.answering.shared_chain import chat_model_for
    from workers.store.lance import LanceKnowledgeStore

    week = simulated_week(limit)
    with tempfile.TemporaryDirectory(prefix="faqbot-bench-gaps-") as tmp:
        # Its own database and store: the live knowledge base and records are untouched.
        settings = settings.model_copy(update={"data_dir": Path(tmp), "database_url": None})
        upgrade(settings)
        embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
        store = LanceKnowledgeStore(settings.lancedb_dir)
        index_sample(settings, store, embedder, progress)
        chain = build_answer_chain(
            settings=settings, store=store, embedder=embedder, chat_model=chat_model_for(settings)
        )
        now = dt.datetime.now(dt.UTC)
        for n, question in enumerate(week):
            at = now - dt.timedelta(days=7) * (1 - (n + 0.5) / len(week))
            _ask(settings, chain, question, CHANNELS[n % len(CHANNELS)], at)
            if progress:
                progress("the week's questions", n + 1, len(week))
        since = now - dt.timedelta(days=8)
        clusters = knowledge_gaps(settings, store, embedder, since, now, None, limit=len(week))
        if plot:
            with session_scope(settings) as session:
                plot_weeks(usage_stats.usage(session, since, now, None).weeks, plot)
    return summarise_gaps(week, clusters)


def _ask(settings: Settings, chain, question: WeekQuestion, channel: str, at: dt.datetime) -> None:
    """One question as the bot and a worker leave it: queued, answered, delivered, and 👎
    where the asker did not get what they needed."""
    request = AnswerRequest(
        question=question.text, asker="U0ASKER01", channel=channel, enqueued_at=at.timestamp()
    )
    labels = asker_labels(channel)
    answer = answer_question(chain, question.text, labels=labels)
    with session_scope(settings) as session:
        interactions.record_sent(session, request)
        interactions.claim(session, request)
        interactions.record_answer(
            session, request.request_id, answer, scope=labels, visibility=[PUBLIC]
        )
        message = (channel, f"{at.timestamp():.6f}")  # where reactions on the answer count
        interactions.mark_delivered(session, request.request_id, message)
        row = interactions.find(session, request.request_id)
        row.created_at = at
        if not answer.refused and _disliked(question, answer.answer):
            feedback.cast(session, row, f"U0VOTE{uuid.uuid4().hex[:6].upper()}", -1, "reaction")


def _disliked(question: WeekQuestion, answer: str) -> bool:
    if question.reference is None:  # the bot answered what the handbook does not say
        return True
    return reference_share(answer, question.reference) < DISLIKED_BELOW


def summarise_gaps(week: list[WeekQuestion], clusters: list[GapCluster]) -> dict:
    """What the list shows an admin: the largest gaps and what they are, and how much of the
    list is what the knowledge base lacks (off-topic or uncovered) rather than what it has."""
    by_text = {q.text: q for q in week}
    described = [_described(c, by_text) for c in clusters]
    groups = sorted({q.group for q in week if q.group})
    listed = sum(c["size"] for c in described)
    lacking = sum(c["size"] for c in described if c["kind"] in ("off-topic", "uncovered"))
    return {
        "questions": len(week),
        "answerable": sum(q.kind == "answerable" for q in week),
        "off_topic": sum(q.kind == "off-topic" for q in week),
        "uncovered": sum(q.kind == "uncovered" for q in week),
        "recurring_groups": groups,
        "top_groups": [c["group"] for c in described[: len(groups)]],
        "gaps": len(clusters),
        "questions_in_gaps": listed,
        "answerable_in_gaps": listed - lacking,
        "lacking_share": round(lacking / listed, 3) if listed else 0.0,
        "top": described[:10],
    }


def _described(cluster: GapCluster, by_text: dict[str, WeekQuestion]) -> dict:
    """A gap with what its questions are: the group and kind most of its examples have."""
    examples = [by_text[e] for e in cluster.examples if e in by_text]
    group = _most_common([q.group for q in examples])
    return {
        "size": cluster.size,
        "kind": _most_common([q.kind for q in examples]) or "unknown",
        "group": group,
        "reasons": cluster.reasons,
        "examples": cluster.examples,
        "closest": cluster.closest,
    }


def _most_common(values: list):
    return Counter(values).most_common(1)[0][0] if values else None
