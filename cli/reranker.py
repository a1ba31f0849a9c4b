"""`faqbot reranker …`: the cross-encoder that reorders retrieval's candidates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.console import ProgressBar, fail, out
from faqbot.settings import load_settings

reranker_app = typer.Typer(
    help="The cross-encoder reranker (FAQBOT_RERANKER_PATH).", no_args_is_help=True
)


@reranker_app.command("train")
def reranker_train(
    stackfaq: Annotated[Path, typer.Option(help="The StackFAQ folder (has BENCHMARK.md).")],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="New directory for the model (default: DATA_DIR/reranker)."),
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, max=10, help="Passes over the dev questions.")] = 1,
    loss: Annotated[str, typer.Option(help="listwise (softmax over a group) or bce.")] = "listwise",
    negatives: Annotated[
        int, typer.Option(min=1, help="Hard negatives per question and step.")
    ] = 3,
    max_length: Annotated[
        int, typer.Option(min=16, max=512, help="Tokens of question + passage read.")
    ] = 128,
    freeze_layers: Annotated[
        int, typer.Option(min=0, max=6, help="Lowest encoder layers left as they are.")
    ] = 3,
    hold_out: Annotated[
        bool,
        typer.Option(help="Train on every other dev thread and score the rest (to tune)."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run as JSON.")] = False,
) -> None:
    """Train a cross-encoder from the bundled MiniLM on StackFAQ's dev threads.

    Hard negatives are today's retrieval's top candidates from other threads. Saves the
    model, its tokenizer and reranker.json (base, data, steps, dev figures for each candidate
    depth and blend weight) in --out; set FAQBOT_RERANKER_PATH to it to rerank.
    """
    from pipelines.evaluation.question_sets import load_stackfaq
    from pipelines.training.reranker import RerankerTrainingError, train_reranker
    from workers.embedder import EmbedderUnavailable

    settings = load_settings()
    folder = out_dir or settings.data_dir / "reranker"
    try:
        data = load_stackfaq(stackfaq)
        with ProgressBar(disable=as_json) as bar:
            run = train_reranker(
                data,
                folder,
                settings,
                epochs=epochs,
                loss=loss,
                negatives=negatives,
                max_length=max_length,
                freeze_layers=freeze_layers,
                hold_out=hold_out,
                progress=bar,
            )
    except (FileNotFoundError, RerankerTrainingError, EmbedderUnavailable) as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(run.to_json()))
        return
    out.print(
        f"reranker: {run.steps} steps ({run.epochs} epochs, {run.loss}) on "
        f"{run.data['groups']} questions in {run.seconds:.0f} s; saved in {run.path}",
        markup=False,
    )
    dev = dict(run.dev)
    which = "held-out dev threads" if dev.pop("held_out") else "dev threads trained on"
    table = Table("system", "ndcg@10", "mrr@10", "hit@5", title=f"{which} ({dev.pop('queries')})")
    for name, figures in dev.items():
        table.add_row(name, *(f"{figures[m]:.3f}" for m in ("ndcg@10", "mrr@10", "hit@5")))
    out.print(table)
    out.print(f"next: FAQBOT_RERANKER_PATH={run.path} faqbot bench retrieval", markup=False)
