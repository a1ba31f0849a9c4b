"""Which passage sentences matter for a question: the ones quoted as the extractive answer,
and the window of evidence the model is shown to write its own.

A sentence is chosen for answering, not for resembling the question: its score is its cosine
with the question plus how much of the question's salient terms it covers (terms rare among
the retrieved sentences weigh more, so "809" outweighs "VPN"). The cosine is taken partly with
the sentence under its document title and section, since a sentence rarely names what it is
about, and a prose fragment too short to answer alone (a heading line) loses a little. Around
the best sentence the answer keeps what a reader needs with it: the rest of its table row (the
"what to do" cell beside "what it means"), the list a sentence ending in a colon introduces,
and one more sentence if it covers terms of the question the first left uncovered. The model
is shown the best sentences with their neighbours, a few hundred words: less to read (prefill
dominates on a CPU) and less to copy back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from workers.answering.evidence import Evidence, quote
from workers.answering.grounding import cite
from workers.answering.terms import QUESTION_WORDS, content_words, stem
from workers.embedder import Embedder

COVERAGE_WEIGHT = 0.2  # tuned on the odd-numbered sample questions
# Tuned on the odd-numbered sample and long-document questions (2026-12-04): the share of the
# cosine taken with the sentence under its heading, and what a short prose fragment loses.
TITLED_WEIGHT = 0.4
FRAGMENT_WORDS = 10
FRAGMENT_PENALTY = 0.1
SECOND_SENTENCE_RATIO = 0.92  # a further sentence must score this share of the best's
MAX_WORDS = 70
LIST_ITEMS = 3


@dataclass
class Scored:
    """Each evidence sentence's score for answering one question, the question's weighted
    salient terms, and the terms each sentence covers."""

    scores: np.ndarray
    terms: dict[str, float]
    covers: list[set[str]]


def score_sentences(
    question: str, vector: np.ndarray, evidence: Evidence, embedder: Embedder
) -> Scored:
    terms = salient_terms(question, evidence)
    covers = [_stems(unit.context_text) for unit in evidence.units]
    coverage = np.array([_coverage(terms, c) for c in covers])
    similarity = (1 - TITLED_WEIGHT) * (evidence.vectors @ vector) + TITLED_WEIGHT * (
        _titled_vectors(evidence, embedder) @ vector
    )
    scores = similarity + COVERAGE_WEIGHT * coverage - FRAGMENT_PENALTY * _fragments(evidence)
    return Scored(scores, terms, covers)


def _titled_vectors(evidence: Evidence, embedder: Embedder) -> np.ndarray:
    """Each sentence embedded under its document title and section; the plain vector where
    the passage has neither."""
    titled = [evidence.titled_text(i) for i in range(len(evidence.units))]
    changed = [i for i, text in enumerate(titled) if text != evidence.units[i].context_text]
    vectors = evidence.vectors.copy()
    if changed:
        vectors[changed] = embedder.embed([titled[i] for i in changed])
    return vectors


def _fragments(evidence: Evidence) -> np.ndarray:
    """1 for a prose sentence too short to answer alone (a heading line such as "Limitation
    of Liability", a definition's lead-in); table cells are quoted with their row."""
    return np.array(
        [
            float(unit.row_key is None and len(unit.text.split()) < FRAGMENT_WORDS)
            for unit in evidence.units
        ]
    )


def extractive_answer(evidence: Evidence, scored: Scored) -> str:
    """Cited sentences in passage order, or "" when there is no evidence."""
    if not evidence.units:
        return ""
    scores, terms, covers = scored.scores, scored.terms, scored.covers
    best = int(np.argmax(scores))
    chosen = [best, *companions(best, evidence)]
    covered = set().union(*(covers[i] for i in chosen))
    for i in (int(i) for i in np.argsort(-scores)):
        if scores[i] < SECOND_SENTENCE_RATIO * scores[best]:
            break
        missing = {t for t in terms if t not in covered}
        if i not in chosen and missing & covers[i] and _fits(chosen, [i], evidence):
            chosen.append(i)
            break
    return render(sorted(set(chosen)), evidence)


def evidence_window(evidence: Evidence, scored: Scored, words: int) -> list[int]:
    """The best sentences, each with its neighbours in its passage (and the rest of its table
    row), best first until about `words` words; returned in reading order."""
    chosen: set[int] = set()
    for i in (int(i) for i in np.argsort(-scored.scores)):
        near = [
            j
            for j in (i - 1, i, i + 1)
            if 0 <= j < len(evidence.units) and evidence.passage[j] == evidence.passage[i]
        ]
        for j in near:
            chosen.update([j, *companions(j, evidence)])
        if sum(len(evidence.units[j].text.split()) for j in chosen) >= words:
            break
    return sorted(chosen)


def salient_terms(question: str, evidence: Evidence) -> dict[str, float]:
    """The question's content words (stemmed), each weighted by its rarity among the evidence
    sentences; weights sum to 1."""
    words = {stem(w) for w in content_words(question, QUESTION_WORDS)}
    if not words:
        return {}
    sentences = [_stems(u.context_text) for u in evidence.units]
    rarity = {w: math.log(1 + len(sentences) / (1 + sum(w in s for s in sentences))) for w in words}
    total = sum(rarity.values())
    return {w: r / total for w, r in rarity.items()}


def companions(i: int, evidence: Evidence) -> list[int]:
    """What must be quoted with sentence `i`: the first sentence of each other cell of its
    table row, or the list items it introduces."""
    units, passage = evidence.units, evidence.passage
    unit = units[i]
    if unit.row_key is not None:
        return [
            j for j, u in enumerate(units) if j != i and u.block == unit.block and u.first_in_cell
        ]
    if unit.text.endswith(":"):
        following = [
            j
            for j in range(i + 1, len(units))
            if passage[j] == passage[i] and units[j].block != unit.block
        ]
        return following[:LIST_ITEMS]
    return []


def render(indices: list[int], evidence: Evidence) -> str:
    """Consecutive sentences of one passage are joined and cited once; a table row is shown as
    "key — Column: text; Column: text", with no Markdown pipes."""
    groups: list[list[int]] = []
    for i in indices:
        if groups and evidence.passage[groups[-1][-1]] == evidence.passage[i]:
            groups[-1].append(i)
        else:
            groups.append([i])
    return " ".join(
        cite(quote([evidence.units[i] for i in g]), evidence.passage[g[0]]) for g in groups
    )


def _fits(chosen: list[int], extra: list[int], evidence: Evidence) -> bool:
    words = sum(len(evidence.units[i].text.split()) for i in [*chosen, *extra])
    return words <= MAX_WORDS


def _stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text, QUESTION_WORDS)}


def _coverage(terms: dict[str, float], stems: set[str]) -> float:
    return sum(weight for term, weight in terms.items() if term in stems)
