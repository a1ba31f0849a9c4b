"""The scheduled sync of knowledge sources, run by `faqbot beat` on the ingest queue every
FAQBOT_SYNC_CHECK_INTERVAL_S; each source is synced when its own interval has passed."""

from __future__ import annotations

import logging
import re

from celery import shared_task

from faqbot.contracts import SYNC, IngestReport, SyncSummary
from faqbot.settings import Settings
from workers.worker_process import process_settings

log = logging.getLogger("faqbot.sync")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@shared_task(name=SYNC, pydantic=True)
def sync_sources_task() -> SyncSummary:
    from pipelines.ingest.sync import sync_due_sources
    from workers.embedder import get_embedder
    from workers.store import get_store

    settings = process_settings()
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    return sync_due_sources(
        settings, get_store(settings), embedder, notify=lambda due, r: _tell(settings, due, r)
    )


def _tell(settings: Settings, due, report: IngestReport) -> None:
    """A DM to the admin who added the source; the admin channel for one added from the CLI."""
    from faqbot.slack import web_client
    from pipelines.ingest.sync import sync_message

    channel = due.added_by if SLACK_USER.match(due.added_by or "") else settings.admin_channel
    if not (channel and settings.slack_bot_token):
        log.warning("%s", sync_message(due, report))
        return
    try:
        web_client(settings).chat_postMessage(channel=channel, text=sync_message(due, report))
    except Exception as exc:  # noqa: BLE001 - the sync is done; a lost note is only logged
        log.warning("could not tell %s about the sync of %s: %s", channel, due.source_id, exc)
