"""Retrieval for one question: embed it, search the store within the asker's visibility."""

from __future__ import annotations

from faqbot.settings import Settings
from workers.embedder import Embedder
from workers.store.base import Hit, KnowledgeStore, SearchMode, asker_labels


def retrieve(
    question: str,
    *,
    settings: Settings,
    store: KnowledgeStore,
    embedder: Embedder,
    channel: str | None = None,
    k: int | None = None,
    mode: SearchMode = "hybrid",
) -> list[Hit]:
    """`hybrid` is the default: context-vector dense search fused with BM25, which keeps exact
    terms (error codes, form names) findable where dense-only search misses them."""
    vector = None if mode == "bm25" else embedder.embed_query(question)
    return store.search(
        text=question,
        vector=vector,
        labels=asker_labels(channel),
        k=k or settings.top_k,
        mode=mode,
        alpha=settings.hybrid_alpha,
        candidates=settings.hybrid_candidates,
    )
