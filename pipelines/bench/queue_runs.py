"""What the queue benchmarks share: a flushed Redis database of their own, settings in a
fresh data dir, warm worker processes, and requests sent at once and followed to the end
through their reply lists."""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from faqbot.contracts import Reply, ReplyEvent
from faqbot.errors import first_line, masked_url
from faqbot.keys import bench_reply
from faqbot.settings import Settings
from pipelines.bench.worker_pool import WorkerPool

POLL_S = 1.0  # BLPOP timeout: well under the shared Redis client's 10 s socket timeout
SETTLE_S = 1.0  # after the last reply, how long a late duplicate has to show up


class BenchUnavailable(RuntimeError):
    """Redis cannot be reached, or the workers could not start or died."""


@dataclass
class Outcome:
    """What one request's reply list said."""

    enqueued_at: float
    events: list[ReplyEvent] = field(default_factory=list)

    def of(self, kind: str) -> list[ReplyEvent]:
        return [event for event in self.events if event.event == kind]

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


def connect_and_flush(url: str):
    """The bench's Redis, emptied: leftovers of an earlier run would be counted as lost."""
    from faqbot.shared_state import redis_client

    try:
        client = redis_client(url)
        client.ping()
    except Exception as exc:  # any connection failure is one line
        reason = f"Redis at {masked_url(url)} is unreachable: {first_line(exc)}"
        raise BenchUnavailable(reason) from exc
    client.flushdb()
    return client


def bench_settings(settings: Settings, data_dir: Path, redis_url: str) -> Settings:
    """The user's settings in a fresh data dir with its own SQLite database and LanceDB store;
    the converted model stays in the user's cache so it is converted once, not per run."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return settings.model_copy(
        update={
            "data_dir": data_dir,
            "redis_url": redis_url,
            "database_url": None,
            "weaviate_url": None,
            "model_cache": settings.model_cache_dir.resolve(),
        }
    )


def worker_env(settings: Settings, torch_threads: int) -> dict[str, str]:
    """Every setting as a FAQBOT_ variable, so a worker sees exactly these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    values = settings.model_dump() | {"torch_threads": torch_threads}
    env.update(
        {
            f"FAQBOT_{name.upper()}": _env_value(value)
            for name, value in values.items()
            if value is not None
        }
    )
    return env


def _env_value(value) -> str:
    """As the variable would be written: secrets in clear, lists comma-separated, mappings
    as JSON."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list):
        return ",".join(map(str, value))
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


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


def new_reply() -> Reply:
    return Reply(kind="redis", key=bench_reply(uuid.uuid4().hex))


def submit_and_wait(
    settings: Settings,
    client,
    pool: WorkerPool,
    task: str,
    requests: list,
    timeout_s: float,
    progress,
    label: str,
) -> dict[str, Outcome]:
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


def _wait(
    client, pool: WorkerPool, keys: dict[str, Outcome], deadline: float, progress, label: str
) -> None:
    pending = set(keys)
    while pending and time.monotonic() < deadline:
        popped = client.blpop(sorted(pending), timeout=POLL_S)
        if popped is None:
            _check_alive(pool)
            continue
        key = popped[0].decode()
        keys[key].events.append(ReplyEvent.model_validate_json(popped[1]))
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
        keys[key].events.extend(ReplyEvent.model_validate_json(raw) for raw in raws)


def _check_alive(pool: WorkerPool) -> None:
    if all(worker.process.poll() is not None for worker in pool.workers):
        raise BenchUnavailable(f"every worker stopped: {_log_tail(pool)}")


def span_s(starts: list[float], ends: list[float]) -> float:
    return max(ends) - min(starts) if starts and ends else 0.0
