"""The heavy objects of a worker or CLI process, built on first use and kept for its lifetime."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faqbot.settings import Settings
    from workers.embedder import Embedder
    from workers.store.base import KnowledgeStore


def embedder_for(settings: Settings) -> Embedder:
    from workers.embedder import get_embedder

    return get_embedder(settings.embedding_model, settings.embedding_batch_size)


def store_for(settings: Settings) -> KnowledgeStore:
    from workers.store import get_store

    return get_store(settings)
