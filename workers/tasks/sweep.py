"""Periodic housekeeping, run by `faqbot beat`."""

from __future__ import annotations

from celery import shared_task

from faqbot.db import interactions
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.tasks import SWEEP
from workers.runtime import process_settings


@shared_task(name=SWEEP)
def sweep_task() -> dict:
    """Marks questions that no worker will ever finish as failed, so none is silently lost."""
    settings = process_settings()
    ensure_schema(settings)
    horizon = settings.visibility_timeout_s * (settings.task_max_deliveries + 1)
    with session_scope(settings) as session:
        return {"failed_stale": interactions.fail_stale(session, horizon)}
