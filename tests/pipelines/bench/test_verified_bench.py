"""`faqbot bench verified`: its figures on StackFAQ, and its one-line error for a wrong folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

STACKFAQ = Path(__file__).resolve().parents[3].parent / "shared" / "benchmarks" / "stackfaq"


@pytest.mark.skipif(
    not (STACKFAQ / "stackExchange-FAQ.xml").is_file(),
    reason=f"StackFAQ not found at {STACKFAQ} (shared/ sits beside the clone in CI)",
)
def test_repeats_are_served_their_verified_answer_and_others_rarely_one(settings):
    result = CliRunner().invoke(app, ["bench", "verified", "--dataset", str(STACKFAQ), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    dev, test = figures["dev"], figures["test"]
    assert dev["false_match_rate"] <= 0.02 and dev["served_rate"] > 0.8
    assert test["served_rate"] > 0.8 and test["wrong_rate"] < 0.02
    assert test["threshold"] == dev["threshold"]  # chosen on dev, never on test


def test_a_folder_without_stackfaq_is_one_line(tmp_path):
    result = CliRunner().invoke(app, ["bench", "verified", "--dataset", str(tmp_path)])
    assert result.exit_code != 0
    assert "no stackExchange-FAQ.xml in it" in result.output
