"""Serving verified answers: a question that asks what an expert already answered (and an
expert or admin verified) gets that answer, with who verified it, before the answer chain
retrieves or generates anything; only where the verified answer's visibility allows."""

from __future__ import annotations

import threading
import time

import numpy as np

from faqbot.contracts import Answer, Citation, RetrievedPassage, Verification
from faqbot.db import verified
from faqbot.db.engine import session_scope
from faqbot.db.models import VerifiedAnswer
from faqbot.settings import Settings
from workers.answering.verified_match import (
    MatchWeights,
    best_match,
    match_scores,
    nearest_passage,
)
from workers.embedder import Embedder
from workers.store import get_store

SOURCE_ID = "verified-answers"
MODEL = "verified answer"

# Each verified answer's (question, answer) vectors, by id and verification time: embedded
# once per process, again when the answer is edited and verified anew.
_vectors: dict[tuple[int, float], tuple[np.ndarray, np.ndarray]] = {}
_lock = threading.Lock()


def verified_answer(
    settings: Settings, question: str, labels: list[str], embedder: Embedder
) -> Answer | None:
    """The verified answer `question` asks for again, among those `labels` may see, or None."""
    started = time.perf_counter()
    with session_scope(settings) as session:
        rows = verified.servable(session, labels)
        if not rows:
            return None
        asked, answered = _vectors_of(rows, embedder)
        vector = embedder.embed_query(question)
        scores = match_scores(
            vector[None, :],
            asked,
            answered,
            MatchWeights.from_settings(settings),
            np.array([_nearest_passage(settings, vector, labels)]),
        )[0]
        match = best_match(scores, settings.verified_match_threshold)
        if match is None:
            return None
        row = rows[match.index]
        elapsed = (time.perf_counter() - started) * 1000
        return _served(question, row, match.score, elapsed)


def _nearest_passage(settings: Settings, vector: np.ndarray, labels: list[str]) -> float:
    """Skipped (0) where the knowledge base is given no weight."""
    if not settings.verified_kb_weight:
        return 0.0
    return nearest_passage(get_store(settings), vector, labels)


def _vectors_of(rows: list[VerifiedAnswer], embedder: Embedder) -> tuple[np.ndarray, np.ndarray]:
    keys = [(row.id, row.verified_at.timestamp()) for row in rows]
    with _lock:
        missing = [(key, row) for key, row in zip(keys, rows, strict=True) if key not in _vectors]
    if missing:
        asked = embedder.embed([row.question for _, row in missing])
        answered = embedder.embed([row.answer for _, row in missing])
        with _lock:
            for n, (key, _) in enumerate(missing):
                _vectors[key] = (asked[n], answered[n])
    with _lock:
        pairs = [_vectors[key] for key in keys]
    return np.stack([q for q, _ in pairs]), np.stack([a for _, a in pairs])


def _served(question: str, row: VerifiedAnswer, score: float, elapsed_ms: float) -> Answer:
    cited = Citation(
        n=1,
        source_id=SOURCE_ID,
        title=f"Verified answer #{row.id}",
        chunk_id=f"verified:{row.id}",
        snippet=row.question[:300],
        document=f"verified-{row.id}",
    )
    return Answer(
        question=question,
        answer=row.answer,
        citations=[cited],
        refused=False,
        mode="verified",
        model=MODEL,
        timings_ms={
            "retrieve": elapsed_ms,
            "generate": 0.0,
            "first_text": elapsed_ms,
            "total": elapsed_ms,
        },
        retrieved=[
            RetrievedPassage(
                chunk_id=cited.chunk_id,
                source_id=SOURCE_ID,
                score=round(score, 4),
                visibility=list(row.visibility),
            )
        ],
        verification=Verification(
            verified_answer_id=row.id,
            verifier=row.verifier,
            verified_on=row.verified_at.date().isoformat(),
            out_of_date=verified.is_due_for_review(row),
        ),
    )
