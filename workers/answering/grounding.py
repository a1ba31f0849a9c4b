"""Is there an answer in the passages, and is the generated text backed by them?

Both questions are answered at sentence level with the embedder the store already uses:
- relevance: the question's best match among the passages' sentences, plus how many of its
  content words the passages contain (an off-topic question shares few);
- support: each generated sentence must closely match a passage sentence, or it is dropped;
  a supported sentence without a citation gets the number of the passage that backs it.
If nothing generated survives, the answer quotes the passage sentences closest to the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from workers.answering.citations import cited_numbers
from workers.embedder import Embedder
from workers.store.base import Hit

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
_TABLE_RULE = re.compile(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?")
_CELL_BREAK = re.compile(r"\s*\|\s*")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "i",
        "we",
        "you",
        "my",
        "our",
        "your",
        "me",
        "to",
        "of",
        "in",
        "on",
        "for",
        "at",
        "by",
        "with",
        "and",
        "or",
        "how",
        "what",
        "when",
        "where",
        "who",
        "which",
        "why",
        "can",
        "could",
        "should",
        "would",
        "will",
        "be",
        "it",
        "this",
        "that",
        "there",
        "any",
        "from",
        "as",
        "about",
        "get",
        "have",
        "has",
        "if",
        "not",
        "no",
    ]
)
OVERLAP_WEIGHT = 0.5
QUOTED_SENTENCES = 2
SECOND_QUOTE_RATIO = 0.9  # quote a second sentence only if it is nearly as relevant


@dataclass
class Evidence:
    """Every sentence of the retrieved passages, with the passage number it came from."""

    sentences: list[str]
    passage: list[int]
    vectors: np.ndarray


def sentences_of(text: str) -> list[str]:
    """Sentences as a reader would quote them: no Markdown emphasis, table cells as clauses."""
    plain = _TABLE_RULE.sub("", text.replace("**", "").replace("__", "").replace("`", ""))
    pieces = (_CELL_BREAK.sub("; ", p).strip(" \t|*#>-;") for p in _SENTENCE_BREAK.split(plain))
    return [piece for piece in pieces if len(piece.split()) >= 3]


def gather_evidence(hits: list[Hit], embedder: Embedder) -> Evidence:
    sentences, passage = [], []
    for n, hit in enumerate(hits, start=1):
        for sentence in sentences_of(hit.chunk.text):
            sentences.append(sentence)
            passage.append(n)
    return Evidence(sentences, passage, embedder.embed(sentences))


def relevance(question: str, vector: np.ndarray, hits: list[Hit], evidence: Evidence) -> float:
    if not evidence.sentences:
        return 0.0
    best = float((evidence.vectors @ vector).max())
    return best + OVERLAP_WEIGHT * _content_overlap(question, hits)


def _content_overlap(question: str, hits: list[Hit]) -> float:
    words = [w for w in re.findall(r"[a-z0-9]+", question.lower())
             if w not in _STOPWORDS and len(w) > 2]  # fmt: skip
    if not words:
        return 0.0
    text = " ".join(hit.chunk.search_text.lower() for hit in hits)
    return sum(word in text for word in words) / len(words)


def supported_answer(text: str, evidence: Evidence, embedder: Embedder, threshold: float) -> str:
    """The generated sentences a passage backs, each cited; unsupported ones are dropped."""
    claims = [s for s in _SENTENCE_BREAK.split(text) if s.strip()]
    if not claims or not evidence.sentences:
        return ""
    similarity = embedder.embed(claims) @ evidence.vectors.T
    kept: list[str] = []
    for claim, row in zip(claims, similarity, strict=True):
        best = int(row.argmax())
        if row[best] < threshold or claim in kept:
            continue
        kept.append(claim if cited_numbers(claim) else _cite(claim, evidence.passage[best]))
    return " ".join(kept)


def extractive_answer(vector: np.ndarray, evidence: Evidence) -> str:
    """The passage sentences closest to the question, in their passages' order, cited."""
    if not evidence.sentences:
        return ""
    scores = evidence.vectors @ vector
    ranked = np.argsort(-scores)[:QUOTED_SENTENCES]
    chosen = sorted(int(i) for i in ranked if scores[i] >= SECOND_QUOTE_RATIO * scores[ranked[0]])
    return " ".join(_cite(evidence.sentences[i], evidence.passage[i]) for i in chosen)


def _cite(sentence: str, n: int) -> str:
    body = sentence.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else ""
    return f"{body[: len(body) - len(end)]} [{n}]{end}"
