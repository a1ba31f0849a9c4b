"""Ingestion throughput through the ingest queue with 1 and 2 workers, against the same
sources ingested in-process; each run in a fresh store, timed from the first submit to the
last finished event with the workers already warm."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

from faqbot.contracts import INGEST, IngestReport, IngestRequest
from faqbot.settings import Settings
from pipelines.bench.queue_runs import (
    bench_settings,
    new_reply,
    span_s,
    start_workers,
    submit_and_wait,
    threads_per_worker,
)
from pipelines.evaluation.question_sets import SAMPLE_DIR


def ingest_sources(folder: Path, copies: int) -> list[IngestRequest]:
    """Each sample document in a folder of its own, `copies` times: one source per task, so
    the queue has many small jobs to share out, as when many sources are added at once."""
    requests = []
    for copy in range(copies):
        for doc in sorted((SAMPLE_DIR / "docs").iterdir()):
            target = folder / f"copy{copy}" / doc.stem
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(doc, target)
            requests.append(IngestRequest(target=str(target), source_id=f"c{copy}-{doc.stem}"))
    return requests


def bench_ingest(
    settings: Settings,
    client,
    root: Path,
    redis_url: str,
    worker_counts: tuple[int, ...],
    copies: int,
    timeout_s: float | None,
    progress,
) -> dict:
    sources = ingest_sources(root / "sources", copies)
    runs = {
        "in_process": ingest_in_process(
            bench_settings(settings, root / "ingest-in-process", redis_url), sources, progress
        )
    }
    timeout_s = timeout_s or 300 + 30 * len(sources)
    for count in worker_counts:
        data_dir = root / f"ingest-{count}-workers"
        runs[f"workers_{count}"] = ingest_through_queue(
            bench_settings(settings, data_dir, redis_url),
            client,
            root,
            sources,
            count,
            timeout_s,
            progress,
        )
    base = runs["in_process"]["chunks_per_s"]
    for run in runs.values():
        run["vs_in_process"] = round(run["chunks_per_s"] / base, 2) if base else 0.0
    return {"sources": len(sources), **runs}


def ingest_in_process(settings: Settings, sources: list[IngestRequest], progress) -> dict:
    """The same sources, one after another, in this process (its torch uses every core)."""
    import torch

    from faqbot.db.migrate import ensure_schema
    from pipelines.ingest.ingest_job import ingest_source
    from workers.embedder import get_embedder
    from workers.store import get_store

    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    store = get_store(settings)
    ensure_schema(settings)
    reports = []
    started = time.perf_counter()
    for done, request in enumerate(sources, 1):
        reports.append(
            ingest_source(request.model_copy(), settings=settings, store=store, embedder=embedder)
        )
        if progress:
            progress("ingest in-process", done, len(sources))
    seconds = time.perf_counter() - started
    return _ingest_figures(reports, [], seconds, store.count(), 0, torch.get_num_threads())


def ingest_through_queue(
    settings: Settings,
    client,
    root: Path,
    sources: list[IngestRequest],
    workers: int,
    timeout_s: float,
    progress,
) -> dict:
    from faqbot.db.migrate import ensure_schema
    from workers.store import get_store

    ensure_schema(settings)
    requests = [
        r.model_copy(update={"request_id": uuid.uuid4().hex, "reply": new_reply()}) for r in sources
    ]
    with start_workers(settings, root / f"logs-ingest-{workers}", workers, "ingest") as pool:
        outcomes = submit_and_wait(
            settings,
            client,
            pool,
            INGEST,
            requests,
            timeout_s,
            progress,
            f"ingest, {workers} workers",
        )
    reports = [
        IngestReport.model_validate(o.of("finished")[0].result)
        for o in outcomes.values()
        if o.of("finished")
    ]
    failures = [e.error for o in outcomes.values() for e in o.of("failed")]
    seconds = span_s(
        [o.enqueued_at for o in outcomes.values()],
        [e.at for o in outcomes.values() for e in o.of("finished")],
    )
    lost = sum(not o.done for o in outcomes.values())
    return _ingest_figures(
        reports,
        failures,
        seconds,
        get_store(settings).count(),
        lost,
        threads_per_worker(workers),
        workers,
    )


def _ingest_figures(
    reports: list[IngestReport],
    failures: list[str],
    seconds: float,
    stored: int,
    lost: int,
    torch_threads: int,
    workers: int = 0,
) -> dict:
    """Chunks/s of one run; `stored` (rows in the store afterwards) shows a lost write."""
    chunks = sum(report.chunks for report in reports)
    errors = [error for report in reports for error in report.errors] + failures
    return {
        "workers": workers,
        "torch_threads": torch_threads,
        "tasks_finished": len(reports),
        "chunks": chunks,
        "stored_chunks": stored,
        "seconds": round(seconds, 2),
        "chunks_per_s": round(chunks / seconds, 2) if seconds else 0.0,
        "lost": lost,
        "errors": errors,
    }
