"""`faqbot dataset` as a maintainer uses it: review marks, builds, listing, one-line errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cli import app
from faqbot.db.engine import session_scope
from faqbot.db.models import AuditEntry, DatasetReview
from tests.pipelines.curation.feedback_rows import answered


def faqbot(*args: str):
    return CliRunner().invoke(app, list(args))


def test_review_marks_then_build_respects_them_and_list_shows_the_version(settings, embedder):
    keep = answered(settings, "How do I reset my password? Mail me at bob@acme.com", up=2)
    drop = answered(settings, "Where is the office gym?", up=2)

    pending = json.loads(faqbot("dataset", "review", "--json").stdout)
    assert [row["id"] for row in pending] == [keep, drop]
    assert "bob@acme.com" not in json.dumps(pending)  # shown as it would be written

    result = faqbot("dataset", "review", "--reject", str(drop), "--note", "outdated floor plan")
    assert result.exit_code == 0, result.output
    assert [row["id"] for row in json.loads(faqbot("dataset", "review", "--json").stdout)] == [keep]

    result = faqbot("dataset", "build", "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest["by_rule"] == {"positive": 1, "rejected": 1}
    listed = json.loads(faqbot("dataset", "list", "--json").stdout)
    assert [m["version"] for m in listed] == [manifest["version"]]
    with session_scope(settings) as session:
        audit = session.query(AuditEntry).filter_by(action="dataset.reject").one()
        assert audit.target == str(drop) and audit.detail == {"note": "outdated floor plan"}


def test_bad_input_is_one_line_and_changes_nothing(settings, embedder):
    known = answered(settings, "How do I reset my password?", up=1)

    result = faqbot("dataset", "review", "--approve", str(known), "--approve", "999")
    assert result.exit_code == 1
    assert result.output.strip() == ("error: answer 999: no such interaction (nothing was marked)")
    with session_scope(settings) as session:
        assert session.query(DatasetReview).count() == 0

    result = faqbot("dataset", "build", "--since", "last tuesday")
    assert result.exit_code == 2 and "--since 'last tuesday': not a date" in result.output

    result = faqbot("dataset", "build", "--since", "2099-01-01")
    assert result.exit_code == 1 and result.output.startswith("error: no usable rated answers")
    assert not settings.datasets_dir.exists() or not any(settings.datasets_dir.iterdir())


def test_corrections_are_listed_scrubbed_and_approved_or_rejected_with_an_audit(settings):
    from faqbot.db import feedback
    from faqbot.db.models import Correction

    answered(
        settings,
        "Who approves travel?",
        down=1,
        correction="Mail bob@acme.com for it.",
        correction_status=feedback.PENDING,
    )
    answered(
        settings,
        "Where is the gym?",
        down=1,
        correction="Floor 2, next to the lifts.",
        correction_status=feedback.PENDING,
    )

    pending = json.loads(faqbot("dataset", "corrections", "--json").stdout)
    assert [(row["n"], row["by"]) for row in pending] == [(1, "U0DOWN000"), (2, "U0DOWN000")]
    assert "bob@acme.com" not in json.dumps(pending)

    result = faqbot("dataset", "corrections", "--approve", "2", "--reject", "1")
    assert result.exit_code == 0
    assert "Correction #2 approved" in result.output and "Correction #1 rejected" in result.output
    assert faqbot("dataset", "corrections").output.strip() == (
        "No corrections are waiting for review."
    )
    result = faqbot("dataset", "corrections", "--approve", "7")
    assert result.exit_code == 1
    assert result.output.strip() == "error: correction 7: no such correction (nothing was marked)"
    with session_scope(settings) as session:
        assert [c.status for c in session.query(Correction).order_by(Correction.id)] == [
            "rejected",
            "approved",
        ]
        actions = [a.action for a in session.query(AuditEntry).order_by(AuditEntry.id)]
        assert actions == ["review.approve", "review.reject"]
