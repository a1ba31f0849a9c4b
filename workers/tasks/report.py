"""The weekly report to the admin channel, run by `faqbot beat` (FAQBOT_REPORT_SCHEDULE) on the
ingest queue, whose workers hold the embedder and the store it needs."""

from __future__ import annotations

from celery import shared_task

from faqbot.contracts import REPORT, ReportSummary
from workers.worker_process import process_settings


@shared_task(name=REPORT, pydantic=True)
def weekly_report_task() -> ReportSummary:
    from faqbot.db.migrate import ensure_schema
    from faqbot.slack import web_client
    from pipelines.curation.weekly_report import post_weekly_report
    from workers.embedder import get_embedder
    from workers.store import get_store

    settings = process_settings()
    ensure_schema(settings)
    if not settings.slack_bot_token:
        return ReportSummary(posted=False, reason="FAQBOT_SLACK_BOT_TOKEN is not set")
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    return post_weekly_report(settings, get_store(settings), embedder, web_client(settings))
