"""The Celery app, configured from the settings. The bot uses it only to send tasks by name;
workers register their tasks on it (workers/app.py). Every reliability setting is here, with
its reason."""

from __future__ import annotations

from celery import Celery
from kombu import Exchange, Queue

from faqbot.contracts import ANSWER, ANSWERS_QUEUE, INGEST, QUEUES, ROUTES
from faqbot.settings import Settings

MODEL_LOAD_TIMEOUT_S = 600
# Where the tasks are defined, by name: Celery imports it where tasks run (a worker, or the
# in-process dispatcher), so the core and the bot never import the workers' code.
TASK_MODULES = ["workers.tasks"]
# The line each worker process logs once its model and embedder are loaded (benchmarks wait
# for it).
READY_MESSAGE = "faqbot worker process"
_apps: dict[str | None, Celery] = {}


QUICK_RETRIES = {"max_retries": 2, "interval_start": 0, "interval_step": 0.25, "interval_max": 0.5}


def celery_app(settings: Settings) -> Celery:
    """One app per process and broker. Without a Redis URL the app has an in-memory broker and
    tasks are run in-process (see faqbot.dispatch)."""
    key = settings.redis_url
    if key not in _apps:
        _apps[key] = _configured(settings)
    return _apps[key]


def _configured(settings: Settings) -> Celery:
    url = settings.redis_url
    app = Celery(
        "faqbot",
        broker=url or "memory://",
        backend=url or "cache+memory://",
        include=TASK_MODULES,
    )
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_queues=[
            Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES
        ],
        task_default_queue=ANSWERS_QUEUE,
        task_routes={name: {"queue": queue} for name, queue in ROUTES.items()},
        # Ack at the start by default: a task that is not idempotent must never run twice.
        # The answer and ingest tasks are idempotent by request id and opt in to late acks
        # (and to requeueing when their worker process dies) in their decorators.
        task_acks_late=False,
        # Long CPU-bound tasks: a worker process reserves one task at a time, so a question
        # never waits behind another in a busy worker while an idle one could take it.
        worker_prefetch_multiplier=1,
        # Redis hands an unacked task to another worker after this long; it must exceed the
        # longest hard time limit (checked in Settings) or a slow task would run twice.
        # Workers look for such tasks every ~10 s (kombu's default is ~100 s: one scan per ten
        # 10-second ticks); the scan is one sorted-set range under a mutex, cheap for Redis.
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_s,
            "unacked_restore_interval": 5,
            "unacked_restore_throttle": 2,
        },
        result_backend_transport_options={
            "visibility_timeout": settings.visibility_timeout_s,
            "retry_policy": QUICK_RETRIES,
        },
        # A sender (the bot, inside Slack's 3 s) learns within about a second that Redis is
        # down, and tells the asker, instead of retrying for 20 s while Slack gives up.
        task_publish_retry_policy=QUICK_RETRIES,
        # Soft limit: the task gets SoftTimeLimitExceeded and fails its interaction cleanly;
        # hard limit: the worker process is killed and replaced.
        task_annotations={
            ANSWER: {
                "soft_time_limit": settings.answer_soft_time_limit_s,
                "time_limit": settings.answer_time_limit_s,
            },
            INGEST: {
                "soft_time_limit": settings.ingest_soft_time_limit_s,
                "time_limit": settings.ingest_time_limit_s,
            },
        },
        # A worker process loads its model before saying it is up (workers/app.py); billiard's
        # default 4 s would kill it mid-load and respawn it forever.
        worker_proc_alive_timeout=MODEL_LOAD_TIMEOUT_S,
        task_track_started=True,
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    return app
