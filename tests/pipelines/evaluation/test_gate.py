"""The gate's decisions as a maintainer meets them: promote, refuse, force, roll back."""

from __future__ import annotations

import pytest

from faqbot.db import adapters
from faqbot.db.adapters import UnknownAdapter
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.db.models import AuditEntry
from pipelines.evaluation.gate import PromotionRefused, gate, promote, rollback

BASE = "SmolLM2-135M-Instruct"


def overall(f1: float, citations: float = 0.8, refusals: float = 0.9) -> dict:
    return {
        "overall": {
            "n": 10,
            "token_f1": f1,
            "rouge_l": f1,
            "citation_accuracy": citations,
            "refusal_correctness": refusals,
        }
    }


def measured(
    settings,
    adapter_id: str,
    f1: float,
    reference_id: str | None,
    reference_f1: float,
    base: str = BASE,
) -> None:
    """A registered adapter whose comparison with `reference_id` is already stored."""
    candidate, reference = overall(f1), overall(reference_f1)
    decision = gate(candidate, reference, settings.adapter_gate_tolerance)
    ensure_schema(settings)
    with session_scope(settings) as session:
        row = adapters.register(
            session,
            adapter_id,
            base_model=base,
            path=f"/nowhere/{adapter_id}",
            dataset_version="ds-1",
            training={},
        )
        row.metrics = {
            "candidate": {**candidate, "adapter": adapter_id},
            "reference": reference,
            "reference_id": reference_id,
            "gate": {"passed": decision.passed, "reasons": decision.reasons},
        }


def answering(settings) -> str | None:
    with session_scope(settings) as session:
        row = adapters.promoted(session)
        return row.id if row else None


def test_the_gate_allows_the_tolerance_and_no_more():
    assert gate(overall(0.49), overall(0.50), 0.02).passed
    decision = gate(overall(0.50, citations=0.70), overall(0.50, citations=0.80), 0.02)
    assert not decision.passed
    assert decision.reasons == ["citation_accuracy 0.700 < 0.800 - 0.02"]


def test_promote_refuse_force_and_roll_back(settings):
    measured(settings, "ad-a", 0.50, None, 0.40)
    promote(settings, "ad-a")
    assert answering(settings) == "ad-a"

    measured(settings, "ad-b", 0.30, "ad-a", 0.50)
    with pytest.raises(
        PromotionRefused,
        match=r"ad-b measures worse than ad-a: token_f1 0.300 "
        r"< 0.500 .*use --force",
    ):
        promote(settings, "ad-b")
    assert answering(settings) == "ad-a"

    promote(settings, "ad-b", force=True)
    assert answering(settings) == "ad-b"

    assert rollback(settings) == ("ad-b", "ad-a")
    assert answering(settings) == "ad-a"
    assert rollback(settings) == ("ad-a", None)
    assert answering(settings) is None
    with pytest.raises(PromotionRefused, match="no adapter is answering"):
        rollback(settings)

    with session_scope(settings) as session:
        audit = [
            (e.action, e.target, e.outcome)
            for e in session.query(AuditEntry).order_by(AuditEntry.id)
        ]
    assert audit == [
        ("adapter.promote", "ad-a", "ok"),
        ("adapter.promote", "ad-b", "refused"),
        ("adapter.promote", "ad-b", "ok"),
        ("adapter.rollback", "ad-b", "ok"),
        ("adapter.rollback", "ad-a", "ok"),
    ]


def test_an_adapter_for_another_base_model_or_an_unknown_id_is_refused(settings):
    measured(settings, "ad-phi3", 0.9, None, 0.1, base="microsoft/Phi-3-mini-4k-instruct")
    with pytest.raises(
        PromotionRefused,
        match="trained on microsoft/Phi-3-mini-4k-instruct, but "
        "the workers run SmolLM2-135M-Instruct",
    ):
        promote(settings, "ad-phi3")
    with pytest.raises(UnknownAdapter, match="adapter ad-nope: not in the registry"):
        promote(settings, "ad-nope")
    assert answering(settings) is None
