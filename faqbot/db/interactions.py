"""The interaction log, written so that a redelivered answer task is harmless: it finds the row
its request id made and carries on from where the last attempt stopped."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from faqbot.contracts import Answer, AnswerRequest, Reply, Turn
from faqbot.db.models import Interaction, as_utc
from faqbot.db.models import utc_now as now
from faqbot.visibility import visible_in

FINAL = ("answered", "refused")


@dataclass
class Claim:
    """What a delivery of an answer task should do: `run` the chain, `deliver` an answer that
    was stored but never reached the asker, or nothing (`done`)."""

    action: Literal["run", "deliver", "done"]
    attempts: int


def find(session: Session, request_id: str, *, lock: bool = False) -> Interaction | None:
    query = select(Interaction).where(Interaction.request_id == request_id)
    return session.scalar(query.with_for_update() if lock else query)


def claim(session: Session, request: AnswerRequest) -> Claim:
    row = find(session, request.request_id, lock=True) or _insert(session, request)
    if row.status in FINAL:
        return Claim("done" if row.delivered_at else "deliver", row.attempts)
    row.status, row.attempts, row.started_at = "running", row.attempts + 1, now()
    row.error = None
    return Claim("run", row.attempts)


def _insert(session: Session, request: AnswerRequest) -> Interaction:
    """A new row, or the one a concurrent delivery inserted a moment ago."""
    row = Interaction(
        request_id=request.request_id,
        question=request.question,
        asker=request.asker,
        channel=request.channel,
        thread_ts=request.thread_ts,
        private=request.private,
        status="queued",
        attempts=0,
        enqueued_at=request.enqueued_at,
        request=request.model_dump(mode="json"),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return find(session, request.request_id, lock=True)
    return row


def record_sent(session: Session, request: AnswerRequest, error: str | None = None) -> None:
    """The bot's record of a question it took: queued, or failed with `error` when it could
    not be queued. A worker that got there first keeps its row."""
    row = _insert(session, request)
    if error and row.status == "queued":
        row.status, row.error, row.finished_at = "failed", error, now()


def record_answer(
    session: Session,
    request_id: str,
    answer: Answer,
    *,
    scope: list[str],
    visibility: list[str],
) -> None:
    """`scope`: the labels retrieval searched within; `visibility`: where everything the answer
    was built from is visible (faqbot.visibility.combined)."""
    row = find(session, request_id, lock=True)
    row.scope, row.visibility = scope, visibility
    stored = answer.model_dump(mode="json")
    row.status = "refused" if answer.refused else "answered"
    row.answer, row.mode = answer.answer, answer.mode
    row.citations, row.retrieved = stored["citations"], stored["retrieved"]
    row.context = stored["context"]
    row.model, row.adapter, row.tokens = answer.model, answer.adapter, answer.tokens
    row.finished_at = now()
    timings = stored["timings_ms"]
    if row.enqueued_at and row.started_at:
        started = as_utc(row.started_at).timestamp()
        timings["queue_wait"] = round(max(0.0, started - row.enqueued_at) * 1000, 1)
        timings["end_to_end"] = round((time.time() - row.enqueued_at) * 1000, 1)
    row.timings_ms = timings


def mark_delivered(
    session: Session, request_id: str, location: tuple[str, str] | None = None
) -> None:
    """`location`: the Slack message carrying the answer, where reactions count as votes."""
    row = find(session, request_id, lock=True)
    row.delivered_at = now()
    if location:
        row.reply_channel, row.reply_ts = location


def record_reply(session: Session, request_id: str, location: tuple[str, str]) -> None:
    """Where the answer is shown while it is still being written, so a reaction on it then
    is a vote too."""
    row = find(session, request_id, lock=True)
    row.reply_channel, row.reply_ts = location


def thread_history(
    session: Session, request: AnswerRequest, turns: int, labels: list[str]
) -> list[Turn]:
    """The thread's earlier answered questions, oldest first: context for a follow-up. Only
    turns whose sources `labels` (what this question may see) cover, and another person's
    private answers never, so a follow-up's prompt carries nothing its reader may not see."""
    if not (request.channel and request.thread_ts and turns):
        return []
    rows = session.scalars(
        select(Interaction)
        .where(
            Interaction.channel == request.channel,
            Interaction.thread_ts == request.thread_ts,
            Interaction.request_id != request.request_id,
            Interaction.status == "answered",
        )
        .order_by(Interaction.id.desc())
        .limit(turns)
    ).all()
    return [
        Turn(question=row.question, answer=row.answer, visibility=row.visibility or [])
        for row in reversed(rows)
        if _may_show(row, request, labels)
    ]


def _may_show(row: Interaction, request: AnswerRequest, labels: list[str]) -> bool:
    if row.private and not (request.private and row.asker == request.asker):
        return False
    return visible_in(row.visibility, labels)


def mark_failed(session: Session, request: AnswerRequest, error: str) -> None:
    row = find(session, request.request_id, lock=True) or _insert(session, request)
    row.status, row.error, row.finished_at = "failed", error, now()


def stored_answer(row: Interaction) -> Answer:
    """The answer as the reply sink wants it, rebuilt from the row."""
    return Answer(
        question=row.question,
        answer=row.answer,
        citations=row.citations or [],
        refused=row.status == "refused",
        mode=row.mode,
        model=row.model,
        adapter=row.adapter,
        timings_ms=row.timings_ms or {},
        tokens=row.tokens or {},
    )


def unclaimed(session: Session, older_than_s: float, younger_than_s: float) -> list[AnswerRequest]:
    """Questions taken but never started by any worker, long after one would have: Redis's
    transport can drop a message whose worker dies between taking it off the queue and
    recording it as unacked. Each is sent again once (the answer task is idempotent by
    request id); one that is still not taken is failed later by `fail_stale`."""
    newest, oldest = (
        now() - dt.timedelta(seconds=older_than_s),
        now() - dt.timedelta(seconds=younger_than_s),
    )
    rows = session.scalars(
        select(Interaction)
        .where(
            Interaction.status == "queued",
            Interaction.attempts == 0,
            Interaction.created_at < newest,
            Interaction.created_at > oldest,
            Interaction.request.is_not(None),
        )
        .with_for_update(skip_locked=True)
    ).all()
    resent = []
    for row in rows:
        if row.request.get("resent_at"):
            continue
        row.request = {**row.request, "resent_at": time.time()}
        resent.append(AnswerRequest.model_validate(row.request))
    return resent


def fail_stale(session: Session, older_than_s: float) -> list[Interaction]:
    """Questions queued or running for longer than any delivery could take are lost (their
    message expired or was purged): mark them failed so they show up, instead of waiting.
    Returns them, so whoever waits can be told."""
    cutoff = now() - dt.timedelta(seconds=older_than_s)
    rows = session.scalars(
        select(Interaction)
        .where(Interaction.status.in_(("queued", "running")), Interaction.created_at < cutoff)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.status, row.finished_at = "failed", now()
        row.error = "lost: no worker finished it in time"
    return list(rows)


def forget_older_than(session: Session, days: int) -> int:
    """Deletes questions asked more than `days` ago, with their votes, corrections and review
    marks (the foreign keys cascade): what the retention period promises."""
    cutoff = now() - dt.timedelta(days=days)
    result = session.execute(delete(Interaction).where(Interaction.created_at < cutoff))
    return result.rowcount or 0


class NoSuchFailure(LookupError):
    """A reference that names no failed question, or more than one."""


def failures(session: Session, limit: int = 50) -> list[Interaction]:
    """Failed questions, newest first."""
    query = select(Interaction).where(Interaction.status == "failed")
    return list(session.scalars(query.order_by(Interaction.id.desc()).limit(limit)))


def failed_by_reference(session: Session, reference: str) -> Interaction:
    """The failed question whose request id starts with `reference` (the apology shows 8)."""
    if len(reference) < 6 or not reference.isalnum():
        raise NoSuchFailure(f"{reference!r}: a reference is at least 6 letters and digits")
    rows = session.scalars(
        select(Interaction)
        .where(Interaction.request_id.startswith(reference.lower()))
        .with_for_update()
    ).all()
    if len(rows) != 1:
        raise NoSuchFailure(
            f"{reference!r}: "
            + (
                "no question has this reference"
                if not rows
                else f"{len(rows)} questions share this reference; give more of it"
            )
        )
    if rows[0].status != "failed":
        raise NoSuchFailure(f"{reference!r}: this question is {rows[0].status}, not failed")
    return rows[0]


def reopen(row: Interaction) -> AnswerRequest:
    """The failed question queued again under its own request id, so its reply replaces the
    apology. An /ask response URL lasts 30 minutes, so that reply goes to the asker's DM."""
    if not row.request:
        raise NoSuchFailure(f"{row.request_id[:8]!r}: asked before requests were recorded")
    request = AnswerRequest.model_validate(row.request)
    if request.reply.response_url and request.asker:
        request.reply = Reply(kind="slack", channel=request.asker)
    request.enqueued_at = time.time()
    row.status, row.error, row.finished_at, row.enqueued_at = "queued", None, None, time.time()
    return request
