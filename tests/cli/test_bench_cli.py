"""`faqbot bench support` from the command line: one-line refusals of bad arguments, and a
real run with the bundled model."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--dataset", "../shared/benchmarks/stackfaq"), "only 'sample' and 'longdocs'"),
        (("--bars", "0.7,high"), "--bars 0.7,high: expected comma-separated numbers"),
        (("--bars", "0.7,1.5"), "each bar is a cosine between -1 and 1"),
    ],
)
def test_bad_arguments_are_one_line_before_any_model_loads(faqbot, args, message):
    result = faqbot("bench", "support", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_run_with_the_bundled_model_measures_every_bar_from_one_generation(faqbot, tmp_path):
    plot = tmp_path / "support.png"
    result = faqbot(
        "bench", "support", "--limit", "3", "--bars", "0.5,0.8,0.99", "--json", "--plot", str(plot)
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert (figures["dataset"], figures["questions"]) == ("sample", 3)
    assert figures["model"] == "SmolLM2-135M-Instruct" and figures["configured_bar"] == 0.8
    shares = [figures["bars"][bar]["generated_rate"] for bar in ("0.50", "0.80", "0.99")]
    assert figures["unchecked"]["generated_rate"] >= shares[0] >= shares[1] >= shares[2]
    assert figures["quote"]["generated_rate"] == 0.0
    assert figures["best_on_tuning"] in figures["bars"]
    assert plot.stat().st_size > 10_000
