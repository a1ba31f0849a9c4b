"""The embedder: a question asked again is not embedded again, and what it hands out is the
caller's to change."""

from __future__ import annotations

import numpy as np

from workers.embedder import RECENT_QUERIES


def test_a_repeated_question_is_embedded_once_and_the_cache_is_bounded(embedder, monkeypatch):
    encoded: list[str] = []
    encode = embedder._encode

    def counting(texts):
        encoded.extend(texts)
        return encode(texts)

    monkeypatch.setattr(embedder, "_encode", counting)
    question = "How many vacation days do I get? (embedder test)"
    first = embedder.embed_query(question)
    first[:] = 0.0  # the caller's copy
    again = embedder.embed_query(question)
    assert encoded == [question]
    np.testing.assert_allclose(again, embedder.embed([question])[0], atol=1e-6)
    for n in range(RECENT_QUERIES):
        embedder.embed_query(f"filler question {n}")
    embedder.embed_query(question)
    assert encoded.count(question) == 3  # embed() once, and again once pushed out
