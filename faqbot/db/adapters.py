"""The adapter registry: every trained adapter with how it measured, and which one answers.
At most one is `promoted`; the one before it is `retired` (what a rollback returns to)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from faqbot.db.models import Adapter

CANDIDATE, PROMOTED, RETIRED, REJECTED = "candidate", "promoted", "retired", "rejected"


class UnknownAdapter(ValueError):
    pass


def register(
    session: Session,
    adapter_id: str,
    *,
    base_model: str,
    path: str,
    dataset_version: str | None,
    training: dict,
) -> Adapter:
    row = Adapter(
        id=adapter_id,
        base_model=base_model,
        path=path,
        dataset_version=dataset_version,
        status=CANDIDATE,
        training=training,
        metrics={},
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, adapter_id: str) -> Adapter:
    row = session.get(Adapter, adapter_id)
    if row is None:
        raise UnknownAdapter(
            f"adapter {adapter_id}: not in the registry (see `faqbot adapters list`)"
        )
    return row


def all_adapters(session: Session) -> list[Adapter]:
    return list(session.scalars(select(Adapter).order_by(Adapter.created_at.desc())))


def promoted(session: Session) -> Adapter | None:
    return session.scalar(select(Adapter).where(Adapter.status == PROMOTED))


def promote(session: Session, row: Adapter) -> Adapter | None:
    """Makes `row` the answering adapter; returns the one it replaced (now retired)."""
    current = promoted(session)
    if current is not None and current.id != row.id:
        current.status = RETIRED
    row.status, row.promoted_at = PROMOTED, dt.datetime.now(dt.UTC)
    session.flush()
    return current


def previous(session: Session) -> Adapter | None:
    """The most recently promoted adapter before the current one."""
    query = select(Adapter).where(Adapter.status == RETIRED, Adapter.promoted_at.is_not(None))
    return session.scalar(query.order_by(Adapter.promoted_at.desc()).limit(1))
