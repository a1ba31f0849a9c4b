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

import json
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from faqbot.settings import Settings
from faqbot.tasks import ANSWER, INGEST, AnswerRequest, IngestRequest, Reply
from pipelines.bench.datasets import SAMPLE_DIR, load_sample_questions
from pipelines.bench.worker_pool import WorkerPool

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
POLL_S = 1.0  # BLPOP timeout: well under the shared Redis client's 10 s socket timeout
SETTLE_S = 1.0  # after the last reply, how long a late duplicate has to show up
FINAL_STATUSES = ("answered", "refused", "failed")


class BenchUnavailable(RuntimeError):
    """Redis cannot be reached, or the workers could not start or died."""


@dataclass
class Outcome:
    """What one request's reply list said."""

    enqueued_at: float
    events: list[dict] = field(default_factory=list)

    def of(self, kind: str) -> list[dict]:
        return [event for event in self.events if event["event"] == kind]

    @property
    def done(self) -> bool:
        return bool(self.of("finished") or self.of("failed"))


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_per_worker(workers: int) -> int:
    """Torch threads per worker so that W workers do not oversubscribe the cores."""
    return max(1, cores() // workers)


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
        _interrupted_by_sigterm(),
        tempfile.TemporaryDirectory(prefix="faqbot-bench-") as tmp,
        progress or nullcontext(),
    ):
        root = Path(tmp)
        base = bench_settings(settings, root / "answers", redis_url)
        result = bench_answers(base, client, root, questions, workers, timeout_s, progress)
        if ingest_workers:
            result["ingest"] = bench_ingest(settings, client, root, redis_url, ingest_workers,
                                            ingest_copies, timeout_s, progress)  # fmt: skip
    return result


@contextmanager
def _interrupted_by_sigterm() -> Iterator[None]:
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


def connect_and_flush(url: str):
    """The bench's Redis, emptied: leftovers of an earlier run would be counted as lost."""
    from faqbot.shared_state import redis_client

    try:
        client = redis_client(url)
        client.ping()
    except Exception as exc:  # any connection failure is one line
        raise BenchUnavailable(f"Redis at {url} is unreachable: {_first_line(exc)}") from exc
    client.flushdb()
    return client


def bench_settings(settings: Settings, data_dir: Path, redis_url: str) -> Settings:
    """The user's settings in a fresh data dir with its own SQLite database and LanceDB store;
    the converted model stays in the user's cache so it is converted once, not per run."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return settings.model_copy(update={
        "data_dir": data_dir, "redis_url": redis_url, "database_url": None,
        "weaviate_url": None, "model_cache": settings.model_cache_dir.resolve(),
    })  # fmt: skip


def worker_env(settings: Settings, torch_threads: int) -> dict[str, str]:
    """Every setting as a FAQBOT_ variable, so a worker sees exactly these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    values = settings.model_dump() | {"torch_threads": torch_threads}
    env.update({f"FAQBOT_{name.upper()}": str(value) for name, value in values.items()
                if value is not None})  # fmt: skip
    return env


def start_workers(settings: Settings, log_dir: Path, count: int, queues: str) -> WorkerPool:
    """Started and warm (models loaded); the caller must stop them (it is a context manager)."""
    pool = WorkerPool(worker_env(settings, threads_per_worker(count)), log_dir)
    try:
        pool.start(count, queues=queues)
    except (RuntimeError, TimeoutError) as exc:
        pool.stop()
        raise BenchUnavailable(f"{queues} workers did not start: {_log_tail(pool)}") from exc
    except BaseException:
        pool.stop()
        raise
    return pool


def _log_tail(pool: WorkerPool) -> str:
    """The last non-empty line any worker logged: with `faqbot worker`, the reason it stopped."""
    lines = [line for worker in pool.workers for line in worker.log().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# Answers


def bench_answers(
    settings: Settings, client, root: Path, questions: int, workers: int,
    timeout_s: float | None, progress,
) -> dict:  # fmt: skip
    from faqbot.db.migrate import ensure_schema
    from pipelines.bench.corpora import index_sample
    from workers.embedder import get_embedder
    from workers.store import get_store

    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    index_sample(settings, get_store(settings), embedder, progress)
    ensure_schema(settings)  # once, before workers race to create it
    texts = spread([q.text for q in load_sample_questions()], questions)
    requests = [AnswerRequest(question=text, reply=_reply()) for text in texts]
    timeout_s = timeout_s or 120 + 60 * questions / workers
    with start_workers(settings, root / "logs-answers", workers, "answers") as pool:
        outcomes = submit_and_wait(settings, client, pool, ANSWER, requests, timeout_s,
                                   progress, "answered")  # fmt: skip
    summary = summarise_answers(outcomes, interaction_rows(settings, list(outcomes)))
    return {"questions": summary.pop("questions"), "workers": workers, **summary,
            **_machine(settings, workers)}  # fmt: skip


def spread(texts: list[str], count: int) -> list[str]:
    """`count` questions spread evenly over the set, repeating it when count is larger."""
    return [texts[int(i * len(texts) / count) % len(texts)] for i in range(count)]


def _reply() -> Reply:
    return Reply(kind="redis", key=f"faqbot:bench:reply:{uuid.uuid4().hex}")


def submit_and_wait(
    settings: Settings, client, pool: WorkerPool, task: str, requests: list, timeout_s: float,
    progress, label: str,
) -> dict[str, Outcome]:  # fmt: skip
    """All requests sent at once, then every reply read until each has finished or failed
    (or the time limit passes); keyed by request id."""
    from faqbot.dispatch import CeleryDispatcher

    dispatcher = CeleryDispatcher(settings)
    outcomes = {}
    for request in requests:
        request.enqueued_at = time.time()
        outcomes[request.request_id] = Outcome(request.enqueued_at)
        dispatcher.submit(task, request)
    keys = {request.reply.key: outcomes[request.request_id] for request in requests}
    _wait(client, pool, keys, time.monotonic() + timeout_s, progress, label)
    time.sleep(SETTLE_S)
    _drain(client, keys)
    return outcomes


def _wait(client, pool: WorkerPool, keys: dict[str, Outcome], deadline: float, progress,
          label: str) -> None:  # fmt: skip
    pending = set(keys)
    while pending and time.monotonic() < deadline:
        popped = client.blpop(sorted(pending), timeout=POLL_S)
        if popped is None:
            _check_alive(pool)
            continue
        key = popped[0].decode()
        keys[key].events.append(json.loads(popped[1]))
        if keys[key].done:
            pending.discard(key)
            if progress:
                progress(label, len(keys) - len(pending), len(keys))


def _drain(client, keys: dict[str, Outcome]) -> None:
    """Events still in the lists (a second "finished" of a redelivered task)."""
    pipe = client.pipeline()
    for key in keys:
        pipe.lrange(key, 0, -1)
    for key, raws in zip(keys, pipe.execute(), strict=True):
        keys[key].events.extend(json.loads(raw) for raw in raws)


def _check_alive(pool: WorkerPool) -> None:
    if all(worker.process.poll() is not None for worker in pool.workers):
        raise BenchUnavailable(f"every worker stopped: {_log_tail(pool)}")


def interaction_rows(settings: Settings, request_ids: list[str]) -> dict[str, list[dict]]:
    """The app database's rows for these requests (one each, unless something ran twice)."""
    from sqlalchemy import select

    from faqbot.db.engine import session_scope
    from faqbot.db.models import Interaction

    rows: dict[str, list[dict]] = {rid: [] for rid in request_ids}
    with session_scope(settings) as session:
        query = select(Interaction).where(Interaction.request_id.in_(request_ids))
        for row in session.scalars(query):
            rows[row.request_id].append({"status": row.status, "attempts": row.attempts,
                                         "timings_ms": row.timings_ms or {},
                                         "model": row.model})  # fmt: skip
    return rows


def summarise_answers(outcomes: dict[str, Outcome], rows: dict[str, list[dict]]) -> dict:
    """The issue's figures: answered, lost, duplicated, throughput and latency percentiles."""
    finished = {rid: o.of("finished") for rid, o in outcomes.items() if o.of("finished")}
    end_to_end = [(f[0]["at"] - outcomes[rid].enqueued_at) * 1000 for rid, f in finished.items()]
    queue_wait = [w for rid in finished if (w := _queue_wait(outcomes[rid], rows[rid])) is not None]
    span = _span([o.enqueued_at for o in outcomes.values()],
                 [f[0]["at"] for f in finished.values()])  # fmt: skip
    results = [f[0]["result"] for f in finished.values()]
    return {
        "questions": len(outcomes),
        "answered": len(finished),
        "lost": sum(not o.done and not _final(rows[rid]) for rid, o in outcomes.items()),
        "duplicated": sum(_duplicated(o, rows[rid]) for rid, o in outcomes.items()),
        "throughput_qps": round(len(finished) / span, 3) if span else 0.0,
        "p50_ms": _percentile(end_to_end, 50),
        "p95_ms": _percentile(end_to_end, 95),
        "failed": sum(bool(o.of("failed")) and not o.of("finished") for o in outcomes.values()),
        "redelivered": sum(any(r["attempts"] > 1 for r in rs) for rs in rows.values()),
        "refused": sum(bool(r.get("refused")) for r in results),
        "p50_queue_ms": _percentile(queue_wait, 50),
        "p95_queue_ms": _percentile(queue_wait, 95),
        "span_s": round(span, 2),
        "model": next((r["model"] for r in results if r.get("model")), None),
    }


def _queue_wait(outcome: Outcome, rows: list[dict]) -> float | None:
    """From the database (claim time − enqueue time), else from the "started" event."""
    for row in rows:
        if "queue_wait" in row["timings_ms"]:
            return float(row["timings_ms"]["queue_wait"])
    started = outcome.of("started")
    return (started[0]["at"] - outcome.enqueued_at) * 1000 if started else None


def _duplicated(outcome: Outcome, rows: list[dict]) -> bool:
    return len(outcome.of("finished")) > 1 or len(rows) > 1


def _final(rows: list[dict]) -> bool:
    return any(row["status"] in FINAL_STATUSES for row in rows)


def _span(starts: list[float], ends: list[float]) -> float:
    return max(ends) - min(starts) if starts and ends else 0.0


def _percentile(values: list[float], q: int) -> float:
    return round(float(np.percentile(values, q)), 1) if values else 0.0


def _machine(settings: Settings, workers: int) -> dict:
    return {"cores": cores(), "torch_threads": threads_per_worker(workers),
            "max_new_tokens": settings.llm_max_new_tokens}  # fmt: skip


# Ingestion


def ingest_sources(folder: Path, copies: int) -> list[IngestRequest]:
    """Each sample document in a folder of its own, `copies` times: one source per task, so
    the queue has many small jobs to share out, as when many sources are added at once."""
    requests = []
    for copy in range(copies):
        for doc in sorted((SAMPLE_DIR / "docs").iterdir()):
            target = folder / f"copy{copy}" / doc.stem
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(doc, target)
            requests.append(IngestRequest(target=str(target), source_id=f"c{copy}-{doc.stem}"))
    return requests


def bench_ingest(
    settings: Settings, client, root: Path, redis_url: str, worker_counts: tuple[int, ...],
    copies: int, timeout_s: float | None, progress,
) -> dict:  # fmt: skip
    sources = ingest_sources(root / "sources", copies)
    runs = {
        "in_process": ingest_in_process(
            bench_settings(settings, root / "ingest-in-process", redis_url), sources, progress
        )
    }
    timeout_s = timeout_s or 300 + 30 * len(sources)
    for count in worker_counts:
        data_dir = root / f"ingest-{count}-workers"
        runs[f"workers_{count}"] = ingest_through_queue(
            bench_settings(settings, data_dir, redis_url), client, root, sources, count,
            timeout_s, progress,
        )  # fmt: skip
    base = runs["in_process"]["chunks_per_s"]
    for run in runs.values():
        run["vs_in_process"] = round(run["chunks_per_s"] / base, 2) if base else 0.0
    return {"sources": len(sources), **runs}


def ingest_in_process(settings: Settings, sources: list[IngestRequest], progress) -> dict:
    """The same sources, one after another, in this process (its torch uses every core)."""
    import torch

    from faqbot.db.migrate import ensure_schema
    from pipelines.ingest.service import ingest_source
    from workers.embedder import get_embedder
    from workers.store import get_store

    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    store = get_store(settings)
    ensure_schema(settings)
    reports = []
    started = time.perf_counter()
    for done, request in enumerate(sources, 1):
        reports.append(ingest_source(request.model_copy(), settings=settings, store=store,
                                     embedder=embedder))  # fmt: skip
        if progress:
            progress("ingest in-process", done, len(sources))
    seconds = time.perf_counter() - started
    return _ingest_figures(reports, [], seconds, store.count(), 0, torch.get_num_threads())


def ingest_through_queue(
    settings: Settings, client, root: Path, sources: list[IngestRequest], workers: int,
    timeout_s: float, progress,
) -> dict:  # fmt: skip
    from faqbot.db.migrate import ensure_schema
    from workers.store import get_store

    ensure_schema(settings)
    requests = [r.model_copy(update={"request_id": uuid.uuid4().hex, "reply": _reply()})
                for r in sources]  # fmt: skip
    with start_workers(settings, root / f"logs-ingest-{workers}", workers, "ingest") as pool:
        outcomes = submit_and_wait(settings, client, pool, INGEST, requests, timeout_s,
                                   progress, f"ingest, {workers} workers")  # fmt: skip
    reports = [o.of("finished")[0]["result"] for o in outcomes.values() if o.of("finished")]
    failures = [e["error"] for o in outcomes.values() for e in o.of("failed")]
    seconds = _span([o.enqueued_at for o in outcomes.values()],
                    [e["at"] for o in outcomes.values() for e in o.of("finished")])  # fmt: skip
    lost = sum(not o.done for o in outcomes.values())
    return _ingest_figures(reports, failures, seconds, get_store(settings).count(), lost,
                           threads_per_worker(workers), workers)  # fmt: skip


def _ingest_figures(
    reports: list[dict], failures: list[str], seconds: float, stored: int, lost: int,
    torch_threads: int, workers: int = 0,
) -> dict:  # fmt: skip
    """Chunks/s of one run; `stored` (rows in the store afterwards) shows a lost write."""
    chunks = sum(report["chunks"] for report in reports)
    errors = [str(e) for report in reports for e in report["errors"]] + failures
    return {
        "workers": workers, "torch_threads": torch_threads, "tasks_finished": len(reports),
        "chunks": chunks, "stored_chunks": stored, "seconds": round(seconds, 2),
        "chunks_per_s": round(chunks / seconds, 2) if seconds else 0.0, "lost": lost,
        "errors": errors,
    }  # fmt: skip
