"""Starting workers and beat. Each worker process (a prefork child) loads its model, adapter and
embedder when it starts, before taking a task; if that fails, the whole worker stops and
`faqbot worker` prints why on one line and exits non-zero, instead of respawning forever."""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from celery import Celery
from celery.signals import worker_process_init

from faqbot.contracts import REPORT, RETRAIN, SUGGEST, SWEEP, SYNC
from faqbot.errors import first_line
from faqbot.queue import READY_MESSAGE, celery_app
from faqbot.settings import Settings, crontab_schedule
from workers.worker_process import warm_up

log = logging.getLogger("faqbot.worker")
SUGGESTIONS_SCHEDULE = "15 5 * * *"  # the Messages tab's prompts, each day at 05:15 UTC


@dataclass
class Boot:
    settings: Settings
    queues: list[str]
    failure_file: Path


_boot: Boot | None = None  # set by run_worker in the parent; prefork children inherit it


def worker_app(settings: Settings) -> Celery:
    import workers.tasks  # noqa: F401 - registers the tasks

    app = celery_app(settings)
    app.conf.beat_schedule = {
        "sweep-questions": {"task": SWEEP, "schedule": settings.sweep_interval_s},
        "sync-sources": {"task": SYNC, "schedule": settings.sync_check_interval_s},
    }
    for name, task, line in (
        ("retrain", RETRAIN, settings.retrain_schedule),
        ("weekly-report", REPORT, settings.report_schedule),
        ("suggested-prompts", SUGGEST, SUGGESTIONS_SCHEDULE),
    ):
        if line.strip():
            app.conf.beat_schedule[name] = {"task": task, "schedule": crontab_schedule(line)}
    return app


@worker_process_init.connect
def _load_heavy_objects(**_) -> None:
    if _boot is None:
        return
    try:
        warm_up(_boot.settings, _boot.queues)
    except Exception as exc:  # noqa: BLE001 - any load failure stops the worker, with its reason
        _boot.failure_file.write_text(first_line(exc))
        os.kill(os.getppid(), signal.SIGTERM)
        os._exit(1)
    log.info("%s %d: model and embedder loaded, taking tasks", READY_MESSAGE, os.getpid())


def run_worker(
    settings: Settings, queues: list[str], *, concurrency: int, loglevel: str
) -> str | None:
    """Runs a worker until it is stopped; returns the start-up failure, if there was one."""
    global _boot
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    failure = settings.data_dir / f".worker-{os.getpid()}.failed"
    failure.unlink(missing_ok=True)
    _boot = Boot(settings, queues, failure)
    app = worker_app(settings)
    argv = [
        "worker",
        f"--queues={','.join(queues)}",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        f"--loglevel={loglevel}",
        f"--hostname=faqbot-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    try:
        app.worker_main(argv)
    except SystemExit:
        pass
    if failure.exists():
        reason = failure.read_text()
        failure.unlink()
        return reason
    return None


def run_beat(settings: Settings, *, loglevel: str) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = worker_app(settings)
    app.Beat(schedule=str(settings.data_dir / "beat-schedule"), loglevel=loglevel).run()
