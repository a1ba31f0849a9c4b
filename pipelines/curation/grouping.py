"""Which questions are the same question. Near-duplicates (cosine ≥ `duplicate`) are merged into
one example; paraphrase clusters (single linkage at cosine ≥ `paraphrase`) decide the
train/eval split, so a question and its rewordings never sit on both sides of it.

On StackFAQ's dev threads with all-MiniLM-L6-v2, 57% of same-thread paraphrase pairs score
≥ 0.7 and 0.03% of cross-thread pairs do; linking at 0.7 joins most of a thread's paraphrases
through one another and merges few threads (a merged pair only makes the split stricter)."""

from __future__ import annotations

import hashlib
import re

import numpy as np

DUPLICATE_SIMILARITY = 0.9
PARAPHRASE_SIMILARITY = 0.7


def normalise(question: str) -> str:
    return re.sub(r"\W+", " ", question.lower()).strip()


def linked_groups(
    vectors: np.ndarray, threshold: float, same: list[str] | None = None
) -> list[int]:
    """Connected components of the graph whose edges are pairs at cosine ≥ threshold (vectors
    are unit length), plus pairs with equal `same` keys. Returns a group number per row."""
    parent = list(range(len(vectors)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for start in range(0, len(vectors), 512):  # blocks: memory stays small for big sets
        sims = vectors[start : start + 512] @ vectors.T
        for i, j in zip(*np.nonzero(sims >= threshold), strict=True):
            parent[root(start + int(i))] = root(int(j))
    if same:
        first: dict[str, int] = {}
        for i, key in enumerate(same):
            parent[root(i)] = root(first.setdefault(key, i))
    return [root(i) for i in range(len(vectors))]


def split_key(cluster_questions: list[str]) -> float:
    """A number in [0, 1] from a hash of the cluster's questions: clusters under the eval
    fraction are held out, so a cluster stays on its side of the split from one dataset version
    to the next while its lowest-hashing question stays the same."""
    key = min(hashlib.sha256(normalise(q).encode()).hexdigest() for q in cluster_questions)
    return int(key[:8], 16) / 0xFFFFFFFF
