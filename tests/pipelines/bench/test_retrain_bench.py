"""`faqbot bench retrain` end to end at a toy size: StackFAQ feedback through the real dataset
build, one QLoRA step of the bundled model, held-out figures before and after."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import app
from tests.pipelines.bench.test_retrieval_bench import STACKFAQ, needs_stackfaq


@needs_stackfaq
@pytest.mark.slow
def test_retrain_bench_reports_before_and_after_on_held_out_threads(
    settings, embedder, monkeypatch, tmp_path
):
    monkeypatch.setenv("FAQBOT_LLM_MAX_NEW_TOKENS", "8")
    plot = tmp_path / "loss.png"
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "retrain",
            "--dataset",
            str(STACKFAQ),
            "--steps",
            "1",
            "--held-out",
            "2",
            "--no-compare-precision",
            "--plot",
            str(plot),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["steps"] == 1 and figures["examples"]["held_out"] == 2
    assert figures["examples"]["train"] > 300  # dev paraphrases with their answer retrieved
    for side in ("before", "after"):
        assert figures[side]["eval_loss"] > 0 and 0 <= figures[side]["token_f1"] <= 1
    assert figures["seconds_per_step"] > 0 and figures["peak_memory_mb"] > 0
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_an_unknown_dataset_folder_is_one_line(settings, tmp_path):
    result = CliRunner().invoke(app, ["bench", "retrain", "--dataset", str(tmp_path)])
    assert result.exit_code == 2
    assert (
        result.output.strip().startswith("error: dataset ")
        and "no stackExchange-FAQ.xml" in result.output
    )
