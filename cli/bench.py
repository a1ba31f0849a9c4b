"""`faqbot bench …`: the benchmarks whose figures go in the README."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.console import ProgressBar, fail, out
from faqbot.settings import load_settings

bench_app = typer.Typer(help="Benchmarks whose figures go in the README.", no_args_is_help=True)


@bench_app.command("retrieval")
def bench_retrieval(
    dataset: Annotated[
        str,
        typer.Option(
            help="'sample' (the shipped handbook), 'longdocs' (the long licence texts in "
            "sample_kb/longdocs) or the StackFAQ folder (has BENCHMARK.md)."
        ),
    ] = "sample",
    feedback_faq: Annotated[
        bool,
        typer.Option(help="StackFAQ: also measure FAQ entries built from dev-thread feedback."),
    ] = False,
    reranker: Annotated[
        str | None,
        typer.Option(
            help="Also measure the default reranked by this cross-encoder directory "
            "(default: FAQBOT_RERANKER_PATH, when set)."
        ),
    ] = None,
    dev: Annotated[
        bool,
        typer.Option(
            help="StackFAQ: also measure the dev split, the one to tune on (--no-dev: test only, "
            "in half the time)."
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """nDCG@10, MRR@10 and hit@k of bm25-only, dense-only and the default retrieval, and of
    the default reranked when a reranker is configured or given.

    StackFAQ follows its BENCHMARK.md: answers-only corpus, figures on the test split. The
    sample set reports all questions and its exact-term questions separately. Runs in a fresh
    temporary store, so the live knowledge base is untouched.
    """
    from pathlib import Path

    from pipelines.bench.retrieval import run_retrieval_benchmark
    from workers.reranker import RerankerUnavailable

    settings = load_settings()
    try:
        result = run_retrieval_benchmark(
            dataset,
            settings,
            progress=ProgressBar(as_json),
            feedback_faq=feedback_faq,
            reranker=Path(reranker) if reranker else None,
            dev=dev,
        )
    except (FileNotFoundError, ValueError, RerankerUnavailable) as exc:
        fail(str(exc))
    _emit(result, as_json, _print_bench)


@bench_app.command("answer")
def bench_answer(
    dataset: Annotated[
        str,
        typer.Option(
            help="'sample' (the shipped handbook), 'longdocs' (the long licence texts in "
            "sample_kb/longdocs) or the StackFAQ folder (has BENCHMARK.md)."
        ),
    ] = "sample",
    limit: Annotated[
        int | None, typer.Option(min=1, help="Answer only N questions, spread over the set.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(help="An earlier run's --json output, to compare with (needs --plot)."),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Save a before/after bar chart here (PNG).")
    ] = None,
) -> None:
    """Recall@5, citation hit rate, refusal rates, token-F1, reference words, the share of
    generated answers, time to the first text and to the final answer, and tokens/s.

    Off-topic questions (the sample's off-topic set) are asked too: refusing them is right.
    Runs in a fresh temporary store with the configured model.
    """
    from pipelines.bench.answer import plot_answer_comparison, run_answer_benchmark
    from workers.generation.loading import ModelUnavailable

    before = _baseline(baseline) if baseline else {}
    settings = load_settings()
    try:
        result = run_answer_benchmark(dataset, settings, limit=limit, progress=ProgressBar(as_json))
    except (FileNotFoundError, ValueError, ModelUnavailable) as exc:
        fail(str(exc))
    if plot:
        plot_answer_comparison(before, result, plot)
    _emit(result, as_json, _print_answer_bench)


@bench_app.command("support")
def bench_support(
    dataset: Annotated[
        str,
        typer.Option(
            help="'sample' or 'longdocs': the sets with a tuning half (odd-numbered questions)."
        ),
    ] = "sample",
    bars: Annotated[
        str | None,
        typer.Option(
            help="The support bars to measure, comma-separated cosines "
            "(default: 0.60 to 0.90 in steps of 0.05)."
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Answer only N questions, spread over the set.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    plot: Annotated[
        Path | None, typer.Option(help="Save token-F1 against the bar here (PNG).")
    ] = None,
) -> None:
    """Where to set FAQBOT_SUPPORT_THRESHOLD for the configured model: token-F1 of what the
    asker would be shown at each bar, on the tuning and held-out halves, beside the quote alone.

    The model answers each question once with the check off; each bar is then applied to that
    text as the chain applies it (the model stops at its first unbacked sentence; the quote
    stands when nothing before it was backed). Also: the share of answers the model's text
    replaced, and how many turned-away sentences said the reference (correct paraphrases
    lost). The best bar on the tuning half is named; judge it on the held-out half.
    """
    from pipelines.bench.support import BARS, plot_support, run_support_benchmark
    from workers.generation.loading import ModelUnavailable

    if dataset not in ("sample", "longdocs"):
        fail(f"--dataset {dataset}: only 'sample' and 'longdocs' have a tuning half")
    chosen = _bars(bars) if bars else BARS
    try:
        result = run_support_benchmark(
            dataset, load_settings(), bars=chosen, limit=limit, progress=ProgressBar(as_json)
        )
    except ModelUnavailable as exc:
        fail(str(exc))
    if plot:
        plot_support(result, plot)
    _emit(result, as_json, _print_support)


def _bars(text: str) -> tuple[float, ...]:
    try:
        bars = tuple(float(bar) for bar in text.split(",") if bar.strip())
    except ValueError:
        fail(f"--bars {text}: expected comma-separated numbers such as 0.7,0.8")
    if not bars or any(not -1.0 <= bar <= 1.0 for bar in bars):
        fail(f"--bars {text}: each bar is a cosine between -1 and 1")
    return bars


def _print_support(result: dict) -> None:
    table = Table(
        "bar",
        "token-F1 tuning",
        "token-F1 held out",
        "model's text kept",
        "turned away (saying the reference)",
        title=f"support bar: {result['dataset']} ({result['model']}), "
        f"{result['answered']} of {result['questions']} answered",
    )
    rows = [("check off", result["unchecked"])] + list(result["bars"].items())
    for bar, f in [*rows, ("quote alone", result["quote"])]:
        mark = " ← best on tuning" if bar == result["best_on_tuning"] else ""
        table.add_row(
            f"{bar}{mark}",
            _figure(f["token_f1_tuning"]),
            _figure(f["token_f1_held_out"]),
            f"{f['generated_rate']:.0%}",
            f"{f['dropped']} ({f['dropped_saying_reference']})",
        )
    out.print(table)
    out.print(f"FAQBOT_SUPPORT_THRESHOLD now: {result['configured_bar']}")


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _print_answer_bench(result: dict) -> None:
    table = Table("figure", "value", title=f"answers: {result['dataset']} ({result['model']})")
    for key, value in result.items():
        if key not in ("dataset", "model"):
            table.add_row(key, str(value))
    out.print(table)


@bench_app.command("generate")
def bench_generate(
    model: Annotated[
        list[str] | None,
        typer.Option(
            help="A GGUF model to measure (repeatable; default: FAQBOT_LLM_MODEL). The "
            "evaluation model: .eval-model/Qwen2.5-Coder-1.5B-Instruct.gguf (make eval-model)."
        ),
    ] = None,
    engine: Annotated[
        list[str] | None,
        typer.Option(
            help="transformers, llamacpp or openai (repeatable; default: all three). openai is "
            "FAQBOT_LLM_BASE_URL when set, else llama.cpp's server started on loopback."
        ),
    ] = None,
    questions: Annotated[
        int, typer.Option(min=1, help="Sample questions whose real prompts are timed.")
    ] = 8,
    new_tokens: Annotated[
        int, typer.Option(min=2, help="Tokens every answer is made to write.")
    ] = 80,
    concurrency: Annotated[
        list[int] | None,
        typer.Option(
            min=1,
            help="Requests in flight at once for the server's throughput (repeatable; "
            "default: 1, 4 and 16).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    plot: Annotated[
        Path | None, typer.Option(help="Save the whole-answer times as a bar chart (PNG).")
    ] = None,
) -> None:
    """Load time, time to the first token, prefill and decode tokens/s, whole-answer time and
    peak memory of each engine on the answer chain's real prompts, with ratios against
    transformers fp32 on the same model; for the server, throughput at 1, 4 and 16 (or
    --concurrency) concurrent requests. Each in-process engine runs in a process of its own."""
    from pipelines.bench.generate import CONCURRENCY, plot_generate, run_generate_benchmark
    from workers.generation.engines import ENGINES
    from workers.generation.llama_server import ServerFailed
    from workers.generation.loading import ModelUnavailable

    settings = load_settings()
    engines = engine or list(ENGINES)
    unknown = [name for name in engines if name not in ENGINES]
    if unknown:
        fail(f"--engine {unknown[0]}: not one of {', '.join(ENGINES)}")
    try:
        result = run_generate_benchmark(
            settings,
            models=model or [settings.llm_model],
            engines=engines,
            questions=questions,
            new_tokens=new_tokens,
            concurrency=tuple(sorted(set(concurrency or CONCURRENCY))),
            progress=ProgressBar(as_json),
        )
    except (FileNotFoundError, ValueError, ModelUnavailable, ServerFailed) as exc:
        fail(str(exc))
    if plot:
        plot_generate(result, plot)
    _emit(result, as_json, _print_generate)


def _print_generate(result: dict) -> None:
    table = Table(
        "model",
        "engine",
        "load s",
        "first token s",
        "prefill tok/s",
        "decode tok/s",
        "answer s",
        "peak MB",
        "decode ×",
        "answer ×",
        title=f"generate: {result['prompts']} prompts, {result['new_tokens']} new "
        f"tokens, {result['threads']} threads",
    )
    cell = lambda value, digits=2: "-" if value is None else f"{value:.{digits}f}"
    for row in result["rows"]:
        table.add_row(
            row["model"],
            row["engine"],
            cell(row["load_s"], 1),
            cell(row["first_token_p50_s"]),
            cell(row["prefill_tokens_per_s"], 0),
            cell(row["decode_tokens_per_s"], 1),
            cell(row["answer_p50_s"]),
            cell(row["peak_mb"], 0),
            cell(row.get("decode_vs_transformers"), 1),
            cell(row.get("answer_vs_transformers"), 1),
        )
    out.print(table)
    for row in result["rows"]:
        for level, figures in row.get("throughput", {}).items():
            out.print(
                f"{row['model']} server, {level} concurrent: "
                f"{figures['tokens_per_s']:.1f} tok/s, {figures['answers_per_min']:.1f} "
                f"answers/min, p50 {figures['latency_p50_s']:.1f} s",
                markup=False,
            )


@bench_app.command("workers")
def bench_workers(
    questions: Annotated[
        int, typer.Option(min=1, help="Questions pushed at once, spread over the sample set.")
    ] = 20,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Answer workers (processes); each gets cores / W torch threads."),
    ] = 1,
    ingest: Annotated[
        bool,
        typer.Option(
            "--ingest/--no-ingest",
            help="Also time ingestion: in-process, then through the ingest queue with 1 and 2 "
            "workers.",
        ),
    ] = True,
    redis_url: Annotated[
        str | None,
        typer.Option(
            help="Redis to run on (default: redis://127.0.0.1:6379/15, never FAQBOT_REDIS_URL, "
            "the live queue). Its database is FLUSHED at start: give one nothing else uses."
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(min=1, help="Seconds to wait for all replies (default: from N and W)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Throughput and latency of questions through Redis and real worker processes.

    Starts W `faqbot worker --queues answers` processes, pushes N questions at once, and
    reports throughput, p50/p95 queue wait and end-to-end time, and whether any question was
    lost or answered twice. With --ingest (the default), also reports ingestion chunks/s
    through the ingest queue with 1 and 2 workers against in-process. Runs in a fresh
    temporary data dir and database. The Redis database is flushed at start (FLUSHDB on that
    database only).
    """
    from pipelines.bench.queue_runs import BenchUnavailable
    from pipelines.bench.workers import run_workers_benchmark
    from workers.embedder import EmbedderUnavailable

    settings = load_settings()
    try:
        result = run_workers_benchmark(
            settings,
            questions=questions,
            workers=workers,
            redis_url=redis_url,
            ingest_workers=(1, 2) if ingest else (),
            timeout_s=timeout,
            progress=ProgressBar(as_json),
        )
    except (BenchUnavailable, EmbedderUnavailable, ValueError) as exc:
        fail(str(exc))
    _emit(result, as_json, _print_workers_bench)


@bench_app.command("slack-ack")
def bench_slack_ack(
    requests: Annotated[
        int, typer.Option(min=1, help="Signed events to send (after a warm-up).")
    ] = 1000,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Connections sending at once, each waiting for its 200.")
    ] = 50,
    redis_url: Annotated[
        str | None,
        typer.Option(
            help="Redis to run on (default: redis://127.0.0.1:6379/13, never FAQBOT_REDIS_URL). "
            "Its database is FLUSHED at start: give one nothing else uses."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Ack latency of the bot's HTTP endpoint under concurrent signed Slack events.

    Starts the real bot (`faqbot bot`, gunicorn) and a Slack Web API stand-in as their own
    processes, sends N signed @mentions over C keep-alive connections, and reports p50/p99
    from request to 200 (Slack allows 3 s), plus how long each event took to become an
    answer task on the queue. errors counts non-200 replies and events with no task.
    FAQBOT_SLACK_HTTP_* and FAQBOT_SLACK_INBOX_THREADS tune the bot as in production.
    """
    from pipelines.bench.queue_runs import BenchUnavailable
    from pipelines.bench.slack_ack import run_slack_ack_benchmark

    try:
        result = run_slack_ack_benchmark(
            requests=requests,
            concurrency=concurrency,
            redis_url=redis_url,
            progress=ProgressBar(as_json),
        )
    except BenchUnavailable as exc:
        fail(str(exc))
    _print_figures(result, f"Slack ack: {requests} events, {concurrency} at once", as_json)


@bench_app.command("soak")
def bench_soak(
    questions: Annotated[int, typer.Option(min=2, help="Questions to ask in all.")] = 200,
    users: Annotated[int, typer.Option(min=1, help="Slack users asking them, in turn.")] = 20,
    workers: Annotated[
        int, typer.Option(min=2, help="Answer worker processes; the first is killed midway.")
    ] = 2,
    rate: Annotated[float, typer.Option(min=0.01, help="Questions sent per second.")] = 0.25,
    redis_url: Annotated[
        str | None,
        typer.Option(
            help="Redis to run on (default: redis://127.0.0.1:6379/1, never FAQBOT_REDIS_URL). "
            "Its database is FLUSHED at start: give one nothing else uses."
        ),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=1, help="Seconds to wait for the last final reply.")
    ] = None,
    both_paths: Annotated[
        bool,
        typer.Option(
            "--both-paths",
            help="Run it twice, with native streaming and with chat.update edits, and compare.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """The whole system under a steady stream of questions, with one worker killed midway.

    Starts the real bot (HTTP mode), W answer workers and a Slack Web API stand-in on
    loopback, sends signed @mentions from U users at RATE per second, and SIGKILLs the first
    worker's process group after half of them. Every question must get exactly one final
    answer or apology: reports lost, duplicated, and p50/p95 from question to placeholder and
    to the final message. FAQBOT_LLM_MAX_NEW_TOKENS, FAQBOT_SLACK_NATIVE_STREAMING and the bot
    tuning apply; --both-paths runs it with streaming on, then off, and gives the ratio of
    their times to first text.
    """
    from pipelines.bench.queue_runs import BenchUnavailable
    from pipelines.bench.soak import run_soak_benchmark

    settings = load_settings()
    paths = [True, False] if both_paths else [settings.slack_native_streaming]
    runs = {}
    try:
        for native in paths:
            runs["native_stream" if native else "chat_update"] = run_soak_benchmark(
                settings.model_copy(update={"slack_native_streaming": native}),
                questions=questions,
                users=users,
                workers=workers,
                rate=rate,
                redis_url=redis_url,
                timeout_s=timeout,
                progress=ProgressBar(as_json),
            )
    except BenchUnavailable as exc:
        fail(str(exc))
    title = f"Soak: {questions} questions, {workers} workers"
    if not both_paths:
        return _print_figures(next(iter(runs.values())), title, as_json)
    native, edits = runs["native_stream"], runs["chat_update"]
    if native["p50_first_text_ms"] and edits["p50_first_text_ms"]:
        runs["first_text_p50_ratio"] = round(
            native["p50_first_text_ms"] / edits["p50_first_text_ms"], 3
        )
    _emit(runs, as_json, lambda result: _paths_table(result, title))


def _paths_table(runs: dict, title: str) -> None:
    table = Table("figure", "native stream", "chat.update", title=title)
    for key in runs["native_stream"]:
        if key != "lost_detail":
            table.add_row(key, str(runs["native_stream"][key]), str(runs["chat_update"][key]))
    out.print(table)
    if "first_text_p50_ratio" in runs:
        out.print(f"time to first text, p50, native / chat.update: {runs['first_text_p50_ratio']}")


def _print_figures(result: dict, title: str, as_json: bool) -> None:
    """One figure per row, or the JSON other tools read."""
    _emit(result, as_json, lambda figures: _figure_table(figures, title))


def _figure_table(result: dict, title: str) -> None:
    table = Table("figure", "value", title=title)
    for key, value in result.items():
        table.add_row(key, str(value))
    out.print(table)


def _emit(result: dict, as_json: bool, show: Callable[[dict], None]) -> None:
    """The JSON other tools read, or `show`'s tables for a person."""
    if as_json:
        print(json.dumps(result))
    else:
        show(result)


@bench_app.command("retrain")
def bench_retrain(
    dataset: Annotated[str, typer.Option(help="The StackFAQ folder (has BENCHMARK.md).")],
    steps: Annotated[int, typer.Option(min=1, help="QLoRA optimizer steps per run.")] = 20,
    held_out: Annotated[
        int, typer.Option(min=1, help="Test-thread questions answered before and after.")
    ] = 20,
    compare_precision: Annotated[
        bool, typer.Option(help="Also train in full precision, for time and memory.")
    ] = True,
    plot: Annotated[str | None, typer.Option(help="Save the 4-bit loss curve here (PNG).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Retrain on StackFAQ dev feedback and measure on held-out test threads.

    Dev-thread answers become 👍 feedback through the real dataset build; the configured model
    (FAQBOT_LLM_MODEL, the bundled SmolLM2 offline) is trained with QLoRA for --steps; the
    test threads' eval loss and token F1 are reported before and after, with seconds per step
    and peak memory, 4-bit vs full precision. Everything runs in a temporary data dir.
    """
    from pipelines.bench.retrain import run_retrain_benchmark
    from workers.generation.loading import ModelUnavailable

    settings = load_settings()
    try:
        result = run_retrain_benchmark(
            Path(dataset),
            settings,
            steps=steps,
            held_out=held_out,
            compare_precision=compare_precision,
            plot=Path(plot) if plot else None,
            progress=ProgressBar(as_json),
        )
    except (FileNotFoundError, ValueError, ModelUnavailable) as exc:
        fail(str(exc))
    _emit(result, as_json, _print_retrain_bench)


def _print_retrain_bench(result: dict) -> None:
    table = Table(
        "figure",
        "before",
        "after",
        title=f"retrain: {result['model']}, "
        f"{result['steps']} steps, {result['examples']['train']} examples",
    )
    for key in ("eval_loss", "token_f1"):
        table.add_row(key, str(result["before"][key]), str(result["after"][key]))
    out.print(table)
    out.print(
        f"4-bit: {result['seconds_per_step']} s/step, peak {result['peak_memory_mb']} MB",
        markup=False,
    )
    if "full_precision" in result:
        full = result["full_precision"]
        out.print(
            f"full precision: {full['seconds_per_step']} s/step, peak {full['peak_memory_mb']} MB",
            markup=False,
        )


def _print_workers_bench(result: dict) -> None:
    title = f"answers: {result['questions']} questions, {result['workers']} workers"
    table = Table("figure", "value", title=title)
    for key, value in result.items():
        if key not in ("questions", "workers", "ingest"):
            table.add_row(key, str(value))
    out.print(table)
    if "ingest" not in result:
        return
    ingest = {k: v for k, v in result["ingest"].items() if k != "sources"}
    table = Table(title=f"ingestion: {result['ingest']['sources']} sources")
    columns = ("workers", "torch_threads", "chunks", "seconds", "chunks_per_s", "vs_in_process")
    for column in ("run", *columns, "errors"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for name, run in ingest.items():
        table.add_row(name, *(str(run[c]) for c in columns), str(len(run["errors"])))
    out.print(table)
    for name, run in ingest.items():
        for error in run["errors"]:
            out.print(f"{name}: {error}", highlight=False, markup=False)


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
    level = f", {result['level']} level" if "level" in result else ""
    title = f"{result['dataset']} ({result['split']}, {result['queries']} queries{level})"
    yield title, result["systems"]
    if "dev" in result:
        yield "stackfaq (dev, the split to tune on)", result["dev"]
    if "feedback_faq" in result:
        faq = result["feedback_faq"]
        entries = faq["entries"]
        yield f"test + {entries} feedback FAQ entries", faq["test"]["after"]
        unseen = faq["dev_unseen"]
        yield f"dev, unseen paraphrases ({unseen['queries']}), before", unseen["before"]
        yield f"dev, unseen paraphrases, + {entries} feedback FAQ entries", unseen["after"]
    if "exact_term" in result:
        exact = result["exact_term"]
        yield f"exact-term questions ({exact['queries']})", exact["systems"]


def _baseline(path: Path) -> dict:
    """An earlier `bench answer --json` result, or a one-line refusal."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        fail(f"baseline {path}: not a readable JSON result ({type(exc).__name__})")
    if not isinstance(data, dict) or "token_f1" not in data:
        fail(f"baseline {path}: not a `faqbot bench answer --json` result")
    return data


@bench_app.command("verified")
def bench_verified(
    dataset: Annotated[str, typer.Option(help="The StackFAQ folder (has BENCHMARK.md).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """How often a question asked again is answered from the verified answer an expert gave
    the first time, and how often another question is wrongly given one.

    Every other StackFAQ thread is escalated (its first rephrasing asked, its first answer
    verified); its other rephrasings are asked later, and so are all rephrasings of the other
    threads; the knowledge base holds the answers of the threads nobody escalated. The answer
    weight, the knowledge-base weight and the bar are chosen on dev and measured on test; the
    figures with FAQBOT_VERIFIED_MATCH_THRESHOLD, FAQBOT_VERIFIED_ANSWER_WEIGHT and
    FAQBOT_VERIFIED_KB_WEIGHT are shown too.
    """
    from pipelines.bench.verified import run_verified_benchmark

    try:
        result = run_verified_benchmark(Path(dataset), load_settings(), ProgressBar(as_json))
    except FileNotFoundError as exc:
        fail(str(exc))
    _emit(result, as_json, _print_verified)


def _print_verified(result: dict) -> None:
    table = Table(title="Verified answers on StackFAQ (simulated escalations)")
    columns = ("split", "weights", "bar", "served", "wrong", "false matches", "from threads")
    for column in (*columns, "asked"):
        table.add_column(column)
    for name in ("dev", "test", "test_with_settings"):
        row = result[name]
        table.add_row(
            name.replace("_", " "),
            f"answer {row['answer_weight']:.2f}, KB {row['kb_weight']:.2f}",
            f"{row['threshold']:.3f}",
            f"{row['served_rate']:.1%}",
            f"{row['wrong_rate']:.1%}",
            f"{row['false_match_rate']:.1%}",
            f"{row['false_match_threads']} of {row['other_threads']}",
            f"{row['repeats']} again / {row['other_questions']} others",
        )
    out.print(table)


@bench_app.command("gaps")
def bench_gaps(
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="Ask only N sample and N off-topic questions (spread over each)."),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Save the week's answered / refused / escalated plot here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """A simulated week (the sample questions, the off-topic questions and a few recurring
    ones: sample_kb/gaps_week.jsonl) through the answer chain into a fresh database, then
    `faqbot gaps` over it: are the recurring off-topic and uncovered questions the largest
    gaps, and how much of the list is what the knowledge base lacks?"""
    from pipelines.bench.gaps import run_gaps_benchmark

    result = run_gaps_benchmark(
        load_settings(), limit=limit, plot=plot, progress=ProgressBar(as_json)
    )
    _emit(result, as_json, _print_gaps)


def _print_gaps(result: dict) -> None:
    table = Table(title="Knowledge gaps of a simulated week, largest first")
    for column in ("asked", "kind", "why", "newest example", "closest passage"):
        table.add_column(column)
    for gap in result["top"]:
        why = ", ".join(f"{n} {reason}" for reason, n in gap["reasons"].items())
        kind = gap["kind"] + (f" ({gap['group']})" if gap["group"] else "")
        example = gap["examples"][0]
        table.add_row(str(gap["size"]), kind, why, example, gap["closest"] or "nothing close")
    out.print(table)
    out.print(
        f"{result['questions']} questions ({result['answerable']} the handbook answers, "
        f"{result['off_topic']} off topic, {result['uncovered']} it does not cover); "
        f"{result['gaps']} gaps holding {result['questions_in_gaps']} questions, "
        f"{result['lacking_share']:.0%} of them off topic or uncovered; "
        f"the {len(result['recurring_groups'])} largest: {', '.join(map(str, result['top_groups']))}"
    )
