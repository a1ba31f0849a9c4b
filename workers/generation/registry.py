"""Which adapter answers: FAQBOT_LLM_ADAPTER pins one; otherwise the registry's promoted
adapter, looked up at most every FAQBOT_ADAPTER_REFRESH_S so workers follow `faqbot adapters
promote` and `rollback` without a restart."""

from __future__ import annotations

import logging
import threading
import time

from faqbot.errors import first_line
from faqbot.settings import Settings, model_id

log = logging.getLogger("faqbot.worker")
_lock = threading.Lock()
_known: dict[str, tuple[float, str | None]] = {}  # database -> (checked at, adapter path)


def answering_adapter(settings: Settings) -> str | None:
    if settings.llm_adapter:
        return settings.llm_adapter
    key = settings.database_url_resolved
    with _lock:
        checked_at, path = _known.get(key, (float("-inf"), None))
        if time.monotonic() - checked_at < settings.adapter_refresh_s:
            return path
        try:
            fresh = _promoted_path(settings)
        except Exception as exc:  # noqa: BLE001 - the database away: keep answering as before
            log.warning("adapter registry unreadable, keeping %s: %s", path, first_line(exc))
            fresh = path
        if fresh != path and key in _known:
            log.info("answering adapter changed: %s -> %s", path, fresh)
        _known[key] = (time.monotonic(), fresh)
        return fresh


def forget_answering_adapter() -> None:
    """The next lookup reads the registry (tests, and a process that just promoted)."""
    with _lock:
        _known.clear()


def _promoted_path(settings: Settings) -> str | None:
    from faqbot.db import adapters
    from faqbot.db.engine import session_scope

    with session_scope(settings) as session:
        row = adapters.promoted(session)
        if row is None:
            return None
        serving = model_id(settings.llm_model)
        if row.base_model != serving:
            log.warning(
                "promoted adapter %s is for %s, not %s: answering without it",
                row.id,
                row.base_model,
                serving,
            )
            return None
        return row.path
