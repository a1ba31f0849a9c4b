"""Ranking metrics with binary relevance, over document keys ranked best first."""

from __future__ import annotations

import math


def ndcg_at(ranked: list[str], relevant: frozenset[str], k: int = 10) -> float:
    gains = sum(1 / math.log2(rank + 2) for rank, key in enumerate(ranked[:k]) if key in relevant)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return gains / ideal if ideal else 0.0


def mrr_at(ranked: list[str], relevant: frozenset[str], k: int = 10) -> float:
    for rank, key in enumerate(ranked[:k]):
        if key in relevant:
            return 1 / (rank + 1)
    return 0.0


def hit_at(ranked: list[str], relevant: frozenset[str], k: int) -> float:
    return float(any(key in relevant for key in ranked[:k]))


def summarise(rankings: list[tuple[list[str], frozenset[str]]], hits: tuple[int, ...]) -> dict:
    n = len(rankings) or 1
    figures = {
        "ndcg@10": sum(ndcg_at(r, rel) for r, rel in rankings) / n,
        "mrr@10": sum(mrr_at(r, rel) for r, rel in rankings) / n,
    }
    for k in hits:
        figures[f"hit@{k}"] = sum(hit_at(r, rel, k) for r, rel in rankings) / n
    return {name: round(value, 4) for name, value in figures.items()}
