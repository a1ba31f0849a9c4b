"""Where "the knowledge base has no answer" begins, measured for the knowledge base asked.

One fixed relevance threshold is wrong somewhere. Questions no document answers score 0.2-0.4
against licence texts, but up to 0.9 against an HR handbook, whose everyday topics (meetings,
Wi-Fi, the office) share words with anything. So the bot asks its PROBES, everyday and
company-sounding questions that knowledge bases seldom answer, against what the asker may
see, and refuses a question that scores below what all but the top 5% of them score. It never
refuses above FAQBOT_RELEVANCE_THRESHOLD, so a knowledge base that off-topic questions match
well keeps the fixed threshold. The result is kept per scope until the store changes, in memory and in
FAQBOT_DATA_DIR, so a new process does not measure it again.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections import OrderedDict

import numpy as np

from faqbot.settings import Settings
from faqbot.visibility import PUBLIC, asker_labels
from workers.answering.evidence import gather_evidence
from workers.answering.grounding import relevance
from workers.embedder import Embedder
from workers.retrieval import retrieve
from workers.store.base import KnowledgeStore

# `faqbot bench answer` reports refusals on these (the tuning set) and on 50 other off-topic
# questions that were written later and never used to tune.
PROBES = (
    "What's the weather going to be like in Lisbon tomorrow?",
    "Who won the 2022 World Cup?",
    "How do I configure a Kubernetes ingress controller?",
    "What is the dress code for the annual gala?",
    "Can you recommend a good Italian restaurant near the Leeds office?",
    "What is the capital of Australia?",
    "How do I write a SQL query that finds duplicate rows?",
    "When is the next company all-hands meeting?",
    "What's our share price today?",
    "Who is the CEO's executive assistant?",
    "How many Japanese yen is 100 euros right now?",
    "Am I allowed to bring my dog to the office?",
    "How do I set up a Python virtual environment?",
    "What's the password for the guest Wi-Fi?",
    "How many deals did the sales team close last quarter?",
    "How do you say 'good morning' in Dutch?",
    "What's a good recipe for banana bread?",
    "Is there a company choir or band I can join?",
    "How do I apply for an internal transfer to the Singapore office?",
    "What were the main announcements at Apple's last keynote?",
    "Who handles our sponsorship of local football clubs?",
    "How do I request a three-month sabbatical?",
    "How do I reset the tyre pressure warning light on my car?",
    "How do I cancel my Netflix subscription?",
    "What is the theme of this year's summer party?",
)
PROBE_QUANTILE = 95  # chosen on the tuning halves: at least 92% of the probes are refused
SCOPES_KEPT = 64
BARS_FILE = "refusal-bars.json"  # in FAQBOT_DATA_DIR: a new process (`faqbot ask`) reuses it

_lock = threading.Lock()
_backgrounds: OrderedDict[str, float] = OrderedDict()


def refusal_threshold(
    settings: Settings, store: KnowledgeStore, embedder: Embedder, labels: list[str]
) -> float:
    """The relevance below which a question in this scope is refused."""
    if not settings.relevance_adaptive:
        return settings.relevance_threshold
    key = json.dumps([store.identity, sorted(labels), store.count()])
    with _lock:
        background = _backgrounds.get(key)
    if background is None:
        background = _saved(settings).get(key)
    if background is None:
        background = probe_background(settings, store, embedder, labels)
        _save(settings, key, background)
    with _lock:
        _backgrounds[key] = background
        while len(_backgrounds) > SCOPES_KEPT:
            _backgrounds.popitem(last=False)
    return min(settings.relevance_threshold, background)


def measure_scopes(
    settings: Settings, store: KnowledgeStore, embedder: Embedder, visibility: list[str]
) -> None:
    """Measures now the bar of every scope that sees passages with this visibility (public:
    the public scope; channels: each channel's), so no question waits for it later."""
    channels = [label for label in visibility if label != PUBLIC]
    for channel in channels or [None]:
        refusal_threshold(settings, store, embedder, asker_labels(channel))


def _saved(settings: Settings) -> dict[str, float]:
    try:
        data = json.loads((settings.data_dir / BARS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {k: float(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _save(settings: Settings, key: str, background: float) -> None:
    """Kept beside the store's state; written whole and renamed, so readers never see half a
    file. Losing it only costs a new measurement."""
    bars = _saved(settings)
    bars.pop(key, None)
    bars[key] = background
    path = settings.data_dir / BARS_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as f:
            json.dump(dict(list(bars.items())[-SCOPES_KEPT:]), f)
        os.replace(f.name, path)
    except OSError:
        pass


def probe_background(
    settings: Settings, store: KnowledgeStore, embedder: Embedder, labels: list[str]
) -> float:
    """What the probes score here, at PROBE_QUANTILE: the bar an answerable question clears."""
    vectors = embedder.embed(list(PROBES))
    memo = _MemoEmbedder(embedder)  # probes retrieve many of the same passages
    scores = []
    for probe, vector in zip(PROBES, vectors, strict=True):
        hits = retrieve(
            probe,
            settings=settings,
            store=store,
            embedder=embedder,
            labels=labels,
            k=settings.answer_passages,
            vector=vector,
        )
        scores.append(relevance(probe, vector, hits, gather_evidence(hits, memo)))
    if not any(scores):  # nothing visible here to measure against
        return settings.relevance_threshold
    return float(np.percentile(scores, PROBE_QUANTILE))


class _MemoEmbedder:
    """The embedder, remembering each sentence it embedded during one calibration."""

    def __init__(self, embedder: Embedder):
        self._embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str], progress=None) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            self._vectors.update(zip(missing, self._embedder.embed(missing), strict=True))
        if not texts:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])
