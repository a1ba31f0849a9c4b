"""The Weaviate collection's shape: properties, named vectors, filters, and the conversion
between chunks and Weaviate objects."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from weaviate.classes.config import Configure, DataType, Property, Tokenization, VectorDistances
from weaviate.classes.query import Filter
from weaviate.collections.classes.data import DataObject
from weaviate.util import generate_uuid5

from workers.store.base import (
    CHUNK_FIELDS,
    PUBLIC,
    Chunk,
    EmbeddedChunk,
    Hit,
)

if TYPE_CHECKING:
    from weaviate import WeaviateClient
    from weaviate.collections import Collection
    from weaviate.collections.classes.filters import _Filters


RAW = "raw"
CONTEXT = "context"
VERSION = "ingest_version"
RETURNED = [*CHUNK_FIELDS, VERSION]
T = TypeVar("T")


def visible_to(labels: list[str]) -> _Filters:
    """Filter: chunk visible to any of the asker's labels."""
    return Filter.by_property("visibility").contains_any(labels)


def visible_wherever(visibility: list[str]) -> _Filters:
    """Filter: chunk visible everywhere a chunk with `visibility` is."""
    public = visible_to([PUBLIC])
    if PUBLIC in visibility:
        return public
    return public | Filter.by_property("visibility").contains_all(visibility)


def documents_filter(source_id: str, doc_keys: set[str]) -> _Filters:
    source = Filter.by_property("source_id").equal(source_id)
    return source & Filter.by_property("doc_key").contains_any(sorted(doc_keys))


def newest_only(
    items: Iterable[T], props: Callable[[T], Mapping[str, Any]] = lambda item: item
) -> list[T]:
    """Items whose document has no newer `ingest_version` among `items`, order kept.

    Between the insert and the delete of `replace_documents`, both versions of a document are
    stored; dropping the older one keeps a result from mixing them.
    """
    items = list(items)
    newest: dict[tuple[str, str], int] = {}
    for item in items:
        key, version = _document_version(props(item))
        newest[key] = max(version, newest.get(key, version))
    return [item for item in items if _is_newest(props(item), newest)]


def _document_version(row: Mapping[str, Any]) -> tuple[tuple[str, str], int]:
    return (row["source_id"], row["doc_key"]), int(row.get(VERSION) or 0)


def _is_newest(row: Mapping[str, Any], newest: dict[tuple[str, str], int]) -> bool:
    key, version = _document_version(row)
    return version == newest[key]


def _key_text(name: str) -> Property:
    """Exact-match text: `field` tokenization, so equal/contains filters never match on words."""
    return Property(
        name=name,
        data_type=DataType.TEXT,
        tokenization=Tokenization.FIELD,
        index_filterable=True,
        index_searchable=False,
        skip_vectorization=True,
    )


def _stored(name: str, data_type: DataType) -> Property:
    """Returned with hits, never filtered or searched, so it gets no index."""
    searchable = {"index_searchable": False} if data_type == DataType.TEXT else {}
    return Property(
        name=name,
        data_type=data_type,
        index_filterable=False,
        skip_vectorization=True,
        **searchable,
    )


def properties() -> list[Property]:
    """Chunk fields; `search_text` is the only BM25-searchable one, as in the Lance FTS index."""
    return [
        *(_key_text(name) for name in ("chunk_id", "source_id", "doc_key")),
        *(_stored(name, DataType.TEXT) for name in ("doc_hash", "title", "section", "text")),
        _stored("content_hash", DataType.TEXT),
        _stored("url", DataType.TEXT),
        _stored("path", DataType.TEXT),
        _stored("source_root", DataType.TEXT),
        _stored("position", DataType.INT),
        _stored("indexed_at", DataType.DATE),
        Property(
            name="search_text",
            data_type=DataType.TEXT,
            tokenization=Tokenization.WORD,
            index_filterable=False,
            index_searchable=True,
        ),
        Property(
            name="visibility",
            data_type=DataType.TEXT_ARRAY,
            tokenization=Tokenization.FIELD,
            index_filterable=True,
            index_searchable=False,
            skip_vectorization=True,
        ),
        Property(name=VERSION, data_type=DataType.INT, index_filterable=True),
    ]


def named_vectors() -> list:
    """Raw and context vectors, both computed by faqbot, compared by cosine like Lance."""
    hnsw = Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE)
    return [
        Configure.Vectors.self_provided(name=name, vector_index_config=hnsw)
        for name in (RAW, CONTEXT)
    ]


def ensure_collection(client: WeaviateClient, name: str) -> Collection:
    if not client.collections.exists(name):
        try:
            client.collections.create(name, properties=properties(), vector_config=named_vectors())
        except Exception:
            if not client.collections.exists(name):  # not a race with another worker
                raise
    return client.collections.use(name)


def to_object(item: EmbeddedChunk, version: int, now: datetime) -> DataObject:
    """One chunk at one ingest version; its UUID is stable for that pair, so retries overwrite."""
    c = item.chunk
    props: dict[str, Any] = {name: getattr(c, name) for name in CHUNK_FIELDS}
    props.update(
        position=int(c.position),
        visibility=list(c.visibility),
        search_text=c.keyword_text,
        indexed_at=now,
        ingest_version=version,
    )
    return DataObject(
        properties={k: v for k, v in props.items() if v is not None},
        uuid=generate_uuid5(f"{c.chunk_id}@{version}"),
        vector={RAW: floats(item.vector), CONTEXT: floats(item.context_vector)},
    )


def floats(vector: np.ndarray) -> list[float]:
    return np.asarray(vector, dtype=np.float32).tolist()


def _hit(obj: Any, score: float) -> Hit:
    props = obj.properties
    chunk = Chunk(**{name: props.get(name) for name in CHUNK_FIELDS})
    chunk.visibility = list(chunk.visibility or [])
    raw = (obj.vector or {}).get(RAW)
    vector = None if raw is None else np.asarray(raw, dtype=np.float32)
    return Hit(chunk=chunk, score=score, vector=vector)


def hits_of(objects: list, score: Callable[[Any], float]) -> list[Hit]:
    return [_hit(obj, float(score(obj))) for obj in newest_only(objects, lambda o: o.properties)]


def summary_row(row: Mapping[str, Any]) -> dict:
    """The row shape `_summary` reads; Weaviate leaves absent properties out or None."""
    return {
        "source_id": row["source_id"],
        "doc_key": row["doc_key"],
        "url": row.get("url"),
        "path": row.get("path"),
        "source_root": row.get("source_root") or "",
        "visibility": list(row.get("visibility") or []),
        "indexed_at": row.get("indexed_at"),
        "position": row.get("position") or 0,
    }


def refused_message(obj: DataObject, reason: str) -> str:
    return f"Weaviate refused chunk {obj.properties['chunk_id']!r}: {reason}"
