"""Retrieval for one question: embed it, search the store within the asker's visibility."""

from __future__ import annotations

import re

import numpy as np

from faqbot.settings import Settings
from workers.embedder import Embedder
from workers.reranker import Reranker, get_reranker
from workers.store.base import (
    Hit,
    KnowledgeStore,
    SearchMode,
    asker_labels,
    title_acronyms,
    title_name,
)

# Tokens a dense embedding blurs but BM25 matches exactly: codes mixing letters and digits
# (MATB1, P45, NWH-DNS-12, IT-POL-7.2) and upper-case acronyms (EAP, INC-SEC).
IDENTIFIER = re.compile(
    r"\b(?:[A-Za-z]+[-.]?\d[\w.-]*|[A-Z]{2,}\d*(?:-[A-Z0-9.]+)*|[A-Z]+(?:-[A-Z0-9.]+)+)\b"
)
# An upper-case word that may be a document's initials ("MPL", "GPL-3", "GPL'd").
ACRONYM = re.compile(r"(?<![A-Za-z0-9])[A-Z]{3,6}(?![a-z0-9])")
ACRONYMS_EXPANDED = 3  # per question; each costs one small full-text query


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
    labels = labels or asker_labels(channel)
    expanded = question if mode == "bm25" else expand_title_acronyms(question, store, labels)
    if (vector is None or expanded != question) and mode != "bm25":
        vector = embedder.embed_query(expanded)
    k = k or settings.top_k
    reranker = configured_reranker(settings)
    hits = store.search(
        text=expanded,
        vector=vector,
        labels=labels,
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


def expand_title_acronyms(question: str, store: KnowledgeStore, labels: list[str]) -> str:
    """The question with the title of each visible document it names by initials: "Under the
    MPL, …" is searched as "… (Mozilla Public License)". An embedding does not
    know that MPL means that licence; the full-text index does (it holds each title's
    initials), so a small full-text query per acronym finds the document it names."""
    titles: list[str] = []
    for token in list(dict.fromkeys(ACRONYM.findall(question)))[:ACRONYMS_EXPANDED]:
        hits = store.search(text=token, vector=None, labels=labels, k=5, mode="bm25")
        title = next((h.chunk.title for h in hits if token in title_acronyms(h.chunk.title)), "")
        # A title that already spells the token ("Data Retention Policy (DRP-2024)") matches
        # as it is; repeating it would only outweigh the words that pick the passage.
        if title and token not in title and title_name(title).lower() not in question.lower():
            titles.append(title_name(title))
    titles = list(dict.fromkeys(titles))
    return f"{question} ({'; '.join(titles)})" if titles else question


def configured_reranker(settings: Settings) -> Reranker | None:
    """The cross-encoder FAQBOT_RERANKER_PATH names, loaded once per process; None when unset."""
    if settings.reranker_path is None:
        return None
    return get_reranker(str(settings.reranker_path))
