"""The Weaviate backend: `records` (schema, filters, object conversion), `connection`, `store`."""

from workers.store.weaviate.schema import newest_only, properties, visible_to, visible_wherever
from workers.store.weaviate.store import WeaviateKnowledgeStore

__all__ = ["WeaviateKnowledgeStore", "newest_only", "properties", "visible_to", "visible_wherever"]
