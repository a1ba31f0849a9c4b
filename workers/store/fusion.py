"""Relative-score fusion, the same rule as Weaviate's `relativeScoreFusion`, for backends without it."""

from __future__ import annotations

from workers.store.base import Hit


def _normalised(hits: list[Hit]) -> dict[str, tuple[Hit, float]]:
    if not hits:
        return {}
    scores = [h.score for h in hits]
    low, high = min(scores), max(scores)
    span = high - low
    return {h.chunk.chunk_id: (h, (h.score - low) / span if span else 1.0) for h in hits}


def relative_score_fusion(dense: list[Hit], bm25: list[Hit], alpha: float, k: int) -> list[Hit]:
    """Min-max normalise each list, then rank by alpha·dense + (1−alpha)·bm25."""
    fused: dict[str, Hit] = {}
    for hits, weight in ((dense, alpha), (bm25, 1.0 - alpha)):
        for chunk_id, (hit, score) in _normalised(hits).items():
            if chunk_id not in fused:
                fused[chunk_id] = Hit(chunk=hit.chunk, score=0.0, vector=hit.vector)
            fused[chunk_id].score += weight * score
    return sorted(fused.values(), key=lambda h: h.score, reverse=True)[:k]


def newest_edition_only(hits: list[Hit]) -> list[Hit]:
    """Drops hits from an older edition of a document that also appears in a newer one.

    Dense and BM25 sub-queries may each see a different side of a concurrent replacement;
    after this, a result never mixes two editions of one document."""
    newest: dict[tuple[str, str], object] = {}
    for hit in hits:
        key = (hit.chunk.source_id, hit.chunk.doc_key)
        stamp = hit.chunk.indexed_at
        if stamp is not None and (key not in newest or stamp > newest[key]):
            newest[key] = stamp
    return [
        hit
        for hit in hits
        if hit.chunk.indexed_at is None
        or hit.chunk.indexed_at == newest[(hit.chunk.source_id, hit.chunk.doc_key)]
    ]
