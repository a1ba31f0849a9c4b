"""The ingest tasks: one source per task, one ingestion of a source at a time; and removal."""

from __future__ import annotations

from celery import shared_task

from faqbot.contracts import INGEST, REMOVE_SOURCE, IngestRequest, RemoveSourceRequest
from pipelines.ingest.ingest_job import (
    fail_ingest,
    fail_removal,
    run_ingest_request,
    run_removal_request,
)
from workers.tasks.policy import run_reliably
from workers.tasks.reply_to import sink_for
from workers.worker_process import process_settings


# Idempotent too: a redelivered request returns the first run's report, and re-running an
# interrupted ingestion only embeds what is not yet stored (documents are keyed by hash).
@shared_task(bind=True, name=INGEST, acks_late=True, reject_on_worker_lost=True, pydantic=True)
def ingest_task(self, payload: IngestRequest) -> dict:
    """Returns an `IngestReport` (or `GaveUp`) as JSON, and sends the report to the sink."""
    request, settings = payload, process_settings()
    sink = sink_for(request.reply, settings, request_id=request.request_id, view="report")

    def report_progress(phase: str, done: int, total: int) -> None:
        sink.progress(phase, done, total)
        if not self.request.is_eager:
            self.update_state(state="PROGRESS", meta={"phase": phase, "done": done, "total": total})

    return run_reliably(
        self,
        settings,
        work=lambda: run_ingest_request(
            request, settings=settings, sink=sink, progress=report_progress
        ),
        give_up=lambda reason: fail_ingest(request, reason, settings=settings, sink=sink),
    )


@shared_task(
    bind=True, name=REMOVE_SOURCE, acks_late=True, reject_on_worker_lost=True, pydantic=True
)
def remove_source_task(self, payload: RemoveSourceRequest) -> dict:
    """Returns a `RemovalReport` (or `GaveUp`) as JSON, and sends it to the sink."""
    request, settings = payload, process_settings()
    sink = sink_for(request.reply, settings, request_id=request.request_id, view="report")
    return run_reliably(
        self,
        settings,
        work=lambda: run_removal_request(request, settings=settings, sink=sink),
        give_up=lambda reason: fail_removal(request, reason, settings=settings, sink=sink),
    )
