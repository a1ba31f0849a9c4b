"""Which verified answer, if any, a new question asks for again: its closeness to the question
the expert answered, plus a little to the answer itself (a paraphrase often shares the
answer's words, not the first asker's). Served ahead of generation above a bar calibrated on
StackFAQ dev paraphrases (`faqbot bench verified`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Match:
    index: int  # into the verified answers that were scored
    score: float


def match_scores(
    questions: np.ndarray, asked: np.ndarray, answered: np.ndarray, answer_weight: float
) -> np.ndarray:
    """(questions x verified answers) in [−1, 1]: cosine to each verified question, and
    `answer_weight` of the cosine to its answer, averaged by weight. Vectors are unit length."""
    if not len(asked):
        return np.zeros((len(questions), 0), dtype=np.float32)
    combined = questions @ asked.T + answer_weight * (questions @ answered.T)
    return combined / (1.0 + answer_weight)


def best_match(scores: np.ndarray, threshold: float) -> Match | None:
    """The closest verified answer for one question's row of scores, if it clears the bar."""
    if not scores.size:
        return None
    index = int(np.argmax(scores))
    score = float(scores[index])
    return Match(index, score) if score >= threshold else None
