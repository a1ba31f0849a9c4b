"""The interaction log makes a redelivered answer task harmless, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from faqbot.contracts import (
    Answer,
    AnswerRequest,
    Citation,
    IngestReport,
    RetrievedPassage,
    Turn,
)
from faqbot.db import audit, interactions, sources
from faqbot.db.engine import session_scope
from faqbot.db.migrate import upgrade
from faqbot.db.models import AuditEntry, Interaction

ANSWER = Answer(
    question="VPN error 809?",
    answer="Use the TCP profile [1].",
    refused=False,
    mode="generated",
    citations=[
        Citation(
            n=1, source_id="handbook", title="VPN", chunk_id="c1", snippet="…", document="vpn.md"
        )
    ],
    model="m",
    tokens={"prompt": 10, "completion": 5},
    timings_ms={"retrieve": 20.0, "generate": 900.0, "total": 950.0},
    retrieved=[RetrievedPassage(chunk_id="c1", source_id="handbook", score=0.9, visibility=[])],
)


def claim(settings, request):
    with session_scope(settings) as session:
        return interactions.claim(session, request)


def rows(settings):
    with session_scope(settings) as session:
        return session.scalars(select(Interaction)).all()


def test_a_question_is_run_once_then_delivered_once(db_settings):
    upgrade(db_settings)
    request = AnswerRequest(question="VPN error 809?", asker="U1", channel="C1")
    assert claim(db_settings, request).action == "run"
    with session_scope(db_settings) as session:
        interactions.record_answer(
            session,
            request.request_id,
            ANSWER,
            scope=["public"],
            visibility=["public"],
        )
    # the worker died before delivering: the stored answer is delivered, not regenerated
    assert claim(db_settings, request).action == "deliver"
    with session_scope(db_settings) as session:
        interactions.mark_delivered(session, request.request_id)
    assert claim(db_settings, request).action == "done"
    [row] = rows(db_settings)
    assert (row.status, row.attempts, row.asker, row.channel) == ("answered", 1, "U1", "C1")
    assert row.citations[0]["chunk_id"] == "c1" and row.retrieved[0]["chunk_id"] == "c1"
    assert row.timings_ms["queue_wait"] >= 0 and row.timings_ms["end_to_end"] >= 0


def test_a_run_cut_short_by_a_crash_runs_again_in_the_same_row(db_settings):
    upgrade(db_settings)
    request = AnswerRequest(question="How do I reset my password?")
    claim(db_settings, request)
    second = claim(db_settings, request)  # redelivered while still "running"
    assert (second.action, second.attempts) == ("run", 2)
    assert len(rows(db_settings)) == 1


def test_a_failure_is_kept_with_its_reason(db_settings):
    upgrade(db_settings)
    request = AnswerRequest(question="Where is the VPN guide?")
    with session_scope(db_settings) as session:
        interactions.mark_failed(session, request, "knowledge store unreachable")
    [row] = rows(db_settings)
    assert (row.status, row.error, row.question) == (
        "failed",
        "knowledge store unreachable",
        "Where is the VPN guide?",
    )


def test_questions_no_worker_will_finish_are_marked_failed(db_settings):
    upgrade(db_settings)
    old, fresh = AnswerRequest(question="old"), AnswerRequest(question="fresh")
    claim(db_settings, old)
    claim(db_settings, fresh)
    with session_scope(db_settings) as session:
        interactions.find(session, old.request_id).created_at -= dt.timedelta(hours=5)
    with session_scope(db_settings) as session:
        assert [row.question for row in interactions.fail_stale(session, 3600)] == ["old"]
    status = {row.question: (row.status, row.error) for row in rows(db_settings)}
    assert status["old"] == ("failed", "lost: no worker finished it in time")
    assert status["fresh"][0] == "running"


def test_source_registry_and_audit_log(db_settings):
    upgrade(db_settings)
    with session_scope(db_settings) as session:
        sources.start_indexing(
            session,
            "wiki",
            kind="url",
            location="https://wiki/x",
            visibility=["C1"],
            added_by="U9",
            request_id="r1",
        )
        audit.record(session, "source.add", actor="U9", target="wiki", channels=["C1"])
    with session_scope(db_settings) as session:
        assert sources.already_done(session, "wiki", "r1") is None  # still indexing
        sources.finish_indexing(
            session,
            "wiki",
            report=IngestReport(source_id="wiki", files=1, chunks=12),
            documents=1,
            chunks=12,
            visibility=["C1"],
        )
    with session_scope(db_settings) as session:
        row = sources.already_done(session, "wiki", "r1")
        assert (row.status, row.chunk_count, row.visibility, row.added_by) == (
            "ready",
            12,
            ["C1"],
            "U9",
        )
        entry = session.scalar(select(AuditEntry))
        assert (entry.actor, entry.action, entry.detail) == (
            "U9",
            "source.add",
            {"channels": ["C1"]},
        )
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_a_follow_up_sees_its_threads_earlier_answers_and_only_those(db_settings):
    upgrade(db_settings)
    first = AnswerRequest(question="How do I set up the VPN?", channel="C1", thread_ts="10.0")
    other = AnswerRequest(question="Where is the canteen?", channel="C1", thread_ts="11.0")
    for request in (first, other):
        answer(db_settings, request, visibility=["public"])
    follow_up = AnswerRequest(question="and on a Mac?", channel="C1", thread_ts="10.0")
    with session_scope(db_settings) as session:
        history = interactions.thread_history(session, follow_up, 3, ["public", "C1"])
    assert history == [
        Turn(question="How do I set up the VPN?", answer=ANSWER.answer, visibility=["public"])
    ]


def answer(settings, request: AnswerRequest, visibility: list[str]) -> None:
    claim(settings, request)
    with session_scope(settings) as session:
        interactions.record_answer(
            session, request.request_id, ANSWER, scope=["public"], visibility=visibility
        )


def test_a_follow_up_is_not_shown_turns_its_reader_may_not_see(db_settings):
    """A turn built from a #hr passage, or another person's private answer, stays out of a
    follow-up's prompt; the asker's own private turns in their DM thread are offered."""
    upgrade(db_settings)
    thread = {"channel": "D1", "thread_ts": "10.0"}
    hr = AnswerRequest(question="Salary bands?", asker="U1", private=True, **thread)
    answer(db_settings, hr, visibility=["C0HR"])
    parking = AnswerRequest(question="Parking?", asker="U1", private=True, **thread)
    answer(db_settings, parking, visibility=["public"])
    mine = AnswerRequest(question="and for visitors?", asker="U1", private=True, **thread)
    other = AnswerRequest(question="and for visitors?", asker="U2", private=True, **thread)
    with session_scope(db_settings) as session:
        granted = interactions.thread_history(session, mine, 5, ["public", "C0HR"])
        ungranted = interactions.thread_history(session, mine, 5, ["public"])
        someone_else = interactions.thread_history(session, other, 5, ["public", "C0HR"])
    assert [t.question for t in granted] == ["Salary bands?", "Parking?"]
    assert [t.question for t in ungranted] == ["Parking?"]
    assert someone_else == []
