"""QLoRA with trl's SFTTrainer: the base model in 4-bit NF4 (double quantization, bf16 compute
where the GPU has it), prepared for k-bit training, with LoRA r=16, alpha=32, dropout 0.05 on
the architecture's projection layers. Examples are prompt-completion pairs in the chat format
the answer chain serves, and the loss counts only the completion (the answer) tokens.

Runs on CUDA and on CPU (bitsandbytes has CPU 4-bit kernels; slow, but real)."""

from __future__ import annotations

import datetime as dt
import json
import resource
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from faqbot.settings import Settings, model_id
from pipelines.curation.versions import DatasetFiles, read_jsonl
from pipelines.training.targets import lora_targets

LORA_R, LORA_ALPHA, LORA_DROPOUT = 16, 32, 0.05
TRAINING_RECORD = "training.json"
LOSS_PLOT = "loss.png"


class TrainingError(ValueError):
    """Training cannot start as asked; the message says why."""


@dataclass
class TrainingRun:
    adapter_id: str
    path: str
    base_model: str
    dataset_version: str
    four_bit: bool
    target_modules: list[str]
    steps: int
    examples: int
    seconds: float
    seconds_per_step: float
    peak_memory_mb: float
    device: str
    eval_loss_before: float | None = None
    eval_loss_after: float | None = None
    losses: list[tuple[int, float]] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def train_adapter(
    settings: Settings,
    dataset: DatasetFiles,
    *,
    base: str | None = None,
    max_steps: int = 100,
    four_bit: bool = True,
    adapter_id: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> TrainingRun:
    """Trains a new adapter on `dataset` and saves it under the adapters dir with its loss
    curve; returns what happened. Registering it is the caller's business."""
    import torch

    base = base or settings.llm_model
    train_rows = _pairs(read_jsonl(dataset.train), weighted=True)
    if not train_rows:
        raise TrainingError(f"dataset {dataset.version}: no training examples")
    eval_rows = _pairs(read_jsonl(dataset.eval)) if dataset.eval and dataset.eval.is_file() else []
    adapter_id = adapter_id or new_adapter_id()
    target = settings.adapters_dir / adapter_id
    if target.exists():
        raise TrainingError(f"adapter {adapter_id}: already exists at {target}")
    started = time.perf_counter()
    model, tokenizer, targets = _peft_model(settings, base, four_bit)
    trainer = sft_trainer(
        settings,
        model,
        tokenizer,
        train_rows,
        eval_rows,
        max_steps,
        target.with_name(target.name + ".partial"),
        progress,
    )
    before = trainer.evaluate()["eval_loss"] if eval_rows else None
    train_started = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - train_started
    after = trainer.evaluate()["eval_loss"] if eval_rows else None
    steps = trainer.state.global_step
    run = TrainingRun(
        adapter_id=adapter_id,
        path=str(target),
        base_model=model_id(base),
        dataset_version=dataset.version,
        four_bit=four_bit,
        target_modules=targets,
        steps=steps,
        examples=len(train_rows),
        seconds=round(time.perf_counter() - started, 1),
        seconds_per_step=round(train_seconds / max(steps, 1), 3),
        peak_memory_mb=round(_peak_memory_mb(torch), 1),
        device=str(model.device),
        eval_loss_before=_rounded(before),
        eval_loss_after=_rounded(after),
        losses=[(e["step"], round(e["loss"], 4)) for e in trainer.state.log_history if "loss" in e],
    )
    _save(model, run, target)
    return run


def register_run(settings: Settings, run: TrainingRun, *, actor: str) -> None:
    """The new adapter enters the registry as a candidate, and the audit log says who trained it."""
    from faqbot.db import adapters, audit
    from faqbot.db.engine import session_scope

    with session_scope(settings) as session:
        adapters.register(
            session,
            run.adapter_id,
            base_model=run.base_model,
            path=run.path,
            dataset_version=run.dataset_version,
            training=run.to_json(),
        )
        audit.record(
            session,
            "adapter.train",
            actor=actor,
            target=run.adapter_id,
            dataset=run.dataset_version,
            steps=run.steps,
        )


def new_adapter_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("ad-%Y%m%d-%H%M%S")


def _pairs(rows: list[dict], weighted: bool = False) -> list[dict]:
    """Only what the trainer reads (extra columns such as rule and cluster would reach the
    collator); `weighted`: each row as many times as its weight (a verified answer counts
    the most)."""
    return [
        {"prompt": r["prompt"], "completion": r["completion"]}
        for r in rows
        for _ in range(int(r.get("weight", 1)) if weighted else 1)
    ]


def _quiet_renames() -> None:
    """transformers 5 renamed gradient checkpointing, and peft and trl still use the old names:
    one FutureWarning per call is noise for whoever runs `faqbot train`."""
    import warnings

    warnings.filterwarnings("ignore", message=r".*gradient_checkpointing.*", category=FutureWarning)


def _peft_model(settings: Settings, base: str, four_bit: bool):
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    _quiet_renames()
    from workers.generation.loading import load_model

    loaded = load_model(base, cache_dir=settings.model_cache_dir, four_bit=four_bit)
    model = loaded.model
    model.config.use_cache = False  # the KV cache is for generation; training recomputes
    targets = lora_targets(model, settings.lora_target_modules)
    if four_bit:
        _keep_cpu_weights_trainable(model)
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    config = LoraConfig(
        r=LORA_R,
        lora_alpha=LORA_ALPHA,
        lora_dropout=LORA_DROPOUT,
        target_modules=targets,
        bias="none",
        task_type="CAUSAL_LM",
    )
    tokenizer = loaded.tokenizer
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return get_peft_model(model, config), tokenizer, targets


def _keep_cpu_weights_trainable(model) -> None:
    """bitsandbytes repacks a 4-bit layer for a faster CPU kernel the first time it runs in eval
    mode, and that kernel has no backward: after the eval before training, gradients would no
    longer flow through the frozen layers to the LoRA weights below them. Training keeps the
    plain layout."""
    for module in model.modules():
        if hasattr(module, "support_avx512bf16_for_cpu"):
            module.support_avx512bf16_for_cpu = False


def sft_trainer(
    settings: Settings,
    model,
    tokenizer,
    train_rows,
    eval_rows,
    max_steps: int,
    output_dir: Path,
    progress,
):
    import datasets
    import torch
    from transformers import PrinterCallback, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    datasets.disable_progress_bars()  # ours shows the steps; its per-map bars are noise
    cuda = torch.cuda.is_available()

    class Progress(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if progress:
                progress("training steps", state.global_step, state.max_steps)

    config = SFTConfig(
        output_dir=str(output_dir),
        max_steps=max_steps,
        learning_rate=settings.train_learning_rate,
        per_device_train_batch_size=settings.train_batch_size,
        per_device_eval_batch_size=settings.train_batch_size,
        gradient_accumulation_steps=settings.train_gradient_accumulation,
        lr_scheduler_type="constant_with_warmup",
        warmup_steps=min(10, max_steps // 10),
        max_length=settings.train_max_length,
        completion_only_loss=True,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        bf16=cuda and torch.cuda.is_bf16_supported(),
        use_cpu=not cuda,
        dataloader_num_workers=0,
        seed=settings.train_seed,
    )
    trainer = SFTTrainer(
        model=model,
        args=config,
        processing_class=tokenizer,
        train_dataset=datasets.Dataset.from_list(train_rows),
        eval_dataset=datasets.Dataset.from_list(eval_rows) if eval_rows else None,
        callbacks=[Progress()],
    )
    trainer.remove_callback(PrinterCallback)  # the losses go to the record and the plot
    return trainer


def _peak_memory_mb(torch) -> float:
    """GPU memory on CUDA; the process's peak resident memory on CPU."""
    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _save(model, run: TrainingRun, target: Path) -> None:
    """The adapter, its training record and loss curve, appearing whole or not at all."""
    partial = target.with_name(target.name + ".partial")
    model.save_pretrained(partial)
    for leftover in partial.glob("checkpoint-*"):
        shutil.rmtree(leftover)
    (partial / TRAINING_RECORD).write_text(json.dumps(run.to_json(), indent=2) + "\n")
    plot_losses(run, partial / LOSS_PLOT)
    partial.rename(target)


def plot_losses(run: TrainingRun, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4))
    if run.losses:
        steps, losses = zip(*run.losses, strict=True)
        axes.plot(steps, losses, label="training loss", color="tab:blue")
    for value, label, style in (
        (run.eval_loss_before, "eval loss before", ":"),
        (run.eval_loss_after, "eval loss after", "--"),
    ):
        if value is not None:
            axes.axhline(value, linestyle=style, color="tab:orange", label=label)
    axes.set_xlabel("step")
    axes.set_ylabel("loss (answer tokens)")
    precision = "4-bit NF4" if run.four_bit else "full precision"
    axes.set_title(
        f"{run.adapter_id} ({precision})\n{Path(run.base_model).name} on {run.dataset_version}",
        fontsize=10,
    )
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
