"""Knowledge commands: ingest, search, and the sources list."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.console import ProgressBar, err, fail, out, runtime

sources_app = typer.Typer(help="List, sync and remove knowledge sources.", no_args_is_help=True)


def _kinds() -> tuple[str, ...]:
    """The connector kinds `--kind` takes: all but Slack threads, which come from Slack."""
    from typing import get_args

    from faqbot.contracts import ConnectorKind

    return tuple(kind for kind in get_args(ConnectorKind) if kind != "slack-thread")


def ingest(
    target: Annotated[
        str, typer.Argument(help="A file, a folder, a web page, a website or a Git repository.")
    ],
    source_id: Annotated[
        str | None, typer.Option(help="Id of the source (default: from the file, folder or URL).")
    ] = None,
    visibility: Annotated[
        str, typer.Option(help="'public', or comma-separated Slack channel IDs: C123,C456.")
    ] = "public",
    kind: Annotated[
        str | None,
        typer.Option(
            help="website (crawl from the URL, or read a sitemap .xml) or git (a repository "
            "URL or local path). Default: told from a URL as /faq-admin add does; a file or "
            "folder for a path."
        ),
    ] = None,
    branch: Annotated[str | None, typer.Option(help="git: the branch (default: HEAD).")] = None,
    paths: Annotated[
        str | None,
        typer.Option(
            help="git: comma-separated globs of the files to index (default: *.md, *.txt)."
        ),
    ] = None,
    depth: Annotated[
        int | None, typer.Option(help="website: links followed (FAQBOT_CRAWL_DEPTH).")
    ] = None,
    max_pages: Annotated[
        int | None, typer.Option(help="website, git: most documents (FAQBOT_CRAWL_MAX_PAGES).")
    ] = None,
    sync_hours: Annotated[
        float | None,
        typer.Option(help="Hours between scheduled syncs; 0: never (FAQBOT_SYNC_INTERVAL_H)."),
    ] = None,
    credential: Annotated[
        str | None,
        typer.Option(help="confluence, drive, notion: the name of a secret in FAQBOT_SECRETS_DIR."),
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option(
            help="confluence, drive: a group (or address) that may read the source there, "
            "mapped to channels: hr-team=C0HR001,C0HR002 or staff=public. Repeatable."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest documents (.md .txt .html .pdf .docx) into the knowledge base.

    Unchanged documents are skipped; changed ones replace their old chunks; documents gone
    from the source are removed. A bad item is reported on one line and the rest are
    ingested; the exit status is 1 if any item failed. `faqbot beat` keeps the source in
    sync afterwards, read the same way.
    """
    from faqbot.contracts import IngestRequest
    from faqbot.db.engine import DatabaseUnavailable
    from faqbot.visibility import parse_visibility
    from pipelines.ingest.ingest_job import ingest_source

    try:
        labels = parse_visibility(visibility)
    except ValueError as exc:
        fail(str(exc))
    spec = _spec(target, kind, branch, paths, depth, max_pages, sync_hours, credential, group)
    settings, store, embedder = runtime()
    request = IngestRequest(
        target=target, source_id=source_id, visibility=labels, added_by="cli", spec=spec
    )
    try:
        with ProgressBar(disable=as_json) as progress:
            report = ingest_source(
                request, settings=settings, store=store, embedder=embedder, progress=progress
            )
    except DatabaseUnavailable as exc:
        fail(str(exc))
    if report.chunks or report.removed:  # so the next `faqbot ask` does not wait
        from workers.answering.calibration import measure_scopes

        measure_scopes(settings, store, embedder, labels)
    for failure in report.errors:
        err.print(f"[red]failed:[/red] {escape(failure)}", highlight=False)
    if as_json:
        print(json.dumps({**report.model_dump(mode="json"), "errors": len(report.errors)}))
    else:
        out.print(
            f"source [bold]{escape(report.source_id)}[/bold]: {report.files} files, "
            f"{report.changed} new or changed ({report.chunks} chunks embedded), "
            f"{report.unchanged} unchanged, "
            f"{report.removed} removed, {len(report.errors)} errors "
            f"({report.seconds:.1f} s)"
        )
    raise typer.Exit(1 if report.errors else 0)


def _spec(target: str, kind: str | None, branch, paths, depth, max_pages, sync_hours,
          credential, groups):  # fmt: skip
    """The SourceSpec the options describe; a bad option is one line naming it."""
    from pydantic import ValidationError

    from faqbot.contracts import SourceSpec
    from faqbot.source_kinds import kind_of_url
    from faqbot.visibility import parse_group_channels

    if kind is not None and kind not in _kinds():
        fail(f"--kind {kind!r}: choose {', '.join(_kinds())}")
    if kind is None and "://" in target:
        kind = kind_of_url(target)
    try:
        mapping = parse_group_channels(";".join(groups or []))
    except ValueError as exc:
        fail(f"--group {exc}")
    try:
        return SourceSpec(kind=kind, branch=branch, paths=paths, depth=depth,
                          max_pages=max_pages, sync_hours=sync_hours,
                          credential=credential, groups=mapping)  # fmt: skip
    except ValidationError as exc:
        error = exc.errors()[0]
        fail(f"--{str(error['loc'][0]).replace('_', '-')}: {error['msg']}")


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
    settings, store, embedder = runtime()
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


@sources_app.command("list")
def sources_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print sources as JSON.")] = False,
) -> None:
    """List the knowledge sources: documents, chunks, visibility, and the registry's status
    (ready, indexing, failed with its last error) and who added each."""
    settings, store, _ = runtime(with_embedder=False)
    sources = [_source_json(s, registry) for s, registry in _with_registry(settings, store)]
    if as_json:
        print(json.dumps(sources))
        return
    table = Table(
        "source",
        "status",
        "location",
        "visibility",
        "documents",
        "chunks",
        "indexed at",
        "added by",
    )
    for s in sources:
        when = s["indexed_at"][:16].replace("T", " ") if s["indexed_at"] else "-"
        status = s["status"] + (f": {s['last_error']}" if s["last_error"] else "")
        table.add_row(
            s["source_id"],
            status,
            s["location"],
            ",".join(s["visibility"]),
            str(s["documents"]),
            str(s["chunks"]),
            when,
            s["added_by"] or "-",
        )
    out.print(table if sources else "No sources yet: add one with `faqbot ingest PATH_OR_URL`.")


def _with_registry(settings, store):
    """Store summaries joined with registry rows; a source that never indexed shows too."""
    from faqbot.db import sources as registry
    from faqbot.db.engine import DatabaseUnavailable, session_scope
    from faqbot.db.migrate import ensure_schema

    try:
        ensure_schema(settings)
        with session_scope(settings) as session:
            rows = {row.id: row for row in registry.all_sources(session)}
    except DatabaseUnavailable as exc:
        fail(str(exc))
    summaries = {s.source_id: s for s in store.list_sources()}
    return [(summaries.get(key), rows.get(key)) for key in sorted(summaries.keys() | rows.keys())]


def _source_json(summary, row) -> dict:
    indexed = (summary and summary.indexed_at) or (row and row.last_indexed_at)
    return {
        "source_id": summary.source_id if summary else row.id,
        "status": row.status if row else "ready",
        "location": summary.location if summary else row.location,
        "visibility": summary.visibility if summary else row.visibility,
        "documents": summary.documents if summary else 0,
        "chunks": summary.chunks if summary else 0,
        "indexed_at": indexed.isoformat() if indexed else None,
        "added_by": row.added_by if row else None,
        "last_error": row.last_error if row else None,
    }


@sources_app.command("sync")
def sources_sync(
    source_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Sources to sync now, due or not (default: every source due)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
) -> None:
    """Sync knowledge sources now, as `faqbot beat` does on its schedule: each is read again
    through its connector, only what changed is embedded again, and what disappeared is
    removed. The exit status is 1 if a sync failed or a named source does not exist."""
    from faqbot.db.engine import DatabaseUnavailable
    from pipelines.ingest.sync import sync_due_sources

    settings, store, embedder = runtime()
    try:
        with ProgressBar(disable=as_json) as progress:
            summary = sync_due_sources(
                settings, store, embedder, source_ids=source_ids, progress=progress
            )
    except DatabaseUnavailable as exc:
        fail(str(exc))
    missing = sorted(
        set(source_ids or ()) - {r.source_id for r in summary.synced} - set(summary.busy)
    )
    if as_json:
        print(summary.model_dump_json())
    else:
        for report in summary.synced:
            out.print(
                f"[bold]{escape(report.source_id)}[/bold]: {report.changed} new or changed, "
                f"{report.removed} removed, {report.unchanged} unchanged, "
                f"{len(report.errors)} errors ({report.seconds:.1f} s)",
                highlight=False,
            )
            for failure in report.errors:
                err.print(f"  [red]failed:[/red] {escape(failure)}", highlight=False)
        for source_id in summary.busy:
            out.print(f"{escape(source_id)}: being ingested by a worker; synced next time")
        if not summary.synced and not summary.busy and not missing:
            out.print("No source is due a sync.")
    for source_id in missing:
        err.print(f"[red]no source {escape(source_id)!r}[/red] (`faqbot sources list`)")
    failed = missing or any(report.errors for report in summary.synced)
    raise typer.Exit(1 if failed else 0)


@sources_app.command("remove")
def sources_remove(source_id: Annotated[str, typer.Argument(help="The source to remove.")]) -> None:
    """Remove a source and all its chunks from the knowledge base."""
    from pipelines.ingest.ingest_job import remove_source

    settings, store, _ = runtime(with_embedder=False)
    removed = remove_source(source_id, settings=settings, store=store, actor="cli")
    if not removed:
        fail(f"source {source_id!r}: no such source (see `faqbot sources list`)", code=1)
    out.print(f"removed source {source_id} ({removed} chunks)", markup=False)
