"""Is there an answer in the passages, and is the generated text backed by them?

Both questions are answered at sentence level with the embedder the store already uses:
- relevance: the question's best match among the passages' sentences, plus how many of its
  content words the passages contain (an off-topic question shares few);
- support: each generated sentence must closely match a passage sentence, or it is dropped;
  a supported sentence without a citation gets the number of the passage that backs it.
If nothing generated survives, the answer quotes the passages (`extractive`).
"""

from __future__ import annotations

import re

import numpy as np

from workers.answering.citations import cited_numbers
from workers.answering.evidence import Evidence
from workers.answering.terms import STOPWORDS
from workers.embedder import Embedder
from workers.store.base import Hit

_CLAIM_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
OVERLAP_WEIGHT = 0.45  # chosen on the tuning halves of the three question sets


def relevance(question: str, vector: np.ndarray, hits: list[Hit], evidence: Evidence) -> float:
    if not evidence.units:
        return 0.0
    best = float((evidence.vectors @ vector).max())
    return best + OVERLAP_WEIGHT * _content_overlap(question, hits)


def _content_overlap(question: str, hits: list[Hit]) -> float:
    words = [
        w for w in re.findall(r"[a-z0-9]+", question.lower()) if w not in STOPWORDS and len(w) > 2
    ]
    if not words:
        return 0.0
    text = " ".join(hit.chunk.keyword_text.lower() for hit in hits)
    return sum(word in text for word in words) / len(words)


def complete_claims(text: str) -> list[str]:
    """The sentences of streamed text that are finished (a later one has begun)."""
    return [s for s in _CLAIM_BREAK.split(text)[:-1] if s.strip()]


def split_claims(text: str) -> list[str]:
    """Generated text as the sentences the support check judges one by one."""
    return [s for s in _CLAIM_BREAK.split(text) if s.strip()]


def claim_supported(claim: str, evidence: Evidence, embedder: Embedder, threshold: float) -> bool:
    if not evidence.units:
        return False
    scores, _ = best_support([claim], evidence, embedder)
    return float(scores[0]) >= threshold


def best_support(
    claims: list[str], evidence: Evidence, embedder: Embedder
) -> tuple[np.ndarray, list[int]]:
    """Each claim's best cosine with a passage sentence (what FAQBOT_SUPPORT_THRESHOLD is
    compared with), and the number of the passage that sentence is from."""
    similarity = _support(embedder.embed(claims), evidence)
    passages = [evidence.passage[int(i)] for i in similarity.argmax(axis=1)]
    return similarity.max(axis=1), passages


def with_citation(claim: str, passage: int) -> str:
    """A kept sentence as shown: the model's own citation, or the backing passage's."""
    return claim if cited_numbers(claim) else cite(claim, passage)


def supported_answer(
    text: str, evidence: Evidence, embedder: Embedder, threshold: float
) -> tuple[str, list[str]]:
    """The generated sentences a passage backs, each cited, and those it dropped."""
    claims = split_claims(text)
    if not claims or not evidence.units:
        return "", claims
    scores, passages = best_support(claims, evidence, embedder)
    kept: list[str] = []
    dropped: list[str] = []
    for claim, score, passage in zip(claims, scores, passages, strict=True):
        if score < threshold:
            dropped.append(claim)
        elif claim not in kept:
            kept.append(with_citation(claim, passage))
    return " ".join(kept), dropped


def cite(sentence: str, n: int) -> str:
    """The sentence with its source number before the closing full stop."""
    body = sentence.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else ""
    return f"{body[: len(body) - len(end)]} [{n}]{end}"


def _support(claims: np.ndarray, evidence: Evidence) -> np.ndarray:
    """Cosine of each claim with each evidence sentence, as written or with its table row's
    context, whichever is closer."""
    return np.maximum(claims @ evidence.vectors.T, claims @ evidence.plain_vectors.T)
