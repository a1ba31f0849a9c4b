"""`faqbot stats` and `faqbot gaps` over questions as the bot leaves them in the database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from faqbot.db.engine import session_scope
from faqbot.db.models import Escalation, Interaction, VerifiedAnswer
from tests.pipelines.curation.feedback_rows import answered

SAMPLE_DOCS = Path(__file__).parents[2] / "sample_kb" / "docs"
NOW = dt.datetime.now(dt.UTC)
PETS = ["Can I bring my dog to work?", "Is my dog allowed in the office?"]
PETS += ["May I bring my dog to the office?"]


def faqbot(*args: str):
    return CliRunner().invoke(app, list(args))


def asked(settings, question: str, *, status: str = "answered", days_ago: float = 1, **kw) -> int:
    at, mode = NOW - dt.timedelta(days=days_ago), kw.pop("mode", "generated")
    interaction_id = answered(settings, question, at=at, **kw)
    with session_scope(settings) as session:
        row = session.get(Interaction, interaction_id)
        row.status, row.mode = status, "refused" if status == "refused" else mode
    return interaction_id


def escalate(settings, interaction_id: int, *, resolved_after_h: float | None = None) -> None:
    with session_scope(settings) as session:
        row = Escalation(
            interaction_id=interaction_id,
            channel="C0HELP001",
            thread_ts="1.1",
            asked_by="U0ASKER01",
            experts=["U0EXPERT1"],
            created_at=NOW - dt.timedelta(days=1),
        )
        if resolved_after_h is not None:
            row.status, row.resolved_by = "resolved", "U0EXPERT1"
            row.resolved_at = row.created_at + dt.timedelta(hours=resolved_after_h)
        session.add(row)


def seeded(settings) -> None:
    """Three people asking one uncovered thing, a 👎 VPN answer, one handed to experts and
    still open, one resolved in 3 h, a liked answer, a verified one, and an old refusal."""
    for n, question in enumerate(PETS):
        asked(settings, question, status="refused", days_ago=1 + n / 10)
    asked(settings, "How do I fix VPN error 809 at a hotel?", down=2)
    escalate(settings, asked(settings, "Who signs off my laptop request?", down=0))
    escalate(settings, asked(settings, "Who approves travel?", up=1), resolved_after_h=3)
    asked(settings, "How many vacation days do I get?", up=2)
    asked(settings, "When is payday?", mode="verified")
    with session_scope(settings) as session:
        session.add(
            VerifiedAnswer(
                question="When is payday?",
                answer="The 25th.",
                author="U0EXPERT1",
                verifier="U0EXPERT1",
                verified_at=NOW,
                review_due=NOW + dt.timedelta(days=90),
                visibility=["C0HELP001"],
            )
        )
    asked(settings, "Where do I park my bike?", status="refused", days_ago=20)


def test_stats_counts_what_an_admin_asks_about(settings, embedder):
    seeded(settings)
    result = faqbot("stats", "--since", "7d", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert {k: figures[k] for k in ("questions", "answered", "refused", "escalated")} == {
        "questions": 8,
        "answered": 5,
        "refused": 3,
        "escalated": 2,
    }
    assert figures["answered_without_escalation"] == 3
    assert (figures["resolved"], figures["resolution_hours_p50"]) == (1, 3.0)
    assert (figures["votes_up"], figures["votes_down"], figures["thumbs_up_rate"]) == (3, 2, 0.6)
    assert (figures["verified_served"], figures["verified_active"]) == (1, 1)
    assert sum(w["answered"] + w["refused"] + w["escalated"] for w in figures["weeks"]) == 8

    month = json.loads(faqbot("stats", "--json").stdout)  # 30 days: the old refusal too
    assert (month["questions"], month["refused"]) == (9, 4)
    table = faqbot("stats", "--since", "7d").output
    assert "answered without escalation" in table and "3 (38%)" in table


def test_gaps_groups_paraphrases_largest_first_with_the_closest_passage(
    settings, embedder, tmp_path
):
    assert faqbot("ingest", str(SAMPLE_DOCS), "--source-id", "handbook").exit_code == 0
    seeded(settings)
    plot = tmp_path / "weeks.png"
    result = faqbot("gaps", "--json", "--plot", str(plot))
    assert result.exit_code == 0, result.output
    clusters = json.loads(result.stdout)
    first = clusters[0]
    assert (first["size"], first["reasons"], first["channels"]) == (
        3,
        {"refused": 3},
        ["C0HELP001"],
    )
    assert first["examples"] == PETS  # newest first
    assert first["closest"] is None  # the handbook says nothing about dogs
    by_question = {c["examples"][0]: c for c in clusters[1:]}
    assert set(by_question) == {"How do I fix VPN error 809 at a hotel?", "Who approves travel?",
                                "Who signs off my laptop request?"}  # fmt: skip
    vpn = by_question["How do I fix VPN error 809 at a hotel?"]
    assert vpn["reasons"] == {"disliked": 1} and vpn["closest"].startswith("handbook › ")
    assert by_question["Who signs off my laptop request?"]["reasons"] == {
        "escalated": 1,
        "unresolved": 1,
    }
    assert plot.read_bytes().startswith(b"\x89PNG")

    table = faqbot("gaps", "--since", "30d").output
    assert "nothing close" in table and "Where do I park my bike?" in table


def test_a_bad_period_or_channel_is_one_line_naming_it(settings):
    result = faqbot("gaps", "--since", "last week")
    assert result.exit_code == 2
    assert "--since 'last week': not a duration (12h, 7d, 4w) or a date" in result.output
    result = faqbot("stats", "--channel", "#general")
    assert result.exit_code == 2 and "--channel '#general': not a Slack channel ID" in result.output
