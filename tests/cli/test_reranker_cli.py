"""`faqbot reranker train` and `faqbot bench retrieval --reranker` as an admin runs them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import app


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.mark.slow
def test_train_saves_a_reranker_that_the_benchmark_measures(
    settings, embedder, tiny_stackfaq, tmp_path
):
    out = tmp_path / "reranker"
    result = run(
        "reranker",
        "train",
        "--stackfaq",
        str(tiny_stackfaq),
        "--out",
        str(out),
        "--negatives",
        "2",
        "--max-length",
        "64",
        "--json",
    )
    assert result.exit_code == 0, result.output
    trained = json.loads(result.stdout)
    assert trained["steps"] >= 1 and trained["data"]["stackfaq_queries"] == 4
    manifest = json.loads((out / "reranker.json").read_text())
    assert manifest["base_model"] == settings.embedding_model and manifest["max_length"] == 64
    assert "created_at" in manifest and "first_stage" in manifest["dev"]
    bench = run(
        "bench", "retrieval", "--dataset", str(tiny_stackfaq), "--reranker", str(out), "--json"
    )
    assert bench.exit_code == 0, bench.output
    systems = json.loads(bench.stdout)["systems"]
    assert set(systems) == {"bm25", "dense", "default", "default+rerank"}


def test_a_reranker_that_is_not_there_is_one_line(settings, tmp_path):
    result = run("bench", "retrieval", "--reranker", str(tmp_path / "none"))
    assert result.exit_code == 2
    assert "no such directory" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_unknown_loss_is_refused_before_any_work(settings, tiny_stackfaq, tmp_path):
    result = run(
        "reranker",
        "train",
        "--stackfaq",
        str(tiny_stackfaq),
        "--loss",
        "hinge",
        "--out",
        str(tmp_path / "r"),
    )
    assert result.exit_code == 2 and "choose listwise or bce" in result.stderr
