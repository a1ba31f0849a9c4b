"""The audit log: one row per admin action or source change, including refused ones."""

from __future__ import annotations

from sqlalchemy.orm import Session

from faqbot.db.models import AuditEntry


def record(
    session: Session,
    action: str,
    *,
    actor: str | None,
    target: str | None = None,
    outcome: str = "ok",
    **detail,
) -> None:
    session.add(
        AuditEntry(actor=actor, action=action, target=target, outcome=outcome, detail=detail)
    )
