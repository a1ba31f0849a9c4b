"""`faqbot bench generate`: the real prompts through every engine, figures a maintainer can
read or parse, and ratios against transformers on the same model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipelines.bench.generate import _add_ratios, sample_prompts

pytestmark = pytest.mark.slow


def test_the_prompts_are_the_answer_chains_own(settings):
    prompts = sample_prompts(settings, 2)
    assert len(prompts) == 2
    system, user = prompts[0]
    assert system["role"] == "system" and user["role"] == "user"
    assert "[1]" in user["content"] and "Question: " in user["content"]  # numbered evidence


def test_ratios_compare_each_engine_with_transformers_on_the_same_model():
    rows = [
        {"model": "m", "engine": "transformers", "decode_tokens_per_s": 10.0, "answer_p50_s": 8.0},
        {"model": "m", "engine": "llamacpp", "decode_tokens_per_s": 60.0, "answer_p50_s": 2.0},
        {"model": "other", "engine": "llamacpp", "decode_tokens_per_s": 5.0, "answer_p50_s": 1.0},
    ]
    _add_ratios(rows)
    assert (rows[1]["decode_vs_transformers"], rows[1]["answer_vs_transformers"]) == (6.0, 4.0)
    assert "decode_vs_transformers" not in rows[2]  # nothing to compare with


def test_every_engine_is_measured_in_one_run_with_json_out(settings, tmp_path):
    env = {
        **os.environ,
        "FAQBOT_DATA_DIR": str(settings.data_dir),
        "FAQBOT_MODEL_CACHE": str(settings.model_cache_dir),
    }
    command = [
        sys.executable,
        "-m",
        "faqbot",
        "bench",
        "generate",
        "--questions",
        "1",
        "--new-tokens",
        "6",
        "--concurrency",
        "1",
        "--concurrency",
        "2",
        "--json",
        "--plot",
        str(tmp_path / "generate.png"),
    ]
    result = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = {row["engine"]: row for row in report["rows"]}
    assert set(rows) == {"transformers", "llamacpp", "openai"}
    for row in rows.values():
        assert row["answer_tokens_p50"] >= 6  # end-of-text held back: all write the same
        assert row["first_token_p50_s"] > 0 and row["decode_tokens_per_s"] > 0
    assert rows["transformers"]["answer_vs_transformers"] == 1.0
    assert set(rows["openai"]["throughput"]) == {"1", "2"}
    assert (tmp_path / "generate.png").stat().st_size > 0


def test_an_unknown_engine_is_named_in_one_line(settings):
    command = [sys.executable, "-m", "faqbot", "bench", "generate", "--engine", "onnx"]
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "--engine onnx: not one of transformers, llamacpp, openai" in result.stderr
