"""`faqbot bench gaps`: a simulated week through the real chain and database; the recurring
off-topic and uncovered questions are the largest gaps, and the answered ones are not listed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import app
from pipelines.bench.gaps import simulated_week


def test_each_recurring_question_is_asked_through_the_week_between_the_others():
    week = simulated_week(limit=6)
    assert sum(q.kind == "answerable" for q in week) == 6
    assert sum(q.kind == "off-topic" and not q.group for q in week) == 6
    for group in ("football", "dogs", "canteen"):
        days = [n for n, q in enumerate(week) if q.group == group]
        assert days[-1] - days[0] > len(week) / 2, group
    kinds = [q.kind for q in week if not q.group]
    assert "off-topic" in kinds[:6] and "answerable" in kinds[6:]


@pytest.mark.slow
def test_the_largest_gaps_of_a_simulated_week_are_what_the_handbook_lacks(settings, tmp_path):
    plot = tmp_path / "week.png"
    result = CliRunner().invoke(
        app, ["bench", "gaps", "--limit", "8", "--plot", str(plot), "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(figures["top_groups"]) == {"football", "dogs", "canteen"}
    top = {gap["group"]: gap for gap in figures["top"][:3]}
    assert top["football"]["kind"] == "off-topic" and top["football"]["size"] == 6
    # "my puppy … on Fridays" is its own gap: its cosine to the others (0.66) is under the link.
    assert top["dogs"]["size"] >= 4 and top["dogs"]["closest"] is None  # nothing on dogs
    assert figures["lacking_share"] >= 0.8
    assert plot.read_bytes().startswith(b"\x89PNG")
