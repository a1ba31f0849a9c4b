"""Where a task reports to while it runs and when it ends: a Redis list serves the CLI, tests
and benchmarks; Slack sinks (workers/slack/message_sinks.py) edit the asker's placeholder message.
The tasks pick one per request (workers/tasks/reply_to.py)."""

from __future__ import annotations

from typing import Protocol

from faqbot.contracts import ReplyEvent, TaskResult
from faqbot.shared_state import redis_client

REPLY_TTL_S = 24 * 3600


class ReplySink(Protocol):
    def started(self) -> None: ...

    def status(self, state: str, sources: int = 0) -> None:
        """What the answer job does next: searching, reading `sources` documents, writing."""

    def text(self, partial: str) -> None:
        """The answer so far, while the model writes it."""

    def progress(self, phase: str, done: int, total: int) -> None: ...

    def finished(self, result: TaskResult) -> None:
        """The final result. Must be idempotent: a redelivered task may send it again."""

    def failed(self, error: str, reference: str) -> None: ...

    def location(self) -> tuple[str, str] | None:
        """The Slack channel and ts of the message that carries the result, if there is one."""


class NullSink:
    def started(self) -> None:
        pass

    def status(self, state: str, sources: int = 0) -> None:
        pass

    def text(self, partial: str) -> None:
        pass

    def progress(self, phase: str, done: int, total: int) -> None:
        pass

    def finished(self, result: TaskResult) -> None:
        pass

    def failed(self, error: str, reference: str) -> None:
        pass

    def location(self) -> tuple[str, str] | None:
        return None


class RedisListSink:
    """Appends JSON events to a Redis list that the requester reads (BLPOP) or counts."""

    def __init__(self, url: str, key: str):
        self.client, self.key = redis_client(url), key

    def _push(self, event: str, **data) -> None:
        entry = ReplyEvent(event=event, **data)
        pipe = self.client.pipeline()
        pipe.rpush(self.key, entry.model_dump_json(exclude_none=True))
        pipe.expire(self.key, REPLY_TTL_S)
        pipe.execute()

    def started(self) -> None:
        self._push("started")

    def status(self, state: str, sources: int = 0) -> None:
        self._push("status", phase=state, total=sources or None)

    def text(self, partial: str) -> None:
        self._push("text", text=partial)

    def progress(self, phase: str, done: int, total: int) -> None:
        self._push("progress", phase=phase, done=done, total=total)

    def finished(self, result: TaskResult) -> None:
        self._push("finished", result=result.model_dump(mode="json"))

    def failed(self, error: str, reference: str) -> None:
        self._push("failed", error=error, reference=reference)

    def location(self) -> tuple[str, str] | None:
        return None
