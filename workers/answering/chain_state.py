"""What the answer chain carries between its steps: the question it was given, what retrieval
found, and what the model wrote. Typed, so each step says what it reads and what it adds."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from faqbot.contracts import Turn
from workers.answering.evidence import Evidence
from workers.store.base import Hit


@dataclass(frozen=True)
class Question:
    """The chain's input. `labels`: what the asker may see; `history`: the thread's earlier
    turns, oldest first."""

    question: str
    labels: list[str]
    history: list[Turn] = field(default_factory=list)


@dataclass(frozen=True)
class Generation:
    """The model's text, cut at its first sentence that no passage backs."""

    text: str
    dropped: list[str]  # the sentence that stopped it, if one did
    prompt_tokens: int
    completion_tokens: int
    generate_ms: float


@dataclass(frozen=True)
class Retrieved:
    """The question with what retrieval found for it: the passages, their sentences, the
    extractive draft and the evidence window the model reads."""

    asked: Question
    query: str  # what was searched: a follow-up joined to the question before it
    vector: np.ndarray
    hits: list[Hit]
    evidence: Evidence
    window: list[int]  # indices into evidence.units, in reading order
    draft: str  # the cited extractive answer ("" when refused or nothing quotable)
    relevance: float
    grounded: bool  # close enough to answer; otherwise the chain refuses
    started: float  # perf_counter when the chain started
    retrieve_ms: float
    first_text_ms: float | None  # when the draft was ready, if there was one
    generation: Generation | None = None
