"""Rated answers written straight into the app database, as the bot and workers leave them."""

from __future__ import annotations

import datetime as dt
import uuid

from faqbot.db import feedback
from faqbot.db.engine import session_scope
from faqbot.db.migrate import upgrade
from faqbot.db.models import Interaction

SOURCES = "[1] VPN guide › Hotels\n> Error 809 means the hotel blocks IPsec: switch to TCP."


def answered(
    settings,
    question: str,
    answer: str = "Switch the VPN profile to TCP [1].",
    *,
    up: int = 0,
    down: int = 0,
    correction: str | None = None,
    correction_status: str = feedback.APPROVED,
    sources: str = SOURCES,
    channel: str = "C0HELP001",
    private: bool = False,
    visibility: list[str] | None = None,
    retrieved: list[dict] | None = None,
    at: dt.datetime | None = None,
) -> int:
    """One answered question with `up` 👍 and `down` 👎 from distinct users; its id. It was
    built from public passages unless `visibility` says otherwise."""
    upgrade(settings)
    with session_scope(settings) as session:
        row = Interaction(
            request_id=uuid.uuid4().hex,
            question=question,
            asker="U0ASKER01",
            channel=channel,
            private=private,
            visibility=["public"] if visibility is None else visibility,
            status="answered",
            answer=answer,
            mode="generated",
            context={"sources": sources, "history": ""},
            retrieved=retrieved or [],
            created_at=at or dt.datetime.now(dt.UTC),
        )
        session.add(row)
        session.flush()
        for n in range(up):
            feedback.cast(session, row, f"U0UP{n:05d}", 1, "button")
        for n in range(down):
            feedback.cast(session, row, f"U0DOWN{n:03d}", -1, "button")
        if correction:
            written = feedback.correct(session, row, "U0DOWN000", correction)
            written.status = correction_status
        return row.id
