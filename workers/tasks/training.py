"""The scheduled retrain, on the training queue (a GPU worker: `faqbot worker --queues
training`). Acknowledged when it starts: a run cut short is not repeated, the next one comes on
schedule."""

from __future__ import annotations

from celery import shared_task

from faqbot.contracts import RETRAIN, RetrainSummary
from workers.worker_process import process_settings


@shared_task(name=RETRAIN, pydantic=True)
def retrain_task() -> RetrainSummary:
    from faqbot.db.migrate import ensure_schema
    from pipelines.training.retrain import retrain

    settings = process_settings()
    ensure_schema(settings)
    return retrain(settings)
