"""`faqbot bench …`: the benchmarks whose figures go in the README."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from faqbot.cli.console import ProgressBar, fail, out
from faqbot.settings import load_settings

bench_app = typer.Typer(help="Benchmarks whose figures go in the README.", no_args_is_help=True)


@bench_app.command("retrieval")
def bench_retrieval(
    dataset: Annotated[
        str, typer.Option(help="'sample' (shipped) or the StackFAQ folder (has BENCHMARK.md).")
    ] = "sample",
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """nDCG@10, MRR@10 and hit@k of bm25-only, dense-only and the default retrieval.

    StackFAQ follows its BENCHMARK.md: answers-only corpus, figures on the test split. The
    sample set reports all questions and its exact-term questions separately. Runs in a fresh
    temporary store, so the live knowledge base is untouched.
    """
    from pipelines.bench.retrieval import run_retrieval_benchmark

    settings = load_settings()
    try:
        result = run_retrieval_benchmark(dataset, settings, progress=ProgressBar(as_json))
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(result))
        return
    _print_bench(result)


@bench_app.command("answer")
def bench_answer(
    dataset: Annotated[
        str, typer.Option(help="'sample' (shipped) or the StackFAQ folder (has BENCHMARK.md).")
    ] = "sample",
    limit: Annotated[
        int | None, typer.Option(min=1, help="Answer only N questions, spread over the set.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Citation hit rate, refusal rates, token-F1, latency and tokens/s of the answer chain.

    Off-topic questions (the sample's off-topic set) are asked too: refusing them is right.
    Runs in a fresh temporary store with the configured model.
    """
    from pipelines.bench.answer import run_answer_benchmark
    from workers.generation.loading import ModelUnavailable

    settings = load_settings()
    try:
        result = run_answer_benchmark(dataset, settings, limit=limit, progress=ProgressBar(as_json))
    except (FileNotFoundError, ValueError, ModelUnavailable) as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(result))
        return
    table = Table("figure", "value", title=f"answers: {result['dataset']} ({result['model']})")
    for key, value in result.items():
        if key not in ("dataset", "model"):
            table.add_row(key, str(value))
    out.print(table)


def _print_bench(result: dict) -> None:
    for split_name, systems in _bench_tables(result):
        table = Table(title=split_name)
        metrics = list(next(iter(systems.values())))
        table.add_column("system")
        for metric in metrics:
            table.add_column(metric, justify="right")
        for system, figures in systems.items():
            table.add_row(system, *(f"{figures[m]:.3f}" for m in metrics))
        out.print(table)
    if "ingest" in result:
        out.print("ingest: " + ", ".join(f"{k} {v}" for k, v in result["ingest"].items()))


def _bench_tables(result: dict):
    yield f"{result['dataset']} ({result['split']}, {result['queries']} queries)", result["systems"]
    if "exact_term" in result:
        exact = result["exact_term"]
        yield f"exact-term questions ({exact['queries']})", exact["systems"]
