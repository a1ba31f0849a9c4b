"""Ingestion of one source as a tracked job: the source registry and the audit log are updated
around the run, and a repeated request (a redelivered task) returns the first run's report."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from faqbot import keys
from faqbot.contracts import (
    IngestReport,
    IngestRequest,
    RemovalReport,
    RemoveSourceRequest,
    SourceSpec,
)
from faqbot.db import audit, sources
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.errors import TransientError
from faqbot.settings import Settings
from faqbot.shared_state import redis_client
from pipelines.ingest.fetch import is_url
from pipelines.ingest.pipeline import Progress, default_source_id, ingest, source_root
from pipelines.ingest.slack_files import download, is_slack_file
from workers.embedder import Embedder
from workers.sinks import ReplySink
from workers.store.base import KnowledgeStore


def source_kind(target: str, spec: SourceSpec | None = None) -> str:
    if spec and spec.kind:
        return spec.kind
    if is_slack_file(target):
        return "slack-file"
    if is_url(target):
        return "url"
    return "folder" if Path(target).is_dir() else "file"


def ingest_source(
    request: IngestRequest,
    *,
    settings: Settings,
    store: KnowledgeStore,
    embedder: Embedder,
    progress: Progress | None = None,
    location: str | None = None,
) -> IngestReport:
    """Runs `ingest` for one request; returns its report (the first run's, marked repeated,
    when this request had already been carried out). `location`: what the registry records as the
    source's origin when it is not the target itself (an upload in Slack)."""
    source_id = request.source_id or default_source_id(request.target)
    ensure_schema(settings)
    with session_scope(settings) as session:
        done = sources.already_done(session, source_id, request.request_id)
        first = done and sources.last_report(done)
        if first:
            return first.model_copy(update={"repeated": True})
        known = sources.get(session, source_id)
        if known is not None and request.spec == SourceSpec():  # a reindex reads it as added
            request = request.model_copy(update={"spec": sources.spec_of(known)})
        sources.start_indexing(
            session,
            source_id,
            kind=source_kind(location or request.target, request.spec),
            location=location or source_root(request.target),
            spec=request.spec,
            visibility=request.visibility,
            added_by=request.added_by,
            request_id=request.request_id,
        )
    run = ingest(
        request.target,
        settings=settings,
        store=store,
        embedder=embedder,
        source_id=source_id,
        visibility=request.visibility,
        progress=progress,
        spec=request.spec,
    )
    report = run.report()
    summary = store.source_summary(source_id)
    with session_scope(settings) as session:
        sources.finish_indexing(
            session,
            source_id,
            report=report,
            documents=summary.documents if summary else 0,
            chunks=summary.chunks if summary else 0,
            visibility=summary.visibility if summary else request.visibility,
        )
        audit.record(
            session,
            "source.ingest",
            actor=request.added_by,
            target=source_id,
            outcome="ok" if report.ok else "failed",
            request_id=request.request_id,
            location=request.target,
            chunks=report.chunks,
            errors=report.errors[:5],
        )
    return report


class SourceBusy(TransientError):
    """Another worker is ingesting the same source right now."""


def run_ingest_request(
    request: IngestRequest, *, settings: Settings, sink: ReplySink, progress: Progress
) -> IngestReport:
    """The ingest task's body: one ingestion of a source at a time, across all workers."""
    from workers.embedder import get_embedder
    from workers.store import get_store

    location = None
    if is_slack_file(request.target):  # ingest the downloaded copy; remember the upload
        location = request.target
        request = request.model_copy(update={"target": str(download(request.target, settings))})
    source_id = request.source_id or default_source_id(request.target)
    request = request.model_copy(update={"source_id": source_id})
    with source_lock(settings, source_id):
        sink.started()
        report = ingest_source(
            request,
            settings=settings,
            store=get_store(settings),
            embedder=get_embedder(settings.embedding_model, settings.embedding_batch_size),
            progress=progress,
            location=location,
        )
    sink.finished(report)
    return report


@contextmanager
def source_lock(settings: Settings, source_id: str) -> Iterator[None]:
    if not settings.redis_url:
        with _local_locks.setdefault(source_id, threading.Lock()):
            yield
        return
    lock = redis_client(settings.redis_url).lock(
        keys.source_lock(source_id),
        timeout=settings.ingest_time_limit_s,
        blocking_timeout=5,
    )
    if not lock.acquire():
        raise SourceBusy(
            f"source {source_id!r} is being ingested by another worker", retry_after=30
        )
    try:
        yield
    finally:
        lock.release()


_local_locks: dict[str, threading.Lock] = {}


def fail_ingest(
    request: IngestRequest, reason: str, *, settings: Settings, sink: ReplySink
) -> None:
    source_id = request.source_id or default_source_id(request.target)
    try:
        with session_scope(settings) as session:
            sources.mark_failed(session, source_id, reason)
            audit.record(
                session,
                "source.ingest",
                actor=request.added_by,
                target=source_id,
                outcome="failed",
                request_id=request.request_id,
                reason=reason,
            )
    finally:
        sink.failed(reason, reference=request.request_id[:8])


def remove_source(
    source_id: str, *, settings: Settings, store: KnowledgeStore, actor: str | None
) -> int:
    """Deletes a source's chunks and its registry row; returns the chunks deleted."""
    ensure_schema(settings)
    removed = store.delete_source(source_id)
    with session_scope(settings) as session:
        known = sources.remove(session, source_id)
        if removed or known:
            audit.record(session, "source.remove", actor=actor, target=source_id, chunks=removed)
    return removed


def run_removal_request(
    request: RemoveSourceRequest, *, settings: Settings, sink: ReplySink
) -> RemovalReport:
    from workers.store import get_store

    with source_lock(settings, request.source_id):
        sink.started()
        removed = remove_source(
            request.source_id, settings=settings, store=get_store(settings), actor=request.actor
        )
    report = RemovalReport(source_id=request.source_id, removed_chunks=removed)
    sink.finished(report)
    return report


def fail_removal(
    request: RemoveSourceRequest, reason: str, *, settings: Settings, sink: ReplySink
) -> None:
    try:
        with session_scope(settings) as session:
            audit.record(
                session,
                "source.remove",
                actor=request.actor,
                target=request.source_id,
                outcome="failed",
                request_id=request.request_id,
                reason=reason,
            )
    finally:
        sink.failed(reason, reference=request.request_id[:8])
