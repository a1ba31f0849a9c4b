"""The scheduled sync: every source whose interval has passed is read again through its
connector; only what changed is embedded again and what disappeared is removed. The admin who
added a source hears about a sync only when it failed or changed a large share of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from faqbot.contracts import IngestReport, IngestRequest, SourceSpec, SyncSummary
from faqbot.db import sources
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.settings import Settings
from pipelines.ingest.ingest_job import SourceBusy, ingest_source, source_lock
from pipelines.ingest.pipeline import Progress
from workers.embedder import Embedder
from workers.store.base import KnowledgeStore

SYNC_ACTOR = "sync"


@dataclass(frozen=True)
class DueSource:
    source_id: str
    location: str
    visibility: list[str]
    added_by: str | None
    documents: int  # before this sync
    spec: SourceSpec  # how it is read


Notify = Callable[[DueSource, IngestReport], None]


def sync_due_sources(
    settings: Settings,
    store: KnowledgeStore,
    embedder: Embedder,
    *,
    notify: Notify | None = None,
    now: dt.datetime | None = None,
    source_ids: list[str] | None = None,
    progress: Progress | None = None,
) -> SyncSummary:
    """Syncs each due source in turn (one at a time: the ingest queue's other work waits
    less behind one long crawl than behind several); `source_ids`: these, due or not."""
    ensure_schema(settings)
    now = now or dt.datetime.now(dt.UTC)
    summary = SyncSummary()
    for due in _due(settings, now, source_ids):
        try:
            with source_lock(settings, due.source_id):
                report = ingest_source(
                    _request(due), settings=settings, store=store, embedder=embedder
                )
        except SourceBusy:
            summary.busy.append(due.source_id)
            continue
        summary.synced.append(report)
        if notify and worth_telling(report, due.documents, settings.sync_notify_share):
            notify(due, report)
            summary.notified += 1
    return summary


def _due(settings: Settings, now: dt.datetime, source_ids: list[str] | None) -> list[DueSource]:
    with session_scope(settings) as session:
        if source_ids is None:
            rows = sources.due_for_sync(session, now, settings.sync_interval_h)
        else:
            rows = [row for row in map(partial(sources.get, session), source_ids) if row]
        return [
            DueSource(
                row.id,
                row.location,
                list(row.visibility),
                row.added_by,
                row.documents,
                sources.spec_of(row),
            )
            for row in rows
        ]


def _request(due: DueSource) -> IngestRequest:
    return IngestRequest(
        target=due.location,
        source_id=due.source_id,
        visibility=due.visibility,
        added_by=SYNC_ACTOR,
        spec=due.spec,
    )


def worth_telling(report: IngestReport, documents_before: int, share: float) -> bool:
    """A failure always; otherwise a change to more than `share` of what was indexed."""
    if report.errors:
        return True
    moved = report.changed + report.removed
    return documents_before > 0 and moved > share * documents_before


def sync_message(due: DueSource, report: IngestReport) -> str:
    """The admin's DM about one sync: its counts and its first errors."""
    if not report.errors:
        head = "changed a lot"
    else:
        head = "failed in part" if report.files else "failed"
    counts = (
        f"{report.changed} new or changed, {report.removed} removed, "
        f"{report.unchanged} unchanged, {len(report.errors)} errors"
    )
    lines = [f"Sync of `{due.source_id}` {head}: {counts}."]
    lines += [f"• {error}" for error in report.errors[:5]]
    if len(report.errors) > 5:
        lines.append(f"…and {len(report.errors) - 5} more (`/faq-admin status {due.source_id}`)")
    return "\n".join(lines)
