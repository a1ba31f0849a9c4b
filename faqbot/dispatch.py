"""How a task leaves the sending process: through Redis to the workers, or, with no Redis URL,
on a background thread of this process (one process only, for trying faqbot out)."""

from __future__ import annotations

import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from pydantic import BaseModel

from faqbot.contracts import ROUTES
from faqbot.queue import celery_app
from faqbot.settings import Settings

RECENT_FUTURES = 1000


class Dispatcher(Protocol):
    in_process: bool

    def submit(self, task: str, payload: BaseModel) -> str:
        """Sends the task; returns its Celery task id. Never waits for the task to run."""


class CeleryDispatcher:
    in_process = False

    def __init__(self, settings: Settings):
        self.app = celery_app(settings)

    def submit(self, task: str, payload: BaseModel) -> str:
        return self.app.send_task(task, kwargs={"payload": payload.model_dump()}).id


class InProcessDispatcher:
    """Runs tasks through the same task code as a worker, one at a time per queue, so the
    caller still returns at once. A crash of this process loses queued work."""

    in_process = True

    def __init__(self, settings: Settings):
        self.app = celery_app(settings)
        self._pools = {
            queue: ThreadPoolExecutor(1, thread_name_prefix=f"faqbot-{queue}")
            for queue in set(ROUTES.values())
        }
        self.futures: deque[Future] = deque(maxlen=RECENT_FUTURES)  # bounded: runs for weeks

    def submit(self, task: str, payload: BaseModel) -> str:
        self.app.loader.import_default_modules()  # registers the tasks (queue.TASK_MODULES)
        task_id = uuid.uuid4().hex
        future = self._pools[ROUTES[task]].submit(self._run, task, payload.model_dump(), task_id)
        self.futures.append(future)
        return task_id

    def _run(self, task: str, payload: dict, task_id: str):
        return self.app.tasks[task].apply(kwargs={"payload": payload}, task_id=task_id).get()


def dispatcher_for(settings: Settings) -> Dispatcher:
    return CeleryDispatcher(settings) if settings.redis_url else InProcessDispatcher(settings)


def running_without_workers(settings: Settings) -> str | None:
    """The start-up warning the bot prints when it will answer questions itself."""
    if settings.redis_url:
        return None
    return (
        "FAQBOT_REDIS_URL is not set: questions are answered inside this process, one at a "
        "time, and a crash loses the ones in flight. Set it and run `faqbot worker` for "
        "production."
    )
