"""Ranking metrics (binary relevance, document keys best first) and answer-text metrics, shared
by the evaluation gate, reranker training and the benchmarks."""

from __future__ import annotations

import math
import re
import string
from collections import Counter


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


def _normalise(text: str) -> list[str]:
    """SQuAD's: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    return re.sub(r"\b(a|an|the)\b", " ", text).split()


def token_f1(prediction: str, reference: str) -> float:
    predicted, gold = _normalise(prediction), _normalise(reference)
    common = sum((Counter(predicted) & Counter(gold)).values())
    if not common:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1: the longest common subsequence of normalised tokens, so word order counts
    (token F1 ignores it)."""
    predicted, gold = _normalise(prediction), _normalise(reference)
    if not predicted or not gold:
        return 0.0
    previous = [0] * (len(gold) + 1)
    for word in predicted:
        current = [0]
        for j, other in enumerate(gold, 1):
            current.append(previous[j - 1] + 1 if word == other else max(previous[j], current[-1]))
        previous = current
    lcs = previous[-1]
    if not lcs:
        return 0.0
    precision, recall = lcs / len(predicted), lcs / len(gold)
    return 2 * precision * recall / (precision + recall)
