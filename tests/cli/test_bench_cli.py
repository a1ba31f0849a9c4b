"""`faqbot bench support` and `bench retrieval` from the command line: one-line refusals of
bad arguments, a real run with the bundled model, StackFAQ's dev split on request."""

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


def test_retrieval_on_stackfaq_shows_the_dev_split_beside_test_unless_told_not_to(
    faqbot, tiny_stackfaq
):
    both = faqbot("bench", "retrieval", "--dataset", str(tiny_stackfaq))
    assert both.exit_code == 0, both.output
    assert "stackfaq (test, 4 queries)" in both.stdout
    assert "stackfaq (dev, the split to tune on)" in both.stdout
    test_only = faqbot("bench", "retrieval", "--dataset", str(tiny_stackfaq), "--no-dev", "--json")
    assert test_only.exit_code == 0, test_only.output
    figures = json.loads(test_only.stdout)
    assert "dev" not in figures and set(figures["systems"]) == {"bm25", "dense", "default"}
