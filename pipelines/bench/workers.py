"""`faqbot bench workers`: questions and ingestion jobs through Redis and real `faqbot worker`
processes, the way production runs them.

Answers: N questions are pushed at once to W answer workers; each has its own reply list, so
every question's events (started, finished or failed, with times) are seen, and the app
database says how often each was run. A question is lost when nothing final is known of it by
the time limit, duplicated when it was finished (or recorded) more than once.

Ingestion: the same sources are ingested in-process, then through the ingest queue with 1 and 2
workers, each into a fresh store, timed from the first submit to the last finished event with
the workers already warm.

Everything runs in a temporary data dir with its own SQLite database; the Redis database is
flushed at start, so it must be one that nothing else uses.
"""

from __future__ import annotations

import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

from faqbot.contracts import ANSWER, Answer, AnswerRequest
from faqbot.settings import Settings
from pipelines.bench.ingest_queue import bench_ingest
from pipelines.bench.queue_runs import (
    Outcome,
    bench_settings,
    connect_and_flush,
    cores,
    new_reply,
    span_s,
    start_workers,
    submit_and_wait,
    threads_per_worker,
)
from pipelines.evaluation.question_sets import load_sample_questions

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
FINAL_STATUSES = ("answered", "refused", "failed")


def run_workers_benchmark(
    settings: Settings,
    *,
    questions: int = 20,
    workers: int = 1,
    redis_url: str | None = None,
    ingest_workers: tuple[int, ...] = (1, 2),
    ingest_copies: int = 2,
    timeout_s: float | None = None,
    progress=None,
) -> dict:
    """The answers figures, plus an "ingest" section unless `ingest_workers` is empty."""
    redis_url = redis_url or DEFAULT_REDIS_URL  # never the configured (live) queue
    client = connect_and_flush(redis_url)
    with (
        interrupted_by_sigterm(),
        tempfile.TemporaryDirectory(prefix="faqbot-bench-") as tmp,
        progress or nullcontext(),
    ):
        root = Path(tmp)
        base = bench_settings(settings, root / "answers", redis_url)
        result = bench_answers(base, client, root, questions, workers, timeout_s, progress)
        if ingest_workers:
            result["ingest"] = bench_ingest(
                settings,
                client,
                root,
                redis_url,
                ingest_workers,
                ingest_copies,
                timeout_s,
                progress,
            )
    return result


@contextmanager
def interrupted_by_sigterm() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the workers (in sessions of their own) are stopped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(*_) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# Answers


def bench_answers(
    settings: Settings,
    client,
    root: Path,
    questions: int,
    workers: int,
    timeout_s: float | None,
    progress,
) -> dict:
    from faqbot.db.migrate import ensure_schema
    from pipelines.evaluation.corpora import index_sample
    from workers.embedder import get_embedder
    from workers.store import get_store

    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    index_sample(settings, get_store(settings), embedder, progress)
    ensure_schema(settings)  # once, before workers race to create it
    texts = spread([q.text for q in load_sample_questions()], questions)
    requests = [AnswerRequest(question=text, reply=new_reply()) for text in texts]
    timeout_s = timeout_s or 120 + 60 * questions / workers
    with start_workers(settings, root / "logs-answers", workers, "answers") as pool:
        outcomes = submit_and_wait(
            settings, client, pool, ANSWER, requests, timeout_s, progress, "answered"
        )
    summary = summarise_answers(outcomes, interaction_rows(settings, list(outcomes)))
    return {
        "questions": summary.pop("questions"),
        "workers": workers,
        **summary,
        **_machine(settings, workers),
    }


def spread(texts: list[str], count: int) -> list[str]:
    """`count` questions spread evenly over the set, repeating it when count is larger."""
    return [texts[int(i * len(texts) / count) % len(texts)] for i in range(count)]


def interaction_rows(settings: Settings, request_ids: list[str]) -> dict[str, list[dict]]:
    """The app database's rows for these requests (one each, unless something ran twice)."""
    from sqlalchemy import select

    from faqbot.db.engine import session_scope
    from faqbot.db.models import Interaction

    rows: dict[str, list[dict]] = {rid: [] for rid in request_ids}
    with session_scope(settings) as session:
        query = select(Interaction).where(Interaction.request_id.in_(request_ids))
        for row in session.scalars(query):
            rows[row.request_id].append(
                {
                    "status": row.status,
                    "attempts": row.attempts,
                    "timings_ms": row.timings_ms or {},
                    "model": row.model,
                }
            )
    return rows


def summarise_answers(outcomes: dict[str, Outcome], rows: dict[str, list[dict]]) -> dict:
    """The issue's figures: answered, lost, duplicated, throughput and latency percentiles."""
    finished = {rid: o.of("finished") for rid, o in outcomes.items() if o.of("finished")}
    end_to_end = [(f[0].at - outcomes[rid].enqueued_at) * 1000 for rid, f in finished.items()]
    queue_wait = [w for rid in finished if (w := _queue_wait(outcomes[rid], rows[rid])) is not None]
    span = span_s([o.enqueued_at for o in outcomes.values()], [f[0].at for f in finished.values()])
    results = [Answer.model_validate(f[0].result) for f in finished.values()]
    return {
        "questions": len(outcomes),
        "answered": len(finished),
        "lost": sum(not o.done and not _final(rows[rid]) for rid, o in outcomes.items()),
        "duplicated": sum(_duplicated(o, rows[rid]) for rid, o in outcomes.items()),
        "throughput_qps": round(len(finished) / span, 3) if span else 0.0,
        "p50_ms": percentile(end_to_end, 50),
        "p95_ms": percentile(end_to_end, 95),
        "failed": sum(bool(o.of("failed")) and not o.of("finished") for o in outcomes.values()),
        "redelivered": sum(any(r["attempts"] > 1 for r in rs) for rs in rows.values()),
        "refused": sum(answer.refused for answer in results),
        "p50_queue_ms": percentile(queue_wait, 50),
        "p95_queue_ms": percentile(queue_wait, 95),
        "span_s": round(span, 2),
        "model": next((answer.model for answer in results if answer.model), None),
    }


def _queue_wait(outcome: Outcome, rows: list[dict]) -> float | None:
    """From the database (claim time − enqueue time), else from the "started" event."""
    for row in rows:
        if "queue_wait" in row["timings_ms"]:
            return float(row["timings_ms"]["queue_wait"])
    started = outcome.of("started")
    return (started[0].at - outcome.enqueued_at) * 1000 if started else None


def _duplicated(outcome: Outcome, rows: list[dict]) -> bool:
    return len(outcome.of("finished")) > 1 or len(rows) > 1


def _final(rows: list[dict]) -> bool:
    return any(row["status"] in FINAL_STATUSES for row in rows)


def percentile(values: list[float], q: int) -> float:
    return round(float(np.percentile(values, q)), 1) if values else 0.0


def _machine(settings: Settings, workers: int) -> dict:
    return {
        "cores": cores(),
        "torch_threads": threads_per_worker(workers),
        "max_new_tokens": settings.llm_max_new_tokens,
    }
