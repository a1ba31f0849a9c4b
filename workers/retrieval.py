"""Retrieval for one question: embed it, search the store within the asker's visibility."""

from __future__ import annotations

import re

import numpy as np

from faqbot.settings import Settings
from workers.embedder import Embedder
from workers.reranker import Reranker, get_reranker
from workers.store.base import Hit, KnowledgeStore, SearchMode, asker_labels

# Tokens a dense embedding blurs but BM25 matches exactly: codes mixing letters and digits
# (MATB1, P45, NWH-DNS-12, IT-POL-7.2) and upper-case acronyms (EAP, INC-SEC).
IDENTIFIER = re.compile(
    r"\b(?:[A-Za-z]+[-.]?\d[\w.-]*|[A-Z]{2,}\d*(?:-[A-Z0-9.]+)*|[A-Z]+(?:-[A-Z0-9.]+)+)\b"
)


def fusion_alpha(question: str, settings: Settings) -> float:
    """Dense weight for this question: lower when it names an identifier."""
    if IDENTIFIER.search(question):
        return settings.hybrid_alpha_identifier
    return settings.hybrid_alpha


def question_labels(
    settings: Settings, *, channel: str | None, asker: str | None, private: bool
) -> list[str]:
    """What a question may see. In a channel everyone there reads the answer, so it sees that
    channel's sources and no one's grants; a DM or /ask is read by the asker alone, so it sees
    what FAQBOT_VISIBILITY_GRANTS grants that user, and never the channel /ask was typed in."""
    if channel and not private:
        return asker_labels(channel)
    return asker_labels(None, settings.visibility_grants.get(asker or "", []))


def retrieve(
    question: str,
    *,
    settings: Settings,
    store: KnowledgeStore,
    embedder: Embedder,
    channel: str | None = None,
    labels: list[str] | None = None,
    k: int | None = None,
    mode: SearchMode = "hybrid",
    vector: np.ndarray | None = None,
) -> list[Hit]:
    """`hybrid` is the default: context-vector dense search fused with BM25, which keeps exact
    terms (error codes, form names) findable where dense-only search misses them. Pass
    `vector` when the question was already embedded (benchmarks embed in batches). `labels`
    (see `question_labels`) overrides the plain channel scope. With FAQBOT_RERANKER_PATH set,
    the first FAQBOT_RERANK_CANDIDATES hits are reordered by the cross-encoder before the top
    `k` are returned."""
    if vector is None and mode != "bm25":
        vector = embedder.embed_query(question)
    k = k or settings.top_k
    reranker = configured_reranker(settings)
    hits = store.search(
        text=question,
        vector=vector,
        labels=labels or asker_labels(channel),
        k=k if reranker is None else max(k, settings.rerank_candidates),
        mode=mode,
        alpha=fusion_alpha(question, settings),
        candidates=settings.hybrid_candidates,
    )
    if reranker is None:
        return hits
    n = settings.rerank_candidates
    reranked = reranker.rerank(question, hits[:n], settings.rerank_first_stage_weight)
    return (reranked + hits[n:])[:k]


def configured_reranker(settings: Settings) -> Reranker | None:
    """The cross-encoder FAQBOT_RERANKER_PATH names, loaded once per process; None when unset."""
    if settings.reranker_path is None:
        return None
    return get_reranker(str(settings.reranker_path))
