"""The gate between training and answering. A candidate is compared with the adapter answering
now (or the base model when none is) on the same questions; it is promoted only if no gated
metric is worse by more than FAQBOT_ADAPTER_GATE_TOLERANCE, unless a maintainer forces it.
Rollback retires the answering adapter and brings back the one before it (or the base model)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from faqbot.db import adapters, audit
from faqbot.db.engine import session_scope
from faqbot.db.models import Adapter
from faqbot.errors import TransientError
from faqbot.settings import Settings, model_id
from pipelines.evaluation.evaluate import METRICS, evaluate_model
from pipelines.evaluation.golden import load_golden, verified_golden

EVAL_PLOT = "eval.png"


class PromotionRefused(ValueError):
    """The gate said no, or the adapter cannot answer for this deployment."""


@dataclass
class GateDecision:
    passed: bool
    reasons: list[str] = field(default_factory=list)


def gate(candidate: dict, reference: dict, tolerance: float) -> GateDecision:
    """Compares overall means; a metric neither side could score is skipped."""
    reasons = []
    for metric in METRICS:
        new, old = candidate["overall"].get(metric), reference["overall"].get(metric)
        if new is None or old is None:
            continue
        if new < old - tolerance:
            reasons.append(f"{metric} {new:.3f} < {old:.3f} - {tolerance:g}")
    return GateDecision(not reasons, reasons)


def compare(settings: Settings, adapter_id: str, *, progress: Callable | None = None) -> dict:
    """Evaluates the candidate and the answering adapter (or base) on the candidate's eval split
    and the golden set; stores and returns the comparison (plot: eval.png beside the adapter)."""
    with session_scope(settings) as session:
        row = adapters.get(session, adapter_id)
        current = adapters.promoted(session)
        _check_base(settings, row)
        reference = (current.id, current.path) if current and current.id != row.id else (None, None)
        dataset_version, path = row.dataset_version, row.path
    split_rows, verified = _eval_split(settings, dataset_version)
    golden = load_golden(settings) + verified
    shared = {"split_rows": split_rows, "golden": golden, "progress": progress}
    candidate = evaluate_model(settings, adapter_path=path, adapter_id=adapter_id, **shared)
    baseline = evaluate_model(
        settings, adapter_path=reference[1], adapter_id=reference[0], **shared
    )
    decision = gate(candidate, baseline, settings.adapter_gate_tolerance)
    comparison = {
        "candidate": candidate,
        "reference": baseline,
        "reference_id": reference[0],
        "tolerance": settings.adapter_gate_tolerance,
        "gate": {"passed": decision.passed, "reasons": decision.reasons},
    }
    with session_scope(settings) as session:
        adapters.get(session, adapter_id).metrics = comparison
    plot_comparison(comparison, Path(path) / EVAL_PLOT)
    return comparison


def promote(
    settings: Settings,
    adapter_id: str,
    *,
    force: bool = False,
    actor: str = "cli",
    progress: Callable | None = None,
) -> dict:
    """Promotes after the gate; re-evaluates when the stored comparison is against an adapter
    that no longer answers. Returns the comparison used."""
    with session_scope(settings) as session:
        row = adapters.get(session, adapter_id)
        if row.status == adapters.PROMOTED:
            raise PromotionRefused(f"adapter {adapter_id}: already answering")
        _check_base(settings, row)
        current = adapters.promoted(session)
        stale = row.metrics.get("reference_id", "none") != (current.id if current else None)
    comparison = compare(settings, adapter_id, progress=progress) if stale else row.metrics
    passed = comparison["gate"]["passed"]
    if passed or force:
        _ready_to_serve(settings, adapter_id, row.path)
    with session_scope(settings) as session:
        row = adapters.get(session, adapter_id)
        if not passed and not force:
            audit.record(
                session,
                "adapter.promote",
                actor=actor,
                target=adapter_id,
                outcome="refused",
                reasons=comparison["gate"]["reasons"],
            )
        else:
            replaced = adapters.promote(session, row)
            audit.record(
                session,
                "adapter.promote",
                actor=actor,
                target=adapter_id,
                forced=force and not passed,
                replaced=replaced.id if replaced else None,
            )
    if not passed and not force:  # raised after the refusal is on record
        reasons = "; ".join(comparison["gate"]["reasons"])
        raise PromotionRefused(
            f"adapter {adapter_id} measures worse than "
            f"{comparison['reference_id'] or 'the base model'}: {reasons} "
            "(use --force to promote anyway)"
        )
    return comparison


def rollback(settings: Settings, *, actor: str = "cli") -> tuple[str, str | None]:
    """Retires the answering adapter; returns (retired id, now answering id or None = base)."""
    with session_scope(settings) as session:
        current = adapters.promoted(session)
        if current is None:
            raise PromotionRefused("no adapter is answering: the base model already is")
        current.status = adapters.REJECTED
        earlier = adapters.previous(session)
        if earlier is not None:
            _ready_to_serve(settings, earlier.id, earlier.path)
            adapters.promote(session, earlier)
        audit.record(
            session,
            "adapter.rollback",
            actor=actor,
            target=current.id,
            restored=earlier.id if earlier else None,
        )
        return current.id, earlier.id if earlier else None


def _ready_to_serve(settings: Settings, adapter_id: str, path: str) -> None:
    """The engine can answer with the adapter before workers are pointed at it: converted for
    llama.cpp, or served by name by the model server."""
    from workers.generation.engines import prepare_adapter
    from workers.generation.loading import ModelUnavailable

    try:
        prepare_adapter(settings, adapter_id, path)
    except (ModelUnavailable, TransientError) as exc:
        raise PromotionRefused(f"adapter {adapter_id} cannot answer yet: {exc}") from exc


def _check_base(settings: Settings, row: Adapter) -> None:
    serving = model_id(settings.llm_model)
    if row.base_model != serving:
        raise PromotionRefused(
            f"adapter {row.id} was trained on {row.base_model}, but the "
            f"workers run {serving} (FAQBOT_LLM_MODEL)"
        )


def _eval_split(settings: Settings, version: str | None) -> tuple[list[dict], list]:
    """The dataset's held-out examples, and its held-out verified answers as golden questions."""
    from pipelines.curation.versions import DatasetNotFound, read_jsonl, resolve_dataset

    try:
        files = resolve_dataset(settings, version)
    except DatasetNotFound:
        return [], []  # trained from a file: the golden set alone decides
    if not (files.eval and files.eval.is_file()):
        return [], []
    return read_jsonl(files.eval), verified_golden(files.eval.with_name("golden.jsonl"))


def plot_comparison(comparison: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    names = {
        "candidate": comparison["candidate"]["adapter"],
        "reference": comparison["reference_id"] or "base model",
    }
    figure, axes = plt.subplots(figsize=(8, 4))
    width = 0.38
    for offset, side in ((-width / 2, "reference"), (width / 2, "candidate")):
        values = [comparison[side]["overall"].get(m) or 0.0 for m in METRICS]
        bars = axes.bar([i + offset for i in range(len(METRICS))], values, width, label=names[side])
        axes.bar_label(bars, fmt="%.2f", fontsize=8)
    axes.set_xticks(range(len(METRICS)), [m.replace("_", " ") for m in METRICS])
    axes.set_ylim(0, 1.1)
    verdict = "passes" if comparison["gate"]["passed"] else "fails"
    axes.set_title(f"{names['candidate']} vs {names['reference']}: {verdict} the gate")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
