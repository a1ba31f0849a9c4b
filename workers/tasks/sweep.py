"""Periodic housekeeping, run by `faqbot beat`."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from celery import shared_task

from faqbot.contracts import ANSWER, SWEEP, AnswerRequest, SweepReport
from faqbot.db import interactions
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.settings import Settings
from workers.tasks.reply_to import sink_for
from workers.worker_process import process_settings

log = logging.getLogger("faqbot.tasks")
RESEND_MARGIN_S = 30.0  # past the visibility timeout, when a held task is back on the queue


@shared_task(name=SWEEP, pydantic=True)
def sweep_task() -> SweepReport:
    """No question is silently lost: one no worker took is sent again; one no worker will
    finish is marked failed and its asker told, so no placeholder waits forever. Then
    questions older than the retention period are forgotten, experts are reminded of
    questions handed to them that nobody resolved, and verifiers asked to review verified
    answers past their review date."""
    settings = process_settings()
    ensure_schema(settings)
    horizon = settings.visibility_timeout_s * (settings.task_max_deliveries + 1)
    resent = _resend_unclaimed(settings, horizon)
    with session_scope(settings) as session:
        lost = [(row.request, row.error) for row in interactions.fail_stale(session, horizon)]
    told = sum(_apologise(payload, error, settings) for payload, error in lost if payload)
    forgotten = 0
    if settings.interaction_retention_days:
        with session_scope(settings) as session:
            forgotten = interactions.forget_older_than(session, settings.interaction_retention_days)
    return SweepReport(
        resent=resent,
        failed_stale=len(lost),
        askers_told=told,
        forgotten=forgotten,
        experts_reminded=_remind_experts(settings),
        reviews_requested=_ask_for_reviews(settings),
    )


def _resend_unclaimed(settings: Settings, horizon_s: float) -> int:
    from faqbot.dispatch import dispatcher_for

    dispatcher = dispatcher_for(settings)
    with session_scope(settings) as session:
        requests = interactions.unclaimed(
            session, settings.visibility_timeout_s + RESEND_MARGIN_S, horizon_s
        )
        for request in requests:  # inside the transaction: a failed send is not marked sent
            dispatcher.submit(ANSWER, request)
    if requests:
        log.warning("sent %d questions again that no worker had taken", len(requests))
    return len(requests)


def _apologise(payload: dict, error: str, settings) -> bool:
    request = AnswerRequest.model_validate(payload)
    try:
        sink = sink_for(request.reply, settings, request_id=request.request_id)
        sink.failed(error, reference=request.request_id[:8])
    except Exception:
        log.exception("could not tell the asker of %s", request.request_id[:8])
        return False
    return True


def _remind_experts(settings: Settings) -> int:
    """Once per escalation, in its thread."""
    from faqbot.db import experts
    from workers.slack.blocks import reminder_text

    def remind(client, escalation) -> None:
        text = reminder_text(escalation.experts, escalation.asked_by, settings.fallback_contact)
        client.chat_postMessage(
            channel=escalation.channel, thread_ts=escalation.thread_ts, text=text
        )
        escalation.reminded_at = experts.now()

    older_than = dt.timedelta(hours=settings.escalation_remind_after_h)
    return _post_each(settings, lambda session: experts.due_reminders(session, older_than), remind)


def _ask_for_reviews(settings: Settings) -> int:
    """A DM to each verifier whose verified answer is past its review date, once per date."""
    from faqbot.db import verified
    from workers.slack.blocks import review_request

    def ask(client, row) -> None:
        day = row.verified_at.date().isoformat()
        client.chat_postMessage(
            channel=row.verifier, **review_request(row.id, row.question, row.answer, day)
        )
        row.review_asked_at = verified.now()

    return _post_each(settings, verified.due_for_review, ask)


def _post_each(settings: Settings, due: Callable, post: Callable) -> int:
    """`post(client, row)` for each row `due(session)` returns; how many went. One failure is
    logged and does not stop the sweep; without a Slack token there is nobody to tell."""
    if not settings.slack_bot_token:
        return 0
    from faqbot.slack import web_client

    client, posted = web_client(settings), 0
    with session_scope(settings) as session:
        for row in due(session):
            try:
                post(client, row)
            except Exception:  # one channel's or person's failure must not stop the sweep
                log.exception("sweep: could not post about %s %d", type(row).__name__, row.id)
                continue
            posted += 1
    return posted
