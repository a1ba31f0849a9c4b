"""The workers benchmark: its bookkeeping (lost, duplicated, latencies), its one-line error
when Redis is down, and a small real run through Redis and a worker process."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app
from faqbot.contracts import Answer, ReplyEvent
from pipelines.bench.queue_runs import Outcome
from pipelines.bench.workers import spread, summarise_answers

ISSUE_KEYS = (
    "questions",
    "workers",
    "answered",
    "lost",
    "duplicated",
    "throughput_qps",
    "p50_ms",
    "p95_ms",
)


def event(kind: str, at: float, **data) -> ReplyEvent:
    return ReplyEvent(event=kind, at=at, **data)


def finished(at: float) -> ReplyEvent:
    answer = Answer(
        question="q",
        answer="a",
        citations=[],
        refused=False,
        mode="generated",
        model="m",
        timings_ms={},
    )
    return event("finished", at, result=answer.model_dump(mode="json"))


def row(status: str, queue_wait: float | None = None, attempts: int = 1) -> dict:
    timings = {} if queue_wait is None else {"queue_wait": queue_wait}
    return {"status": status, "attempts": attempts, "timings_ms": timings, "model": "m"}


def test_summary_counts_lost_duplicated_and_latency():
    outcomes = {
        "ok": Outcome(100.0, [event("started", 101.0), finished(102.0)]),
        "twice": Outcome(100.0, [event("started", 100.5), finished(104.0), finished(105.0)]),
        "failed": Outcome(100.0, [event("failed", 103.0, error="boom")]),
        "silent-but-recorded": Outcome(100.0),  # no reply, but the database has its answer
        "lost": Outcome(100.0),
    }
    rows = {
        "ok": [row("answered", queue_wait=1000.0)],
        "twice": [row("answered", attempts=2)],
        "failed": [row("failed")],
        "silent-but-recorded": [row("refused")],
        "lost": [],
    }
    summary = summarise_answers(outcomes, rows)
    assert (summary["questions"], summary["answered"], summary["failed"]) == (5, 2, 1)
    assert (summary["lost"], summary["duplicated"], summary["redelivered"]) == (1, 1, 1)
    assert summary["throughput_qps"] == 0.5  # 2 answered from t=100 to the last at t=104
    assert summary["p50_ms"] == 3000.0  # end-to-end 2 s and 4 s (first finish of "twice")
    assert summary["p50_queue_ms"] == 750.0  # 1000 from the database, 500 from "started"


def test_spread_covers_the_set_and_repeats_it_evenly():
    assert spread(list("abcd"), 2) == ["a", "c"]
    assert spread(list("ab"), 5) == ["a", "a", "a", "b", "b"]


def test_unreachable_redis_is_one_line(settings):
    result = CliRunner().invoke(
        app, ["bench", "workers", "--redis-url", "redis://127.0.0.1:1/0", "--json"]
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Redis at redis://127.0.0.1:1/0 is unreachable" in lines[0]
    assert result.stdout == ""


@pytest.mark.slow
def test_questions_through_a_worker_are_each_answered_once(settings, redis_url):
    from pipelines.bench.workers import run_workers_benchmark

    settings = settings.model_copy(update={"llm_max_new_tokens": 16})
    result = run_workers_benchmark(
        settings,
        questions=4,
        workers=1,
        redis_url=redis_url,
        ingest_workers=(1,),
        ingest_copies=1,
    )
    assert all(key in result for key in ISSUE_KEYS)
    assert (result["questions"], result["workers"], result["answered"]) == (4, 1, 4)
    assert (result["lost"], result["duplicated"], result["failed"]) == (0, 0, 0)
    assert result["throughput_qps"] > 0 and 0 < result["p50_ms"] <= result["p95_ms"]
    assert result["max_new_tokens"] == 16
    ingest = result["ingest"]
    assert ingest["sources"] == 14
    for run in (ingest["in_process"], ingest["workers_1"]):
        assert run["errors"] == [] and run["lost"] == 0
        assert run["chunks"] == run["stored_chunks"] == ingest["in_process"]["chunks"] > 100
