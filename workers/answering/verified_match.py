"""Which verified answer, if any, a new question asks for again: its closeness to the question
the expert answered, plus (optionally) a little to the answer itself, less how far the
knowledge base's nearest passage beats that answer. A question one of the documents answers
better than the verified answer is a different question on the same topic ("several
destinations in Google Maps" against a verified "link to a location in Google Maps"): it goes
to the chain. Served ahead of generation above a bar calibrated on StackFAQ dev paraphrases
(`faqbot bench verified`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from faqbot.settings import Settings
from workers.store.base import KnowledgeStore


@dataclass(frozen=True)
class Match:
    index: int  # into the verified answers that were scored
    score: float


@dataclass(frozen=True)
class MatchWeights:
    answer: float  # the answer's text beside its question
    knowledge_base: float  # the nearest passage's lead over the answer's text

    @classmethod
    def from_settings(cls, settings: Settings) -> MatchWeights:
        return cls(settings.verified_answer_weight, settings.verified_kb_weight)


def match_scores(
    questions: np.ndarray,
    asked: np.ndarray,
    answered: np.ndarray,
    weights: MatchWeights,
    nearest_passage: np.ndarray | None = None,
) -> np.ndarray:
    """(questions x verified answers): cosine to each verified question, and `weights.answer`
    of the cosine to its answer, averaged by weight; less `weights.knowledge_base` times the
    amount by which each question's nearest visible passage (`nearest_passage`, its cosine,
    one per question) is closer than the answer. Vectors are unit length."""
    if not len(asked):
        return np.zeros((len(questions), 0), dtype=np.float32)
    to_answer = questions @ answered.T
    combined = (questions @ asked.T + weights.answer * to_answer) / (1.0 + weights.answer)
    if nearest_passage is None or not weights.knowledge_base:
        return combined
    lead = np.maximum(0.0, np.asarray(nearest_passage)[:, None] - to_answer)
    return combined - weights.knowledge_base * lead


def nearest_passage(store: KnowledgeStore, vector: np.ndarray, labels: list[str]) -> float:
    """Cosine of the knowledge base's passage nearest the question, among those `labels` see
    (0 when none): one dense query of a few milliseconds."""
    hits = store.search(text="", vector=vector, labels=labels, k=1, mode="dense")
    return hits[0].score if hits else 0.0


def best_match(scores: np.ndarray, threshold: float) -> Match | None:
    """The closest verified answer for one question's row of scores, if it clears the bar."""
    if not scores.size:
        return None
    index = int(np.argmax(scores))
    score = float(scores[index])
    return Match(index, score) if score >= threshold else None
