"""Task names, queues and payloads: the contract between the bot, which sends tasks by name,
and the workers, which run them. Nothing here imports a worker."""

from __future__ import annotations

import time
import uuid
from typing import Literal

from pydantic import BaseModel, Field

ANSWER = "faqbot.answer"
INGEST = "faqbot.ingest"
REMOVE_SOURCE = "faqbot.remove_source"
SWEEP = "faqbot.sweep"
RETRAIN = "faqbot.retrain"

ANSWERS_QUEUE = "answers"  # latency-sensitive: give it workers of its own
INGEST_QUEUE = "ingest"
TRAINING_QUEUE = "training"
QUEUES = (ANSWERS_QUEUE, INGEST_QUEUE, TRAINING_QUEUE)

ROUTES = {
    ANSWER: ANSWERS_QUEUE,
    INGEST: INGEST_QUEUE,
    REMOVE_SOURCE: INGEST_QUEUE,
    SWEEP: INGEST_QUEUE,
    RETRAIN: TRAINING_QUEUE,
}


def new_request_id() -> str:
    return uuid.uuid4().hex


class Reply(BaseModel):
    """Where a task reports progress and its result: `redis` (a list that a waiting client
    reads), `slack` (a message the task edits, or a slash command's response URL) or `none`."""

    kind: Literal["none", "redis", "slack"] = "none"
    # redis: the list's key. slack: the shared key under which the bot leaves "channel ts" of
    # the placeholder message it posted (the task posts its own if none appears in time).
    key: str | None = None
    channel: str | None = None  # slack: where the reply goes (a user ID opens a DM)
    thread_ts: str | None = None  # slack: the thread to reply in
    response_url: str | None = None  # slack: /ask — replace the ephemeral placeholder here


class AnswerRequest(BaseModel):
    request_id: str = Field(default_factory=new_request_id)
    question: str
    asker: str | None = None  # Slack user id
    channel: str | None = None  # Slack channel id; None: the CLI
    thread_ts: str | None = None
    # Only the asker sees the answer (a DM, /ask): the asker's visibility grants apply instead
    # of the channel's sources, which a DM has none of and /ask must not widen.
    private: bool = False
    reply: Reply = Field(default_factory=Reply)
    enqueued_at: float = Field(default_factory=time.time)


class IngestRequest(BaseModel):
    request_id: str = Field(default_factory=new_request_id)
    target: str  # a file, folder or URL
    source_id: str | None = None
    visibility: list[str] = Field(default_factory=lambda: ["public"])
    added_by: str | None = None
    reply: Reply = Field(default_factory=Reply)
    enqueued_at: float = Field(default_factory=time.time)


class RemoveSourceRequest(BaseModel):
    request_id: str = Field(default_factory=new_request_id)
    source_id: str
    actor: str | None = None
    reply: Reply = Field(default_factory=Reply)
