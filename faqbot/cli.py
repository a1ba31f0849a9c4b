"""The `faqbot` command. Each subcommand imports its heavy parts only when it runs."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from faqbot.settings import load_settings

app = typer.Typer(
    help="faqbot: a self-hosted Slack FAQ bot that answers from your company's documents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
sources_app = typer.Typer(help="List and remove knowledge sources.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks whose figures go in the README.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(bench_app, name="bench")

# Piped output is read by people and scripts too: keep lines whole instead of 80 columns.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> None:
    """One line on stderr, no traceback: the message names what failed and why."""
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _runtime(*, with_embedder: bool = True):
    """Settings, the store and (optionally) the embedder, each built once per process; a
    configuration that cannot load is one line on stderr and exit status 2."""
    from workers.embedder import EmbedderUnavailable, get_embedder
    from workers.store import StoreUnavailable, get_store

    settings = load_settings()
    try:
        store = get_store(settings)
        if not with_embedder:
            return settings, store, None
        embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    except (StoreUnavailable, EmbedderUnavailable) as exc:
        fail(str(exc))
    return settings, store, embedder


@app.command()
def ingest(
    target: Annotated[str, typer.Argument(help="A file, a folder of files, or an http(s) URL.")],
    source_id: Annotated[
        str | None, typer.Option(help="Id of the source (default: from the file, folder or URL).")
    ] = None,
    visibility: Annotated[
        str, typer.Option(help="'public', or comma-separated Slack channel IDs: C123,C456.")
    ] = "public",
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest documents (.md .txt .html .pdf .docx) into the knowledge base.

    Unchanged documents are skipped; changed ones replace their old chunks. A bad item is
    reported on one line and the rest are ingested; the exit status is 1 if any item failed.
    """
    from pipelines.ingest.pipeline import ingest as run_ingest
    from workers.store.base import parse_visibility

    try:
        labels = parse_visibility(visibility)
    except ValueError as exc:
        fail(str(exc))
    settings, store, embedder = _runtime()
    with ProgressBar(disable=as_json) as progress:
        report = run_ingest(
            target,
            settings=settings,
            store=store,
            embedder=embedder,
            source_id=source_id,
            visibility=labels,
            progress=progress,
        )
    for failure in report.errors:
        err.print(f"[red]failed:[/red] {escape(str(failure))}", highlight=False)
    summary = {
        "source_id": report.source_id,
        "files": report.files,
        "chunks": report.chunks,
        "unchanged": report.unchanged,
        "removed": report.removed,
        "errors": len(report.errors),
        "seconds": round(report.seconds, 2),
    }
    if as_json:
        print(json.dumps(summary))
    else:
        out.print(
            f"source [bold]{escape(report.source_id)}[/bold]: {report.files} files, "
            f"{report.chunks} chunks indexed, {report.unchanged} unchanged, "
            f"{report.removed} removed, {len(report.errors)} errors ({report.seconds:.1f} s)"
        )
    raise typer.Exit(0 if report.ok else 1)


class ProgressBar:
    """A rich progress bar with one task per phase (read, embed)."""

    def __init__(self, disable: bool = False):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=disable or not err.is_terminal,
        )
        self._tasks: dict[str, int] = {}

    def __enter__(self):
        self._progress.start()
        return self

    def __exit__(self, *exc):
        self._progress.stop()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase not in self._tasks:
            self._tasks[phase] = self._progress.add_task(phase, total=total)
        self._progress.update(self._tasks[phase], completed=done, total=total)


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="What an employee would ask.")],
    channel: Annotated[
        str | None, typer.Option(help="Slack channel ID the question is asked in.")
    ] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many passages to return.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid (default), dense or bm25.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Search the knowledge base and print ranked passages with their source and score."""
    from workers.retrieval import retrieve

    if mode not in ("hybrid", "dense", "bm25"):
        fail(f"--mode {mode!r}: choose hybrid, dense or bm25")
    settings, store, embedder = _runtime()
    hits = retrieve(
        question,
        settings=settings,
        store=store,
        embedder=embedder,
        channel=channel,
        k=k,
        mode=mode,
    )
    if as_json:
        print(json.dumps([_hit_json(rank, hit) for rank, hit in enumerate(hits, 1)]))
        return
    if not hits:
        out.print("No passage found (is anything ingested? try `faqbot sources list`).")
    for rank, hit in enumerate(hits, 1):
        c = hit.chunk
        where = c.url or c.path or c.doc_key
        heading = f"{c.title} › {c.section}" if c.section else c.title
        out.print(
            f"[bold]\\[{rank}][/bold] {escape(heading)}  "
            f"[dim]({escape(c.source_id)}: {escape(where)}, score {hit.score:.3f})[/dim]",
            highlight=False,
        )
        out.print(f"    {_snippet(c.text)}", highlight=False, markup=False)


def _snippet(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def _hit_json(rank: int, hit) -> dict:
    c = hit.chunk
    return {
        "rank": rank,
        "score": round(float(hit.score), 4),
        "chunk_id": c.chunk_id,
        "source_id": c.source_id,
        "title": c.title,
        "section": c.section,
        "url": c.url,
        "path": c.path,
        "text": c.text,
    }


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="What an employee would ask.")],
    channel: Annotated[
        str | None, typer.Option(help="Slack channel ID the question is asked in.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer a question from the knowledge base, citing the passages used.

    Streams the answer as it is generated, then lists the sources and names the model and
    adapter that answered. When no passage is relevant enough, says so without asking the
    model.
    """
    from workers.answering.chain import answer_question
    from workers.answering.runtime import answer_chain_for
    from workers.generation.loading import ModelUnavailable

    settings, _, _ = _runtime()
    try:
        chain = answer_chain_for(settings)
    except ModelUnavailable as exc:
        fail(str(exc))
    stream = None if as_json or not out.is_terminal else _LiveText()
    answer = answer_question(chain, question, channel=channel, on_text=stream)
    if as_json:
        print(json.dumps(answer.to_json()))
        return
    _print_answer(answer, streamed=stream is not None)


class _LiveText:
    """Prints the streamed answer as it grows (only new characters, no redraws)."""

    def __init__(self):
        self.shown = 0

    def __call__(self, text: str) -> None:
        out.print(text[self.shown :], end="", markup=False, highlight=False)
        self.shown = len(text)


def _print_answer(answer, streamed: bool) -> None:
    if streamed:
        out.print()
    else:
        out.print(answer.answer, markup=False, highlight=False)
    listed = answer.citations or answer.related
    if listed:
        out.print("\n[bold]Sources[/bold]" if answer.citations else "\n[bold]Related[/bold]")
    for c in listed:
        where = f" <{c.url}>" if c.url else ""
        out.print(f"  \\[{c.n}] {escape(c.title)}{escape(where)}", highlight=False)
        out.print(f"      “{c.snippet}”", markup=False, highlight=False)
    adapter = answer.adapter or "no adapter"
    t = answer.timings_ms
    out.print(
        f"\n[dim]{escape(answer.model)} · {escape(adapter)} · retrieve {t['retrieve']:.0f} ms · "
        f"generate {t['generate']:.0f} ms · total {t['total']:.0f} ms[/dim]",
        highlight=False,
    )


@sources_app.command("list")
def sources_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print sources as JSON.")] = False,
) -> None:
    """List the knowledge sources with their documents, chunks and visibility."""
    _, store, _ = _runtime(with_embedder=False)
    sources = store.list_sources()
    if as_json:
        print(
            json.dumps(
                [
                    {**s.__dict__, "indexed_at": s.indexed_at.isoformat() if s.indexed_at else None}
                    for s in sources
                ]
            )
        )
        return
    table = Table("source", "location", "visibility", "documents", "chunks", "indexed at")
    for s in sources:
        when = s.indexed_at.strftime("%Y-%m-%d %H:%M") if s.indexed_at else "-"
        table.add_row(
            s.source_id, s.location, ",".join(s.visibility), str(s.documents), str(s.chunks), when
        )
    out.print(table if sources else "No sources yet: add one with `faqbot ingest PATH_OR_URL`.")


@sources_app.command("remove")
def sources_remove(source_id: Annotated[str, typer.Argument(help="The source to remove.")]) -> None:
    """Remove a source and all its chunks from the knowledge base."""
    _, store, _ = _runtime(with_embedder=False)
    removed = store.delete_source(source_id)
    if not removed:
        fail(f"source {source_id!r}: no such source (see `faqbot sources list`)", code=1)
    out.print(f"removed source {source_id} ({removed} chunks)", markup=False)


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


def main() -> None:  # pragma: no cover
    app(prog_name="faqbot")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
