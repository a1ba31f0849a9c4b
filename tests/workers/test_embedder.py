"""The embedder: the vectors sentence-transformers would give (so an index built before stays
valid), a model it cannot reproduce refused in one line, a question asked again not embedded
again, and what it hands out is the caller's to change."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from faqbot.settings import BUNDLED_EMBEDDER
from workers.embedder import RECENT_QUERIES, Embedder, EmbedderUnavailable, _model_path

TEXTS = [
    "How many vacation days do I get?",
    "  Switch to the NWH-Corporate-TLS profile, which tunnels over TCP port 443.  ",
    "VPN error 809 | The network blocks UDP ports 500 and 4500 | Switch profile",
    "word " * 400,  # longer than the model reads: cut where sentence-transformers cuts
    "ok",
]


def sentence_transformers_vectors(folder, texts: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    return model.encode(texts, batch_size=2, normalize_embeddings=True)


def test_the_bundled_models_vectors_are_the_ones_sentence_transformers_gives(embedder):
    expected = sentence_transformers_vectors(_model_path(BUNDLED_EMBEDDER), TEXTS)
    np.testing.assert_allclose(embedder.embed(TEXTS), expected, atol=1e-5)
    np.testing.assert_allclose(embedder.embed_query(TEXTS[0]), expected[0], atol=1e-5)
    assert (embedder.dimension, embedder.max_tokens) == (384, 256)


def tiny_encoder(folder, modules: list[dict], pooling: dict | None = None):
    """A random two-layer BERT with MiniLM's tokenizer, laid out as sentence-transformers saves
    a model."""
    from transformers import BertConfig, BertModel

    source = _model_path(BUNDLED_EMBEDDER)
    config = BertConfig(
        vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=128,
    )  # fmt: skip
    BertModel(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(f"{source}/{name}", folder / name)
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64}))
    if pooling is not None:
        (folder / "1_Pooling").mkdir()
        (folder / "1_Pooling" / "config.json").write_text(
            json.dumps({"word_embedding_dimension": 32, **pooling})
        )
    return folder


def st_module(kind: str, index: int, path: str = "") -> dict:
    return {"idx": index, "name": str(index), "path": path, "type": f"sentence_transformers.models.{kind}"}  # fmt: skip


@pytest.mark.parametrize("mode", ["cls_token", "max_tokens", "mean_tokens"])
def test_each_pooling_gives_sentence_transformers_vectors(tmp_path, mode):
    modules = [st_module("Transformer", 0), st_module("Pooling", 1, "1_Pooling")]
    modes = {f"pooling_mode_{m}": m == mode for m in ("cls_token", "max_tokens", "mean_tokens")}
    folder = tiny_encoder(tmp_path, modules, modes)
    embedder = Embedder(str(folder), batch_size=2)
    assert embedder.recipe.pooling == mode.split("_")[0] and embedder.max_tokens == 64
    expected = sentence_transformers_vectors(folder, TEXTS)
    np.testing.assert_allclose(embedder.embed(TEXTS), expected, atol=1e-5)


def test_a_layer_it_cannot_reproduce_is_refused_by_name(tmp_path):
    modules = [st_module("Transformer", 0), st_module("Dense", 1, "1_Dense")]
    folder = tiny_encoder(tmp_path, modules)
    with pytest.raises(EmbedderUnavailable) as refused:
        Embedder(str(folder))
    assert "its Dense layer is not supported" in str(refused.value)
    assert str(folder) in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize("kind", ["empty folder", "unknown id offline"])
def test_a_model_that_is_not_there_is_one_line_naming_it(tmp_path, kind):
    name = str(tmp_path) if kind == "empty folder" else "no-such-org/no-such-model"
    with pytest.raises(EmbedderUnavailable) as refused:
        Embedder(name)
    message = str(refused.value)
    assert message.startswith(f"embedding model {name!r} could not be loaded")
    assert "FAQBOT_EMBEDDING_MODEL" in message and "\n" not in message


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
