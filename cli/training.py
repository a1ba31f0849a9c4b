"""`faqbot train`: a QLoRA adapter from a dataset version, registered as a candidate."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.console import ProgressBar, fail, out
from faqbot.settings import load_settings

DATASET_HELP = (
    "Dataset version, or a JSONL file of prompt-completion pairs (default: the newest version)."
)


def train(
    base: Annotated[
        str | None, typer.Option(help="Base model id or path (default: FAQBOT_LLM_MODEL).")
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(help=DATASET_HELP),
    ] = None,
    max_steps: Annotated[int, typer.Option(min=1, help="Optimizer steps to run.")] = 100,
    four_bit: Annotated[
        bool, typer.Option("--4bit/--no-4bit", help="Load the base in 4-bit NF4 (QLoRA).")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run as JSON.")] = False,
) -> None:
    """Train a LoRA adapter with QLoRA on a dataset version and register it as a candidate.

    The adapter, its training record and a loss-curve PNG are saved under DATA_DIR/adapters/ID.
    It answers nothing until `faqbot adapters promote ID` (which runs the evaluation gate).
    Example, on a GPU machine with Phi-3:

        FAQBOT_LLM_MODEL=microsoft/Phi-3-mini-4k-instruct faqbot train --max-steps 300
    """
    from faqbot.db.engine import DatabaseUnavailable
    from faqbot.db.migrate import ensure_schema
    from pipelines.curation.versions import DatasetInvalid, DatasetNotFound, resolve_dataset
    from pipelines.training.qlora import TrainingError, register_run, train_adapter
    from pipelines.training.targets import TargetModulesError
    from workers.generation.loading import ModelUnavailable

    settings = load_settings()
    try:
        ensure_schema(settings)
        files = resolve_dataset(settings, dataset)
        with ProgressBar(disable=as_json) as bar:
            run = train_adapter(
                settings, files, base=base, max_steps=max_steps, four_bit=four_bit, progress=bar
            )
        register_run(settings, run, actor="cli")
    except (
        DatasetNotFound,
        DatasetInvalid,
        TrainingError,
        TargetModulesError,
        ModelUnavailable,
        DatabaseUnavailable,
    ) as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(run.to_json()))
        return
    losses = [loss for _, loss in run.losses]
    out.print(
        f"adapter {run.adapter_id}: {run.steps} steps on {run.examples} examples of "
        f"{run.dataset_version}, {run.seconds_per_step:.2f} s/step, peak "
        f"{run.peak_memory_mb:.0f} MB on {run.device}",
        markup=False,
    )
    if losses:
        out.print(f"  training loss {losses[0]:.3f} → {losses[-1]:.3f}", markup=False)
    if run.eval_loss_before is not None:
        out.print(
            f"  eval loss {run.eval_loss_before:.3f} → {run.eval_loss_after:.3f}", markup=False
        )
    out.print(
        f"  saved in {run.path} (loss curve: loss.png); next: faqbot eval --adapter "
        f"{run.adapter_id}",
        markup=False,
    )


def retrain(
    max_steps: Annotated[
        int | None, typer.Option(min=1, help="Training steps (default FAQBOT_RETRAIN_MAX_STEPS).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run the retraining loop now, as `faqbot beat` does on FAQBOT_RETRAIN_SCHEDULE.

    Skips, saying why, below FAQBOT_RETRAIN_MIN_EXAMPLES new examples; otherwise builds a
    dataset, trains, evaluates, and promotes only if the gate passes. The summary also goes to
    FAQBOT_ADMIN_CHANNEL.
    """
    from faqbot.db.engine import DatabaseUnavailable
    from faqbot.db.migrate import ensure_schema
    from pipelines.curation.build import DatasetEmpty
    from pipelines.evaluation.golden import GoldenSetInvalid
    from pipelines.training.qlora import TrainingError
    from pipelines.training.retrain import retrain as run_retrain
    from pipelines.training.retrain import summary_text
    from pipelines.training.targets import TargetModulesError
    from workers.generation.loading import ModelUnavailable

    settings = load_settings()
    try:
        ensure_schema(settings)
        with ProgressBar(disable=as_json) as bar:
            summary = run_retrain(settings, max_steps=max_steps, progress=bar)
    except (
        DatasetEmpty,
        TrainingError,
        TargetModulesError,
        ModelUnavailable,
        GoldenSetInvalid,
        DatabaseUnavailable,
    ) as exc:
        fail(str(exc))
    if as_json:
        print(summary.model_dump_json(exclude_none=True))
        return
    out.print(summary_text(summary), markup=False)
