"""The Celery tasks. Each is thin: it parses its payload, applies the reliability policy and
calls a plain function that tests call directly."""

from workers.tasks.answer import answer_task
from workers.tasks.ingest import ingest_task, remove_source_task
from workers.tasks.report import suggested_prompts_task, weekly_report_task
from workers.tasks.sweep import sweep_task
from workers.tasks.sync import sync_sources_task
from workers.tasks.training import retrain_task

__all__ = [
    "answer_task",
    "ingest_task",
    "remove_source_task",
    "retrain_task",
    "suggested_prompts_task",
    "sweep_task",
    "sync_sources_task",
    "weekly_report_task",
]
