"""`faqbot eval` and `faqbot adapters`: measure a trained adapter, promote it through the gate,
roll back."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from cli.console import ProgressBar, database_ready, fail, out

adapters_app = typer.Typer(
    help="The adapter registry: list, promote through the evaluation gate, roll back.",
    no_args_is_help=True,
)


def _errors():
    from faqbot.db.adapters import UnknownAdapter
    from faqbot.db.engine import DatabaseUnavailable
    from pipelines.curation.versions import DatasetInvalid
    from pipelines.evaluation.gate import PromotionRefused
    from pipelines.evaluation.golden import GoldenSetInvalid
    from workers.generation.loading import ModelUnavailable

    return (
        UnknownAdapter,
        DatabaseUnavailable,
        DatasetInvalid,
        PromotionRefused,
        GoldenSetInvalid,
        ModelUnavailable,
    )


def evaluate(
    adapter: Annotated[
        str, typer.Option(help="The adapter to measure (see `faqbot adapters list`).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
) -> None:
    """Measure an adapter beside the one answering now (or the base model).

    On the held-out split of its dataset and on the golden set: token F1 and ROUGE-L against
    the reference answer, citation accuracy and refusal correctness. Prints a table, saves a
    bar chart as eval.png beside the adapter, and stores the figures for the gate.
    """
    from pipelines.evaluation.gate import compare

    settings = database_ready()
    try:
        with ProgressBar(disable=as_json) as bar:
            comparison = compare(settings, adapter, progress=bar)
    except _errors() as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(comparison))
        return
    out.print(comparison_table(comparison))
    gate = comparison["gate"]
    verdict = (
        "passes the gate" if gate["passed"] else "fails the gate: " + "; ".join(gate["reasons"])
    )
    out.print(f"{adapter} {verdict} (plot: eval.png in its folder)", markup=False)


def comparison_table(comparison: dict) -> Table:
    from pipelines.evaluation.evaluate import METRICS

    reference = comparison["reference_id"] or "base model"
    table = Table("set", "metric", reference, comparison["candidate"]["adapter"], "change")
    for part in ("eval_split", "golden", "overall"):
        for metric in METRICS:
            old, new = comparison["reference"][part][metric], comparison["candidate"][part][metric]
            if old is None and new is None:
                continue
            change = f"{new - old:+.3f}" if old is not None and new is not None else "-"
            table.add_row(
                f"{part} (n={comparison['candidate'][part]['n']})",
                metric,
                _fmt(old),
                _fmt(new),
                change,
            )
    return table


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@adapters_app.command("list")
def adapters_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the registry as JSON.")] = False,
) -> None:
    """List trained adapters: base model, dataset, status and gate figures, newest first."""
    from faqbot.db import adapters
    from faqbot.db.engine import session_scope

    settings = database_ready()
    with session_scope(settings) as session:
        rows = [_adapter_json(row) for row in adapters.all_adapters(session)]
    if as_json:
        print(json.dumps(rows))
        return
    table = Table("adapter", "status", "base model", "dataset", "steps", "F1", "vs", "gate")
    for r in rows:
        metrics, overall = r["metrics"], (r["metrics"].get("candidate") or {}).get("overall", {})
        gate = metrics.get("gate", {})
        table.add_row(
            r["id"],
            r["status"],
            r["base_model"],
            r["dataset_version"] or "-",
            str(r["training"].get("steps", "-")),
            _fmt(overall.get("token_f1")),
            metrics.get("reference_id") or ("base" if metrics else "-"),
            ("pass" if gate.get("passed") else "fail") if gate else "not run",
        )
    out.print(table if rows else "No adapters yet: `faqbot train`.")


def _adapter_json(row) -> dict:
    return {
        "id": row.id,
        "status": row.status,
        "base_model": row.base_model,
        "dataset_version": row.dataset_version,
        "path": row.path,
        "metrics": row.metrics,
        "training": row.training,
        "created_at": row.created_at.isoformat(),
        "promoted_at": row.promoted_at.isoformat() if row.promoted_at else None,
    }


@adapters_app.command("promote")
def adapters_promote(
    adapter: Annotated[str, typer.Argument(help="The adapter to make the answering one.")],
    force: Annotated[bool, typer.Option(help="Promote even if it measures worse.")] = False,
) -> None:
    """Make an adapter the one that answers, if it measures at least as well as the current one
    (within FAQBOT_ADAPTER_GATE_TOLERANCE on every metric); evaluates first when needed.
    Answer workers switch to it within FAQBOT_ADAPTER_REFRESH_S, without a restart."""
    from pipelines.evaluation.gate import promote

    settings = database_ready()
    try:
        with ProgressBar() as bar:
            comparison = promote(settings, adapter, force=force, progress=bar)
    except _errors() as exc:
        fail(str(exc), code=1)
    forced = " (forced past the gate)" if not comparison["gate"]["passed"] else ""
    out.print(
        f"promoted {adapter}{forced}; it replaces {comparison['reference_id'] or 'the base model'}",
        markup=False,
    )


@adapters_app.command("rollback")
def adapters_rollback() -> None:
    """Retire the answering adapter and bring back the one before it (or the base model)."""
    from pipelines.evaluation.gate import rollback

    settings = database_ready()
    try:
        retired, restored = rollback(settings)
    except _errors() as exc:
        fail(str(exc), code=1)
    out.print(f"rolled back {retired}; now answering: {restored or 'the base model'}", markup=False)
