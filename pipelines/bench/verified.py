"""`faqbot bench verified`: are questions asked again answered from the verified answers that
experts gave the first time, and only those?

On StackFAQ, per split, every other thread is escalated: its first rephrasing is the question
an expert answered, and its first answer is the expert's reply, verified. The thread's other
rephrasings, asked later, should be answered from that verified answer (*served*; one served
from another thread's answer is *wrong*). Every rephrasing of the threads nobody escalated
should reach the answer chain instead (*false matches* when a verified answer is served).
The knowledge base holds the answers of the threads nobody escalated (that is why nobody
needed an expert), indexed through the real chunking into a store, and its nearest passage
competes with each verified answer. The two weights and the bar are chosen on dev, for the
most served questions with at most `DEV_FALSE_MATCH_BUDGET` false matches, then measured
unchanged on test."""

from __future__ import annotations

import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np

from faqbot.settings import Settings
from pipelines.evaluation.corpora import index_answers
from pipelines.evaluation.question_sets import STACKFAQ_FILE
from workers.answering.verified_match import MatchWeights, match_scores, nearest_passage
from workers.embedder import Embedder, get_embedder
from workers.store.base import PUBLIC, KnowledgeStore

ANSWER_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
KB_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)
DEV_FALSE_MATCH_BUDGET = 0.015  # under the 2% target, so the test split has room


@dataclass
class Escalations:
    """One split's simulated verified answers and the questions asked afterwards."""

    asked: np.ndarray  # the escalated questions, one per verified answer
    answered: np.ndarray  # the verified answers' text
    repeats: np.ndarray  # later rephrasings of escalated threads
    repeat_of: np.ndarray  # which verified answer each repeat should be served
    repeat_passage: np.ndarray  # each repeat's cosine to its nearest knowledge-base passage
    others: np.ndarray  # rephrasings of threads nobody escalated
    other_thread: np.ndarray  # which of those threads each one rephrases
    other_passage: np.ndarray


def load_threads(folder: Path) -> list[tuple[list[str], str]]:
    """Each StackFAQ thread's non-empty rephrasings and its first answer, in file order."""
    path = folder / STACKFAQ_FILE
    if not path.is_file():
        raise FileNotFoundError(f"dataset {folder}: no {STACKFAQ_FILE} in it")
    threads = []
    for pair in ET.parse(path).getroot().findall("qapair"):
        texts = [(r.text or "").strip() for r in pair.findall("rephr")]
        rephrasings = [t for t in texts if t and t != "*"]
        answers = [(a.text or "").strip() for a in pair.findall("answer")]
        threads.append((rephrasings, answers[0] if answers else ""))
    return threads


def escalations(threads, split: str, settings: Settings, embedder: Embedder) -> Escalations:
    mine = [t for i, t in enumerate(threads) if i % 2 == (0 if split == "dev" else 1)]
    escalated = [t for k, t in enumerate(mine) if k % 2 == 0 and len(t[0]) > 1 and t[1]]
    quiet = [t for k, t in enumerate(mine) if k % 2 == 1]
    repeats = [q for texts, _ in escalated for q in texts[1:]]
    others = [q for texts, _ in quiet for q in texts]
    repeat_vectors, other_vectors = embedder.embed(repeats), embedder.embed(others)
    from workers.store.lance import LanceKnowledgeStore

    with tempfile.TemporaryDirectory(prefix="faqbot-bench-") as tmp:
        store = LanceKnowledgeStore(Path(tmp))
        index_answers([answer for _, answer in quiet if answer], settings, store, embedder)
        repeat_passage = _nearest(store, repeat_vectors)
        other_passage = _nearest(store, other_vectors)
    return Escalations(
        asked=embedder.embed([texts[0] for texts, _ in escalated]),
        answered=embedder.embed([answer for _, answer in escalated]),
        repeats=repeat_vectors,
        repeat_of=np.array([n for n, (texts, _) in enumerate(escalated) for _ in texts[1:]]),
        repeat_passage=repeat_passage,
        others=other_vectors,
        other_thread=np.array([n for n, (texts, _) in enumerate(quiet) for _ in texts]),
        other_passage=other_passage,
    )


def _nearest(store: KnowledgeStore, vectors: np.ndarray) -> np.ndarray:
    """Each question's cosine to its nearest passage, as the bot measures it when serving."""
    return np.array([nearest_passage(store, vector, [PUBLIC]) for vector in vectors])


def figures(data: Escalations, weights: MatchWeights, threshold: float) -> dict:
    repeat_scores = match_scores(
        data.repeats, data.asked, data.answered, weights, data.repeat_passage
    )
    best, top = repeat_scores.argmax(1), repeat_scores.max(1)
    served = top >= threshold
    right = best == data.repeat_of
    other_scores = _other_scores(data, weights)
    other_top, other_best = other_scores.max(1), other_scores.argmax(1)
    matched = other_top >= threshold
    return {
        "answer_weight": weights.answer,
        "kb_weight": weights.knowledge_base,
        "threshold": round(float(threshold), 3),
        "verified_answers": len(data.asked),
        "repeats": len(data.repeats),
        "served_rate": round(float(np.mean(served & right)), 4),
        "wrong_rate": round(float(np.mean(served & ~right)), 4),
        "other_questions": len(data.others),
        "false_match_rate": round(float(np.mean(matched)), 4),
        # False matches cluster: a thread's rephrasings all resemble the same escalated one.
        "other_threads": len(set(data.other_thread.tolist())),
        "false_match_threads": len(set(data.other_thread[matched].tolist())),
        "false_match_pairs": len(
            set(zip(data.other_thread[matched].tolist(), other_best[matched].tolist()))
        ),
    }


def _other_scores(data: Escalations, weights: MatchWeights) -> np.ndarray:
    return match_scores(data.others, data.asked, data.answered, weights, data.other_passage)


def calibrate(data: Escalations) -> dict:
    """The weights and bar with the most served repeats within the false-match budget."""
    best = None
    for answer, knowledge_base in product(ANSWER_WEIGHTS, KB_WEIGHTS):
        weights = MatchWeights(answer, knowledge_base)
        others = _other_scores(data, weights).max(1)
        threshold = float(np.quantile(others, 1 - DEV_FALSE_MATCH_BUDGET))
        candidate = figures(data, weights, threshold)
        if best is None or candidate["served_rate"] > best["served_rate"]:
            best = candidate
    return best


def run_verified_benchmark(dataset: Path, settings: Settings, progress=None) -> dict:
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    threads = load_threads(dataset)
    dev = escalations(threads, "dev", settings, embedder)
    if progress:
        progress("embed", 1, 2)
    test = escalations(threads, "test", settings, embedder)
    if progress:
        progress("embed", 2, 2)
    chosen = calibrate(dev)
    weights = MatchWeights(chosen["answer_weight"], chosen["kb_weight"])
    configured = figures(
        test, MatchWeights.from_settings(settings), settings.verified_match_threshold
    )
    return {
        "dataset": "stackfaq",
        "dev": chosen,
        "test": figures(test, weights, chosen["threshold"]),
        "test_with_settings": configured,
    }
