"""Task names, queues, payloads and results: the contract between the bot, which sends tasks
by name, the workers, which run them, and whoever reads what they hand back. Nothing here
imports a worker."""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field, field_serializer

ANSWER = "faqbot.answer"
INGEST = "faqbot.ingest"
REMOVE_SOURCE = "faqbot.remove_source"
SWEEP = "faqbot.sweep"
RETRAIN = "faqbot.retrain"
REPORT = "faqbot.weekly_report"
SUGGEST = "faqbot.suggested_prompts"
SYNC = "faqbot.sync_sources"

ANSWERS_QUEUE = "answers"  # latency-sensitive: give it workers of its own
INGEST_QUEUE = "ingest"
TRAINING_QUEUE = "training"
QUEUES = (ANSWERS_QUEUE, INGEST_QUEUE, TRAINING_QUEUE)

ROUTES = {
    ANSWER: ANSWERS_QUEUE,
    INGEST: INGEST_QUEUE,
    REMOVE_SOURCE: INGEST_QUEUE,
    SWEEP: INGEST_QUEUE,
    REPORT: INGEST_QUEUE,  # needs the embedder and the store, as ingestion does
    SUGGEST: INGEST_QUEUE,
    SYNC: INGEST_QUEUE,
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
    # slack: the asker's message, its sender and workspace. A native stream is a reply to a
    # message (in a DM answered in place, to the question itself) and names its recipient.
    question_ts: str | None = None
    user_id: str | None = None
    team_id: str | None = None


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


ConnectorKind = Literal[
    "file", "folder", "url", "website", "git", "slack-thread", "confluence", "notion", "drive"
]


class SourceSpec(BaseModel):
    """How a source is read, kept with the source so that every scheduled sync reads it the
    same way. `kind` None: a file, a folder or one web page, told from the target."""

    kind: ConnectorKind | None = None
    branch: str | None = Field(None, max_length=200)  # git: default the remote's HEAD
    paths: str | None = Field(None, max_length=200)  # git: a glob of the files to index
    depth: int | None = Field(None, ge=0, le=10)  # website: links followed from the start page
    max_pages: int | None = Field(None, ge=1, le=10_000)  # website, git: most documents read
    sync_hours: float | None = Field(None, ge=0, le=24 * 365)  # None: FAQBOT_SYNC_INTERVAL_H
    # Confluence, Notion, Drive: the name of a secret on the workers (never the secret itself)
    credential: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    # The service's groups that may read the source → the channels (or "public") they map to
    groups: dict[str, list[str]] | None = None


class IngestRequest(BaseModel):
    request_id: str = Field(default_factory=new_request_id)
    target: str  # a file, folder or URL
    spec: SourceSpec = Field(default_factory=SourceSpec)
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


# What the tasks hand back: to the reply sink (and so to Slack or a waiting client), to the
# interaction log and the source registry, and as the Celery result.


class Citation(BaseModel):
    """A passage an answer cites, or offers as related when nothing valid was cited."""

    n: int  # the [n] marker in the answer's text
    source_id: str
    title: str
    url: str | None = None
    chunk_id: str
    snippet: str
    document: str  # the file or page within the source (doc_key)


class RetrievedPassage(BaseModel):
    """A passage the prompt was built from, with its visibility at the time: text derived from
    the answer is later shown only where all of them are visible."""

    chunk_id: str
    source_id: str
    score: float
    visibility: list[str]


class PromptInputs(BaseModel):
    """The prompt's other inputs as formatted for the model: training examples are rebuilt
    from them in exactly the served format."""

    sources: str = ""
    history: str = ""


class Turn(BaseModel):
    """An earlier question and answer of the same thread, and where its sources are visible."""

    question: str
    answer: str
    visibility: list[str]


# "verified": an expert's verified answer to the same question, served instead of the chain.
AnswerMode = Literal["generated", "extractive", "refused", "verified"]


class Verification(BaseModel):
    """Who vouches for a verified answer, and whether it is past its review date."""

    verified_answer_id: int
    verifier: str  # Slack user id
    verified_on: str  # ISO date
    out_of_date: bool = False


class Answer(BaseModel):
    """The answer as every caller sees it: the CLI and its JSON, the Slack reply, the
    interaction log."""

    question: str
    answer: str
    citations: list[Citation]
    refused: bool
    # "extractive": the cited quote, because nothing the model wrote was backed by a passage.
    mode: AnswerMode
    model: str
    adapter: str | None = None
    timings_ms: dict[str, float]  # retrieve, generate, first_text, total (+ queue figures)
    tokens: dict[str, int] = Field(default_factory=dict)  # prompt, completion
    related: list[Citation] = Field(default_factory=list)
    retrieved: list[RetrievedPassage] = Field(default_factory=list)
    context: PromptInputs = Field(default_factory=PromptInputs)
    # Generated sentences the support check turned away (generation stops at the first one).
    dropped: list[str] = Field(default_factory=list)
    verification: Verification | None = None  # mode "verified"

    @field_serializer("timings_ms")
    def _rounded(self, timings: dict[str, float]) -> dict[str, float]:
        return {name: round(ms, 1) for name, ms in timings.items()}


class IngestReport(BaseModel):
    """One ingestion of a source, as the admin, the source registry and the audit log see it."""

    source_id: str
    files: int = 0
    chunks: int = 0  # embedded and stored by this run
    changed: int = 0  # documents new or changed since the last run: embedded again
    unchanged: int = 0  # documents already stored as they are: not embedded again
    removed: int = 0  # documents gone from the source since the last run
    errors: list[str] = Field(default_factory=list)  # one line per item that failed
    # documents left out: restricted more narrowly than the source (never shown wider)
    skipped: int = 0
    seconds: float = 0.0
    repeated: bool = False  # a redelivered request: this is the first run's report

    @property
    def ok(self) -> bool:
        return not self.errors


class RemovalReport(BaseModel):
    source_id: str
    removed_chunks: int


class Delivery(BaseModel):
    """The answer task's result."""

    request_id: str
    status: Literal["delivered", "already-delivered"]
    attempts: int = 0
    refused: bool = False


class GaveUp(BaseModel):
    """A task that gave up (its waiting client was told): the Celery result, instead of a
    retry storm or a silent loss."""

    status: Literal["failed"] = "failed"
    error: str


class SweepReport(BaseModel):
    resent: int  # questions no worker took, sent again
    failed_stale: int  # questions no worker will finish, marked failed
    askers_told: int
    forgotten: int  # interactions past the retention period, deleted
    experts_reminded: int = 0  # questions handed to experts, unresolved, reminded once
    reviews_requested: int = 0  # verified answers past their review date, verifier asked


class ReportSummary(BaseModel):
    """One weekly report to the admin channel."""

    posted: bool
    reason: str | None = None  # not posted: why
    channel: str | None = None
    questions: int = 0  # asked in the week
    gaps: int = 0  # paraphrase clusters listed
    plot: bool = False  # the per-week plot was uploaded


class SyncSummary(BaseModel):
    """One run of the scheduled sync: each due source's report, and the admins told."""

    synced: list[IngestReport] = Field(default_factory=list)
    busy: list[str] = Field(default_factory=list)  # being ingested by another worker: next run
    notified: int = 0  # DMs sent: a sync that failed or changed a large share of a source


class RetrainSummary(BaseModel):
    """One run of the retraining loop, as posted to the admin channel."""

    status: Literal["skipped", "promoted", "kept-current"]
    new_examples: int
    reason: str | None = None  # skipped / kept-current: why
    dataset: str | None = None
    adapter: str | None = None
    steps: int | None = None
    eval_loss: list[float | None] | None = None  # before, after
    overall: dict[str, int | float | None] | None = None  # promoted: the candidate's gate figures
    replaced: str | None = None  # promoted: the adapter it replaced (None: the base model)


TaskResult = Answer | IngestReport | RemovalReport


class ReplyEvent(BaseModel):
    """One entry of a Redis reply list (Reply kind "redis"), as the CLI, tests and benchmarks
    read it. Only the fields of its kind are set."""

    event: Literal["started", "status", "text", "progress", "finished", "failed"]
    at: float = Field(default_factory=time.time)
    text: str | None = None  # text: the answer so far
    phase: str | None = None  # progress; status: searching, reading, writing
    done: int | None = None
    total: int | None = None
    # finished: the TaskResult as JSON; the reader knows which task it sent.
    result: dict[str, Any] | None = None
    error: str | None = None  # failed: why, and the reference the asker is shown
    reference: str | None = None
