"""Task names, queues and payloads: the contract between the bot, which sends tasks by name,
and the workers, which run them. Nothing here imports a worker."""

from __future__ import annotations

import time
import uuid

from pydantic import BaseModel, Field

ANSWER = "faqbot.answer"
INGEST = "faqbot.ingest"
SWEEP = "faqbot.sweep"

ANSWERS_QUEUE = "answers"  # latency-sensitive: give it workers of its own
INGEST_QUEUE = "ingest"
TRAINING_QUEUE = "training"
QUEUES = (ANSWERS_QUEUE, INGEST_QUEUE, TRAINING_QUEUE)

ROUTES = {ANSWER: ANSWERS_QUEUE, INGEST: INGEST_QUEUE, SWEEP: INGEST_QUEUE}


def new_request_id() -> str:
    return uuid.uuid4().hex


class Reply(BaseModel):
    """Where a task reports progress and its result: `redis` (a list that a waiting client
    reads) or `none`."""

    kind: str = "none"
    key: str | None = None  # redis: the list's key


class AnswerRequest(BaseModel):
    request_id: str = Field(default_factory=new_request_id)
    question: str
    asker: str | None = None  # Slack user id
    channel: str | None = None  # Slack channel id; None: a DM or the CLI (public sources only)
    thread_ts: str | None = None
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
