"""The cross-encoder reranker: it reorders hits as it prefers, keeps each hit's chunk, refuses
what is not a cross-encoder in one line, and changes nothing while it is not configured."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipelines.training.reranker import Group, train_cross_encoder
from workers.reranker import Reranker, RerankerUnavailable, get_reranker
from workers.retrieval import retrieve
from workers.store.base import Chunk, Hit

PASSWORD = "Password reset: open the account page and choose reset password."
OTHERS = ["The car park opens at 7am.", "Lunch is served in the canteen from noon."]
# The one thing to learn: the password passage answers; the others never do.
GROUPS = [
    Group(q, [PASSWORD], OTHERS)
    for q in ("How do I reset my password?", "I forgot my password", "Locked out of my account")
]


def tiny_base(folder: Path) -> Path:
    """A random 2-layer BERT with the bundled MiniLM's tokenizer: a cross-encoder base that
    trains in seconds."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from pipelines.training.reranker import base_checkpoint

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(base_checkpoint())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """The tiny cross-encoder trained a few epochs on three questions, saved like a real one."""
    from pipelines.training.reranker import RerankerRun, save

    base = tiny_base(tmp_path_factory.mktemp("base"))
    reranker, _ = train_cross_encoder(
        GROUPS,
        base=str(base),
        epochs=12,
        negatives=2,
        max_length=64,
        groups_per_step=3,
        learning_rate=3e-3,
        head_learning_rate=3e-3,
    )
    folder = tmp_path_factory.mktemp("reranker") / "model"
    save(reranker, RerankerRun(folder, "tiny", {}, "listwise", 12, 12, 2, 64, 0.0))
    return folder


def hit(text: str, score: float) -> Hit:
    chunk = Chunk(
        chunk_id=text[:8],
        source_id="kb",
        doc_key=text[:8],
        doc_hash="h",
        title="",
        section="",
        position=0,
        text=text,
        content_hash="c",
        visibility=["public"],
    )
    return Hit(chunk, score)


def test_the_passage_the_cross_encoder_prefers_comes_first(trained):
    reranker = Reranker.load(trained)
    for group in GROUPS:
        hits = [hit(text, 0.9 - 0.1 * n) for n, text in enumerate(group.negatives)]
        hits.append(hit(group.positives[0], 0.1))  # the first stage ranked it last
        reranked = reranker.rerank(group.query, hits)
        assert reranked[0].chunk.text == group.positives[0]
        assert sorted(h.chunk.chunk_id for h in reranked) == sorted(h.chunk.chunk_id for h in hits)
        assert all(
            h.chunk is next(o.chunk for o in hits if o.chunk.chunk_id == h.chunk.chunk_id)
            for h in reranked
        )


def test_a_full_first_stage_weight_keeps_the_first_stage_order(trained):
    hits = [hit(text, 0.9 - 0.1 * n) for n, text in enumerate(GROUPS[0].negatives)]
    hits.append(hit(GROUPS[0].positives[0], 0.1))
    reranked = Reranker.load(trained).rerank(GROUPS[0].query, hits, first_stage_weight=1.0)
    assert [h.chunk.chunk_id for h in reranked] == [h.chunk.chunk_id for h in hits]


def test_a_missing_directory_is_one_clear_line(tmp_path):
    with pytest.raises(RerankerUnavailable, match="no such directory") as caught:
        get_reranker(str(tmp_path / "nowhere"))
    assert "faqbot reranker train" in str(caught.value) and "\n" not in str(caught.value)


def test_a_sentence_embedder_is_not_taken_for_a_cross_encoder():
    from pipelines.training.reranker import base_checkpoint

    with pytest.raises(RerankerUnavailable, match="not a cross-encoder.*BertModel"):
        Reranker.load(Path(base_checkpoint()))


class RecordingStore:
    """Answers every search with the same ranked hits and remembers what it was asked."""

    def __init__(self, hits: list[Hit]):
        self.hits, self.asked = hits, []

    def search(self, **kwargs):
        self.asked.append(kwargs)
        return self.hits[: kwargs["k"]]


def test_retrieval_is_the_store_search_when_no_reranker_is_configured(settings):
    store = RecordingStore([hit(f"passage {n}", 1.0 - n / 100) for n in range(30)])
    found = retrieve(
        "q", settings=settings, store=store, embedder=None, k=3, vector=np.zeros(4, np.float32)
    )
    assert settings.reranker_path is None
    assert found == store.hits[:3] and store.asked[0]["k"] == 3


def test_a_configured_reranker_scores_the_candidates_and_returns_the_top_k(settings, trained):
    group = GROUPS[1]
    hits = [hit(OTHERS[n % 2] + f" ({n})", 1.0 - n / 100) for n in range(25)]
    hits[12] = hit(PASSWORD, 0.88)
    store = RecordingStore(hits)
    reranked = settings.model_copy(
        update={"reranker_path": trained, "rerank_candidates": 15, "rerank_first_stage_weight": 0.0}
    )
    found = retrieve(
        group.query,
        settings=reranked,
        store=store,
        embedder=None,
        k=3,
        vector=np.zeros(4, np.float32),
    )
    assert store.asked[0]["k"] == 15 and len(found) == 3
    assert found[0].chunk.text == PASSWORD
