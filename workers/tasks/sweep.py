"""Periodic housekeeping, run by `faqbot beat`."""

from __future__ import annotations

import logging

from celery import shared_task

from faqbot.db import interactions
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.tasks import SWEEP, AnswerRequest
from workers.replies import sink_for
from workers.runtime import process_settings

log = logging.getLogger("faqbot.tasks")


@shared_task(name=SWEEP)
def sweep_task() -> dict:
    """Marks questions that no worker will ever finish as failed, and tells each asker, so
    none is silently lost and no placeholder waits forever."""
    settings = process_settings()
    ensure_schema(settings)
    horizon = settings.visibility_timeout_s * (settings.task_max_deliveries + 1)
    with session_scope(settings) as session:
        lost = [(row.request, row.error) for row in interactions.fail_stale(session, horizon)]
    told = sum(_apologise(payload, error, settings) for payload, error in lost if payload)
    return {"failed_stale": len(lost), "askers_told": told}


def _apologise(payload: dict, error: str, settings) -> bool:
    request = AnswerRequest.model_validate(payload)
    try:
        sink = sink_for(request.reply, settings, request_id=request.request_id)
        sink.failed(error, reference=request.request_id[:8])
    except Exception:
        log.exception("could not tell the asker of %s", request.request_id[:8])
        return False
    return True
