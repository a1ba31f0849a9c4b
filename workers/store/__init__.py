"""Knowledge store backends behind one protocol; `open_store` picks one from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workers.store.base import StoreUnavailable

if TYPE_CHECKING:
    from faqbot.settings import Settings
    from workers.store.base import KnowledgeStore

__all__ = ["StoreUnavailable", "open_store"]


def open_store(settings: Settings) -> KnowledgeStore:
    """Builds the configured backend. Import inside the branch so each backend stays optional."""
    if settings.weaviate_url:
        try:
            from workers.store.weaviate import WeaviateKnowledgeStore
        except ImportError as exc:
            raise StoreUnavailable(
                f"FAQBOT_WEAVIATE_URL is set but weaviate-client is not installed ({exc}). "
                "Run pip install 'faqbot[worker]', or unset FAQBOT_WEAVIATE_URL to use the "
                "embedded LanceDB store."
            ) from exc
        return WeaviateKnowledgeStore.connect(settings)
    from workers.store.lance import LanceKnowledgeStore

    return LanceKnowledgeStore(settings.lancedb_dir)


_stores: dict[tuple, KnowledgeStore] = {}


def get_store(settings: Settings) -> KnowledgeStore:
    """One store client per process and configuration, built on first use."""
    key = (settings.weaviate_url, settings.weaviate_collection, str(settings.lancedb_dir))
    if key not in _stores:
        _stores[key] = open_store(settings)
    return _stores[key]
