"""What a worker process builds once: its settings and, at start, its heavy objects."""

from __future__ import annotations

import logging
from functools import lru_cache

from faqbot.contracts import ANSWERS_QUEUE
from faqbot.settings import Settings, load_settings

log = logging.getLogger("faqbot.worker")


@lru_cache(maxsize=1)
def process_settings() -> Settings:
    """Read once per process, at the first task (never at import)."""
    return load_settings()


def warm_up(settings: Settings, queues: list[str]) -> None:
    """Loads the model, adapter and embedder now, so no task pays for them. A model that cannot
    load is fatal (raised); a store that is down is not: tasks retry until it is back."""
    from faqbot.db.migrate import ensure_schema
    from workers.embedder import get_embedder
    from workers.store import StoreUnavailable, get_store

    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)
    ensure_schema(settings)
    get_embedder(settings.embedding_model, settings.embedding_batch_size)
    if ANSWERS_QUEUE in queues:
        from workers.answering.shared_chain import chat_model_for

        chat_model_for(settings)
    try:
        store = get_store(settings)
    except StoreUnavailable as exc:
        log.warning("knowledge store unavailable at start; tasks will retry: %s", exc)
        return
    if ANSWERS_QUEUE in queues:
        from faqbot.visibility import PUBLIC
        from workers.answering.calibration import measure_scopes

        embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
        measure_scopes(settings, store, embedder, [PUBLIC])
