"""The app database: what was asked and answered, the knowledge sources admins manage, and an
audit log. Small records only; document text lives in the knowledge store."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Json = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: Json, list[Any]: Json}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything here is written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class Interaction(Base):
    """One question and what happened to it; `request_id` makes redelivered tasks idempotent."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_reply", "reply_channel", "reply_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    question: Mapped[str] = mapped_column(Text)
    asker: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str | None] = mapped_column(String(64))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    # Only the asker saw the answer (a DM, /ask): nothing of it is ever shown to anyone else.
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The labels retrieval searched within (what the asker could see), and where everything
    # the answer was built from (its passages, its thread's earlier turns) is visible: text
    # derived from the answer is shown only there (faqbot.visibility).
    scope: Mapped[list[Any] | None] = mapped_column(nullable=True)
    visibility: Mapped[list[Any] | None] = mapped_column(nullable=True)
    # The Slack message that carries the answer: reactions on it are votes on this answer.
    reply_channel: Mapped[str | None] = mapped_column(String(64))
    reply_ts: Mapped[str | None] = mapped_column(String(32))
    # queued → running → answered | refused | failed
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    answer: Mapped[str | None] = mapped_column(Text)
    mode: Mapped[str | None] = mapped_column(String(16))  # generated, extractive, refused
    citations: Mapped[list[Any]] = mapped_column(default=list)
    retrieved: Mapped[list[Any]] = mapped_column(default=list)  # chunk ids, sources, scores
    # What the model was shown besides the question (the numbered sources, the thread so far):
    # the training set is built from it, in exactly the format the chain serves.
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The AnswerRequest as sent, reply address included: `faqbot failures retry` sends it
    # again, and a question no worker finished is still answered with an apology.
    request: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    model: Mapped[str | None] = mapped_column(String(200))
    adapter: Mapped[str | None] = mapped_column(String(200))
    timings_ms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tokens: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    enqueued_at: Mapped[float | None] = mapped_column(Float)  # epoch seconds, from the sender
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class KnowledgeSource(Base):
    """A source as admins see it; its chunks are in the knowledge store under the same id."""

    __tablename__ = "knowledge_sources"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # file, folder, url, website, git, slack-file
    location: Mapped[str] = mapped_column(Text)
    # How it is read (a SourceSpec: branch, depth, sync interval): each sync reads it so.
    spec: Mapped[dict[str, Any] | None] = mapped_column(Json, default=dict)
    visibility: Mapped[list[Any]] = mapped_column(default=list)
    added_by: Mapped[str | None] = mapped_column(String(64))
    # pending → indexing → ready | failed (the last good index stays searchable)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    documents: Mapped[int] = mapped_column(Integer, default=0)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    last_indexed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_request_id: Mapped[str | None] = mapped_column(String(64))
    last_report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, onupdate=utc_now
    )


class AuditEntry(Base):
    """Who changed what: every admin action and every source change."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now, index=True)
    actor: Mapped[str | None] = mapped_column(String(64))  # Slack user id, or "cli"
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")  # ok, refused, failed
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Vote(Base):
    """One user's current vote on one answer: the latest wins; 0 means retracted."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("interaction_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(SmallInteger)  # +1, -1, or 0 when retracted
    via: Mapped[str] = mapped_column(String(80))  # "button" or "reaction:<emoji name>"
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, onupdate=utc_now
    )


class Correction(Base):
    """What a user said the right answer would have been (from the 👎 modal). Nobody else is
    shown it, in an FAQ entry or through training, until an admin approved it; an admin's own
    correction is approved as it is made."""

    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    reviewer: Mapped[str | None] = mapped_column(String(64))  # Slack user id, or "cli:<name>"
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class DatasetReview(Base):
    """An admin's decision on a training candidate: rejected ones never reach a dataset."""

    __tablename__ = "dataset_reviews"

    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True
    )
    decision: Mapped[str] = mapped_column(String(16))  # approved, rejected
    reviewer: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Adapter(Base):
    """A trained LoRA adapter and how it measured; exactly one is `promoted` at a time (or
    none: the base model answers)."""

    __tablename__ = "adapters"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    base_model: Mapped[str] = mapped_column(String(200))
    dataset_version: Mapped[str | None] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(Text)
    # candidate → promoted → retired; or rejected by the gate
    status: Mapped[str] = mapped_column(String(16), index=True, default="candidate")
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    training: Mapped[dict[str, Any]] = mapped_column(default=dict)  # steps, loss, seconds
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    promoted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ChannelExpert(Base):
    """Someone (a user, or a user group) who answers a channel's questions by hand: tagged
    when an asker still needs help after the bot's answer."""

    __tablename__ = "channel_experts"
    __table_args__ = (UniqueConstraint("channel", "expert"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    expert: Mapped[str] = mapped_column(String(64))  # U… (a user) or S… (a user group)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Escalation(Base):
    """A question handed to people after the bot's answer did not help: at most one per
    question. Open until the asker (or an expert or admin) marks it resolved."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), unique=True
    )
    channel: Mapped[str] = mapped_column(String(64))
    thread_ts: Mapped[str] = mapped_column(String(32))  # the thread the experts were tagged in
    message_ts: Mapped[str | None] = mapped_column(String(32))  # the message that tagged them
    asked_by: Mapped[str] = mapped_column(String(64))
    # Who was tagged (user and user-group IDs); empty when the channel has no experts and the
    # fallback contact was named instead.
    experts: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open, resolved
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class VerifiedAnswer(Base):
    """An answer an expert gave and an expert or admin verified: served ahead of generation
    to questions that ask the same again, where its `visibility` allows, with who verified it
    and when. Due for review at `review_due`; retired ones are never served."""

    __tablename__ = "verified_answers"
    __table_args__ = (UniqueConstraint("channel", "message_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))  # who wrote the answer
    verifier: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    review_due: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Where it may be served: the channel it was given in (public only if an admin says so).
    visibility: Mapped[list[Any]] = mapped_column(default=list)
    channel: Mapped[str | None] = mapped_column(String(64))
    message_ts: Mapped[str | None] = mapped_column(String(32))  # the expert's reply
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    # When the verifier was asked (in a DM) to confirm or retire it, once per review date.
    review_asked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)  # or retired
