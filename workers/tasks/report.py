"""Work for admins and the Messages tab that `faqbot beat` schedules on the ingest queue, whose
workers hold the embedder and the store: the weekly report (FAQBOT_REPORT_SCHEDULE) and the
day's suggested prompts."""

from __future__ import annotations

from celery import shared_task

from faqbot.contracts import REPORT, SUGGEST, ReportSummary
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


@shared_task(name=SUGGEST)
def suggested_prompts_task() -> list[str]:
    """The most asked questions of the last 30 days, as the Messages tab's prompts."""
    from faqbot.db.migrate import ensure_schema
    from pipelines.curation.suggestions import refresh_suggested_prompts
    from workers.embedder import get_embedder

    settings = process_settings()
    ensure_schema(settings)
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    return refresh_suggested_prompts(settings, embedder)
