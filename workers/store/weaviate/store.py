"""The server store: one Weaviate collection, two self-provided named vectors per chunk.

Behaves like the LanceDB store, except that hybrid search is Weaviate's own relative-score
fusion and that replacing documents is insert-then-delete (Weaviate has no transactions).
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from weaviate.classes.query import Filter, HybridFusion, MetadataQuery
from weaviate.collections.classes.data import DataObject
from weaviate.exceptions import WeaviateInsertManyAllFailedError

from workers.store.base import (
    DocumentSet,
    EmbeddedChunk,
    Hit,
    SearchMode,
    SourceSummary,
    StoreUnavailable,
    summarise_source,
)

if TYPE_CHECKING:
    from weaviate import WeaviateClient
    from weaviate.collections.classes.filters import _Filters

    from faqbot.settings import Settings

from workers.store.weaviate.connection import connect_embedded, connect_remote, one_line
from workers.store.weaviate.schema import (
    CONTEXT,
    RAW,
    RETURNED,
    VERSION,
    documents_filter,
    ensure_collection,
    floats,
    hits_of,
    newest_only,
    refused_message,
    summary_row,
    to_object,
    visible_to,
    visible_wherever,
)

INSERT_BATCH = 200
_WITH_CHUNK = {"include_vector": [RAW], "return_properties": RETURNED}  # what every Hit needs


def _has_words(text: str) -> bool:
    """BM25 of a query without a single word or number finds nothing; skip the round trip."""
    return any(ch.isalnum() for ch in text)


class WeaviateKnowledgeStore:
    """Chunks in one Weaviate collection; visibility filters run inside every query."""

    def __init__(self, client: WeaviateClient, collection: str):
        self._client = client
        self._name = collection
        self.identity = f"weaviate:{collection}"
        self._collection = ensure_collection(client, collection)
        self._last_version = 0

    @classmethod
    def connect(cls, settings: Settings) -> WeaviateKnowledgeStore:
        """Connects as FAQBOT_WEAVIATE_URL says; every failure is one actionable line."""
        url = (settings.weaviate_url or "").strip()
        if url.lower() == "embedded":
            client = connect_embedded(settings.data_dir)
        else:
            client = connect_remote(url, settings.weaviate_api_key)
        try:
            return cls(client, settings.weaviate_collection)
        except Exception as exc:
            client.close()
            raise StoreUnavailable(
                f"Weaviate ({url}) is up but collection {settings.weaviate_collection!r} "
                f"could not be opened or created: {one_line(exc)}. Check FAQBOT_WEAVIATE_URL "
                "and FAQBOT_WEAVIATE_COLLECTION, or unset FAQBOT_WEAVIATE_URL to use LanceDB."
            ) from exc

    def close(self) -> None:
        self._client.close()

    def drop(self) -> None:
        """Deletes the collection and recreates it empty, so tests start clean."""
        self._client.collections.delete(self._name)
        self._collection = ensure_collection(self._client, self._name)

    def _next_version(self) -> int:
        """Microseconds: gRPC sends ints as doubles, exact only below 2**53; strictly rising."""
        self._last_version = max(time.time_ns() // 1000, self._last_version + 1)
        return self._last_version

    def replace_documents(
        self, source_id: str, chunks: list[EmbeddedChunk], doc_keys: set[str]
    ) -> None:
        if not doc_keys:
            return
        version = self._next_version()
        now = datetime.now(UTC)
        documents = documents_filter(source_id, doc_keys)
        try:
            self._insert([to_object(item, version, now) for item in chunks])
        except Exception:
            # Leave the old version whole rather than half of a new one.
            with contextlib.suppress(Exception):
                self._delete(documents & Filter.by_property(VERSION).equal(version))
            raise
        # Searches already prefer the new version (newest_only); now the old one can go.
        self._delete(documents & Filter.by_property(VERSION).less_than(version))

    def _insert(self, objects: list[DataObject]) -> None:
        for start in range(0, len(objects), INSERT_BATCH):
            part = objects[start : start + INSERT_BATCH]
            try:
                result = self._collection.data.insert_many(part)
            except WeaviateInsertManyAllFailedError as exc:
                raise RuntimeError(refused_message(part[0], one_line(exc))) from exc
            if result.errors:
                index, error = min(result.errors.items())
                raise RuntimeError(refused_message(part[index], error.message))

    def _delete(self, where: _Filters) -> int:
        """delete_many stops at the server's QUERY_MAXIMUM_RESULTS, so repeat until none match."""
        deleted = 0
        while True:
            result = self._collection.data.delete_many(where=where)
            if result.failed:
                raise RuntimeError(
                    f"Weaviate failed to delete {result.failed} of {result.matches} chunks"
                )
            deleted += result.successful
            if not result.matches or not result.successful:
                return deleted

    def delete_source(self, source_id: str) -> int:
        return self._delete(Filter.by_property("source_id").equal(source_id))

    def _scan(self, names: list[str]) -> list[Mapping[str, Any]]:
        """Every object's `names`, newest version only; the cursor API takes no filters."""
        wanted = list(dict.fromkeys([*names, "source_id", "doc_key", VERSION]))
        rows = [obj.properties for obj in self._collection.iterator(return_properties=wanted)]
        return newest_only(rows)

    def document_hashes(self, source_id: str) -> dict[str, str]:
        """A document still stored in two versions (a delete failed) reports no hash, so the
        next ingestion rewrites it and the old version is removed."""
        wanted = ["doc_hash", "source_id", "doc_key", VERSION]
        rows = [o.properties for o in self._collection.iterator(return_properties=wanted)]
        versions: dict[str, set[int]] = defaultdict(set)
        for row in rows:
            if row["source_id"] == source_id:
                versions[row["doc_key"]].add(int(row.get(VERSION) or 0))
        return {
            r["doc_key"]: r["doc_hash"]
            for r in newest_only(rows)
            if r["source_id"] == source_id and len(versions[r["doc_key"]]) == 1
        }

    def chunks_of(self, source_id: str, doc_keys: set[str]) -> list[Hit]:
        if not doc_keys:
            return []
        response = self._collection.query.fetch_objects(
            filters=documents_filter(source_id, doc_keys),
            limit=10_000,
            **_WITH_CHUNK,
        )
        return hits_of(response.objects, lambda obj: 1.0)

    def list_sources(self) -> list[SourceSummary]:
        columns = ["url", "path", "visibility", "indexed_at", "position", "source_root"]
        by_source: dict[str, list[dict]] = defaultdict(list)
        for row in self._scan(columns):
            by_source[row["source_id"]].append(summary_row(row))
        return [
            summarise_source(source_id, sorted(rows, key=lambda r: (r["doc_key"], r["position"])))
            for source_id, rows in sorted(by_source.items())
        ]

    def source_summary(self, source_id: str) -> SourceSummary | None:
        response = self._collection.query.fetch_objects(
            filters=Filter.by_property("source_id").equal(source_id),
            limit=10_000,
            return_properties=RETURNED,
        )
        rows = [summary_row(o.properties) for o in newest_only(response.objects, _props)]
        if not rows:
            return None
        return summarise_source(
            source_id, sorted(rows, key=lambda r: (r["doc_key"], r["position"]))
        )

    def count(self) -> int:
        return self._collection.aggregate.over_all(total_count=True).total_count or 0

    def search(
        self,
        *,
        text: str,
        vector: np.ndarray | None,
        labels: list[str],
        k: int,
        mode: SearchMode,
        alpha: float = 0.85,
        candidates: int = 50,
    ) -> list[Hit]:
        """`candidates` is Lance's; Weaviate's hybrid sizes its own sub-searches."""
        where = visible_to(labels)
        if mode == "dense":
            return self._dense(vector, where, k)
        if mode == "bm25":
            return self._bm25(text, where, k)
        return self._hybrid(text, vector, where, k, alpha)

    def _dense(self, vector: np.ndarray, where: _Filters, k: int) -> list[Hit]:
        response = self._collection.query.near_vector(
            near_vector=floats(vector),
            target_vector=RAW,
            filters=where,
            limit=k,
            **_WITH_CHUNK,
            return_metadata=MetadataQuery(distance=True),
        )
        return hits_of(response.objects, lambda obj: 1.0 - obj.metadata.distance)

    def _bm25(self, text: str, where: _Filters, k: int) -> list[Hit]:
        if not _has_words(text):
            return []
        response = self._collection.query.bm25(
            query=text,
            query_properties=["search_text"],
            filters=where,
            limit=k,
            **_WITH_CHUNK,
            return_metadata=MetadataQuery(score=True),
        )
        return hits_of(response.objects, lambda obj: obj.metadata.score)

    def _hybrid(
        self, text: str, vector: np.ndarray, where: _Filters, k: int, alpha: float
    ) -> list[Hit]:
        """Dense side on the context vector, as Lance's hybrid does."""
        response = self._collection.query.hybrid(
            query=text if _has_words(text) else None,
            vector=floats(vector),
            target_vector=CONTEXT,
            alpha=alpha,
            fusion_type=HybridFusion.RELATIVE_SCORE,
            query_properties=["search_text"],
            filters=where,
            limit=k,
            **_WITH_CHUNK,
            return_metadata=MetadataQuery(score=True),
        )
        return hits_of(response.objects, lambda obj: obj.metadata.score)

    def neighbours(
        self, vector: np.ndarray, visibility: list[str], k: int, exclude: DocumentSet | None = None
    ) -> list[Hit]:
        """Excluded documents are dropped here, not in the query: `contains_none` and `not_`
        need Weaviate 1.33. The limit grows until k others are found or the store runs out."""
        if k == 0:
            return []
        where = visible_wherever(visibility)
        limit = k if not exclude else k + 32
        while True:
            hits = self._dense(vector, where, limit)
            kept = [h for h in hits if not _excluded(h, exclude)]
            if len(kept) >= k or len(hits) < limit:
                return kept[:k]
            limit *= 4


def _excluded(hit: Hit, exclude: DocumentSet | None) -> bool:
    return bool(exclude) and (
        hit.chunk.source_id == exclude.source_id and hit.chunk.doc_key in exclude.doc_keys
    )


def _props(obj) -> Mapping[str, Any]:
    return obj.properties
