"""How the answer and ingest tasks behave when things go wrong: transient errors are retried
with exponential backoff and full jitter (or after the wait the other side asked for), a task
that keeps killing its worker is given up after a few deliveries, and a task that gives up
says so to whoever is waiting instead of vanishing."""

from __future__ import annotations

import logging
import random
import sys
from collections.abc import Callable

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from faqbot import keys
from faqbot.contracts import GaveUp
from faqbot.errors import TransientError, first_line
from faqbot.settings import Settings
from faqbot.shared_state import redis_client

log = logging.getLogger("faqbot.tasks")
DELIVERY_TTL_S = 7 * 24 * 3600


def is_transient(exc: BaseException) -> bool:
    """Outages worth waiting out: ours (TransientError), the network's, the database's, and a
    Weaviate or Redis connection error."""
    if isinstance(exc, TransientError | ConnectionError | TimeoutError | OperationalError):
        return True
    redis_exc = sys.modules.get("redis.exceptions")
    if redis_exc and isinstance(exc, redis_exc.ConnectionError | redis_exc.TimeoutError):
        return True
    weaviate_exc = sys.modules.get("weaviate.exceptions")
    return bool(weaviate_exc and isinstance(exc, weaviate_exc.WeaviateConnectionError))


def backoff_s(retries: int, settings: Settings, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, min(max, base x 2^retries)], so retries of many tasks spread
    out instead of hitting a recovering service together."""
    ceiling = min(settings.task_retry_backoff_max_s, settings.task_retry_backoff_s * 2**retries)
    return (rng or random).uniform(0, ceiling)


def retry_delay_s(exc: BaseException, retries: int, settings: Settings) -> float:
    asked = getattr(exc, "retry_after", None)
    return float(asked) if asked else backoff_s(retries, settings)


def count_delivery(task: Task, settings: Settings) -> int:
    """How many times this attempt has been handed to a worker. Retries are new attempts; a
    redelivery after a worker died is the same attempt again."""
    if task.request.is_eager or not settings.redis_url:
        return 1
    key = keys.deliveries(task.request.id, task.request.retries)
    pipe = redis_client(settings.redis_url).pipeline()
    pipe.incr(key)
    pipe.expire(key, DELIVERY_TTL_S)
    return int(pipe.execute()[0])


def run_reliably(
    task: Task, settings: Settings, work: Callable[[], BaseModel], give_up: Callable[[str], None]
) -> dict:
    """Runs `work` under the policy; `give_up(reason)` records the failure where users see it.
    Returns the task's result as JSON: what `work` returned, or a `GaveUp`."""
    deliveries = count_delivery(task, settings)
    if deliveries > settings.task_max_deliveries:
        reason = (
            f"stopped its worker {deliveries - 1} times (out of memory or killed); "
            "not retried again"
        )
        return _gave_up(give_up, reason)
    try:
        return work().model_dump(mode="json")
    except SoftTimeLimitExceeded:
        return _gave_up(give_up, "took longer than its time limit")
    except Exception as exc:
        if not is_transient(exc):
            _gave_up(give_up, f"{type(exc).__name__}: {first_line(exc)}")
            raise
        retries = task.request.retries
        if retries >= settings.task_max_retries:
            return _gave_up(give_up, f"{first_line(exc)} (gave up after {retries + 1} attempts)")
        delay = retry_delay_s(exc, retries, settings)
        log.warning(
            "%s: transient error, retry %d in %.1f s: %s",
            task.name,
            retries + 1,
            delay,
            first_line(exc),
        )
        raise task.retry(exc=exc, countdown=delay, max_retries=settings.task_max_retries) from exc


def _gave_up(give_up: Callable[[str], None], reason: str) -> dict:
    log.error("gave up: %s", reason)
    give_up(reason)
    return GaveUp(error=reason).model_dump(mode="json")
