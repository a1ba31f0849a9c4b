"""The knowledge-source registry admins see: one row per source, updated around each ingestion.
The chunks themselves live in the knowledge store under the same id."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from faqbot.contracts import IngestReport, SourceSpec
from faqbot.db.models import KnowledgeSource, as_utc


def get(session: Session, source_id: str) -> KnowledgeSource | None:
    return session.get(KnowledgeSource, source_id)


def all_sources(session: Session) -> list[KnowledgeSource]:
    return list(session.scalars(select(KnowledgeSource).order_by(KnowledgeSource.id)))


def already_done(session: Session, source_id: str, request_id: str) -> KnowledgeSource | None:
    """The source, if this very request already indexed it (a redelivered ingest task)."""
    row = get(session, source_id)
    if row and row.last_request_id == request_id and row.status in ("ready", "failed"):
        return row
    return None


def start_indexing(
    session: Session,
    source_id: str,
    *,
    kind: str,
    location: str,
    visibility: list[str],
    added_by: str | None,
    request_id: str,
    spec: SourceSpec | None = None,
) -> KnowledgeSource:
    """A new source shows the visibility asked for; a known one keeps what its chunks have
    until `finish_indexing` records what the store holds. `spec`: how it is read from now on."""
    row = get(session, source_id)
    if row is None:
        row = KnowledgeSource(
            id=source_id, kind=kind, location=location, added_by=added_by, visibility=visibility
        )
        session.add(row)
    if spec is not None:
        row.kind, row.spec = kind, spec.model_dump(mode="json", exclude_none=True)
    row.status, row.last_request_id = "indexing", request_id
    return row


def spec_of(row: KnowledgeSource) -> SourceSpec:
    """How the source is read; a source added before connectors is a file, folder or page."""
    return SourceSpec.model_validate(row.spec or {})


def due_for_sync(session: Session, now: dt.datetime, default_hours: float) -> list[KnowledgeSource]:
    """Sources whose interval (their own, or `default_hours`) has passed since they were last
    indexed. Uploads from Slack are never synced: there is nothing to read them from again."""
    due = []
    for row in all_sources(session):
        hours = spec_of(row).sync_hours
        hours = default_hours if hours is None else hours
        if row.kind == "slack-file" or hours <= 0 or row.status == "indexing":
            continue
        last = row.last_indexed_at and as_utc(row.last_indexed_at)
        if last is None or now - last >= dt.timedelta(hours=hours):
            due.append(row)
    return due


def last_report(row: KnowledgeSource) -> IngestReport | None:
    """The report of the source's last finished ingestion, if it has had one."""
    return IngestReport.model_validate(row.last_report) if row.last_report else None


def finish_indexing(
    session: Session,
    source_id: str,
    *,
    report: IngestReport,
    documents: int,
    chunks: int,
    visibility: list[str],
) -> KnowledgeSource:
    """Ready when anything is indexed; failed (keeping the last good index) when nothing is.
    `visibility`: what the stored chunks carry now, so that `list` shows what is enforced."""
    row = get(session, source_id)
    errors = report.errors
    row.documents, row.chunk_count = documents, chunks
    row.last_report = report.model_dump(mode="json")
    row.visibility = visibility
    row.last_error = "; ".join(errors[:3]) or None
    row.status = "failed" if errors and not chunks else "ready"
    row.last_indexed_at = dt.datetime.now(dt.UTC)
    return row


def remove(session: Session, source_id: str) -> bool:
    row = get(session, source_id)
    if row:
        session.delete(row)
    return row is not None


def mark_failed(session: Session, source_id: str, reason: str) -> None:
    row = get(session, source_id)
    if row:
        row.status, row.last_error = "failed", reason
