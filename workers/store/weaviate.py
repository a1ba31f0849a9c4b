"""The server store: one Weaviate collection, two self-provided named vectors per chunk.

Behaves like the LanceDB store, except that hybrid search is Weaviate's own relative-score
fusion and that replacing documents is insert-then-delete (Weaviate has no transactions).
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import numpy as np

from workers.store import StoreUnavailable
from workers.store.base import (
    CHUNK_FIELDS,
    PUBLIC,
    Chunk,
    DocumentSet,
    EmbeddedChunk,
    Hit,
    SearchMode,
    SourceSummary,
    summarise_source,
)

try:
    import weaviate
    from weaviate.classes.config import (
        Configure,
        DataType,
        Property,
        Tokenization,
        VectorDistances,
    )
    from weaviate.classes.init import Auth
    from weaviate.classes.query import Filter, HybridFusion, MetadataQuery
    from weaviate.collections.classes.data import DataObject
    from weaviate.exceptions import WeaviateInsertManyAllFailedError
    from weaviate.util import generate_uuid5
except ImportError as exc:  # the worker extra is not installed
    weaviate = None
    _IMPORT_ERROR: ImportError | None = exc
else:
    _IMPORT_ERROR = None

if TYPE_CHECKING:
    from weaviate import WeaviateClient
    from weaviate.collections import Collection
    from weaviate.collections.classes.filters import _Filters

    from faqbot.settings import Settings

RAW = "raw"
CONTEXT = "context"
GRPC_PORT = 50051
INSERT_BATCH = 200
_VERSION = "ingest_version"
_RETURNED = [*CHUNK_FIELDS, _VERSION]
_USE_LANCE = "Unset FAQBOT_WEAVIATE_URL to use the embedded LanceDB store"

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
    return (row["source_id"], row["doc_key"]), int(row.get(_VERSION) or 0)


def _is_newest(row: Mapping[str, Any], newest: dict[tuple[str, str], int]) -> bool:
    key, version = _document_version(row)
    return version == newest[key]


def _one_line(exc: BaseException) -> str:
    """Client errors span lines; StoreUnavailable promises one."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


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


def _properties() -> list[Property]:
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
        Property(name=_VERSION, data_type=DataType.INT, index_filterable=True),
    ]


def _vectors() -> list:
    """Raw and context vectors, both computed by faqbot, compared by cosine like Lance."""
    hnsw = Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE)
    return [
        Configure.Vectors.self_provided(name=name, vector_index_config=hnsw)
        for name in (RAW, CONTEXT)
    ]


def _ensure_collection(client: WeaviateClient, name: str) -> Collection:
    if not client.collections.exists(name):
        try:
            client.collections.create(name, properties=_properties(), vector_config=_vectors())
        except Exception:
            if not client.collections.exists(name):  # not a race with another worker
                raise
    return client.collections.use(name)


def _embedded(data_dir: Path) -> WeaviateClient:
    try:
        return weaviate.connect_to_embedded(persistence_data_path=str(data_dir / "weaviate"))
    except Exception as exc:
        raise StoreUnavailable(
            "Weaviate Embedded could not start (it downloads its binary on first start: "
            f"{_one_line(exc)}). {_USE_LANCE}, or point it at a running Weaviate "
            "(http://host:8080)."
        ) from exc


def _remote(url: str, api_key: str | None) -> WeaviateClient:
    """HTTP on the URL's host and port, gRPC on the same host at 50051."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreUnavailable(
            f"FAQBOT_WEAVIATE_URL={url!r} is neither 'embedded' nor http(s)://host:port. "
            "Fix it, or unset it to use the embedded LanceDB store."
        )
    secure = parts.scheme == "https"
    try:
        return weaviate.connect_to_custom(
            http_host=parts.hostname,
            http_port=port or (443 if secure else 8080),
            http_secure=secure,
            grpc_host=parts.hostname,
            grpc_port=GRPC_PORT,
            grpc_secure=secure,
            auth_credentials=Auth.api_key(api_key) if api_key else None,
        )
    except Exception as exc:
        raise StoreUnavailable(
            f"Could not connect to Weaviate at {url} (gRPC port {GRPC_PORT}): {_one_line(exc)} "
            f"Start Weaviate there, fix FAQBOT_WEAVIATE_URL, or unset it to use the embedded "
            "LanceDB store."
        ) from exc


def _object(item: EmbeddedChunk, version: int, now: datetime) -> DataObject:
    """One chunk at one ingest version; its UUID is stable for that pair, so retries overwrite."""
    c = item.chunk
    props: dict[str, Any] = {name: getattr(c, name) for name in CHUNK_FIELDS}
    props.update(
        position=int(c.position),
        visibility=list(c.visibility),
        search_text=c.search_text,
        indexed_at=now,
        ingest_version=version,
    )
    return DataObject(
        properties={k: v for k, v in props.items() if v is not None},
        uuid=generate_uuid5(f"{c.chunk_id}@{version}"),
        vector={RAW: _floats(item.vector), CONTEXT: _floats(item.context_vector)},
    )


def _floats(vector: np.ndarray) -> list[float]:
    return np.asarray(vector, dtype=np.float32).tolist()


def _hit(obj: Any, score: float) -> Hit:
    props = obj.properties
    chunk = Chunk(**{name: props.get(name) for name in CHUNK_FIELDS})
    chunk.visibility = list(chunk.visibility or [])
    raw = (obj.vector or {}).get(RAW)
    vector = None if raw is None else np.asarray(raw, dtype=np.float32)
    return Hit(chunk=chunk, score=score, vector=vector)


def _has_words(text: str) -> bool:
    """BM25 of a query without a single word or number finds nothing; skip the round trip."""
    return any(ch.isalnum() for ch in text)


def _documents(source_id: str, doc_keys: set[str]) -> _Filters:
    source = Filter.by_property("source_id").equal(source_id)
    return source & Filter.by_property("doc_key").contains_any(sorted(doc_keys))


class WeaviateKnowledgeStore:
    """Chunks in one Weaviate collection; visibility filters run inside every query."""

    def __init__(self, client: WeaviateClient, collection: str):
        self._client = client
        self._name = collection
        self._collection = _ensure_collection(client, collection)
        self._last_version = 0

    @classmethod
    def connect(cls, settings: Settings) -> WeaviateKnowledgeStore:
        """Connects as FAQBOT_WEAVIATE_URL says; every failure is one actionable line."""
        if _IMPORT_ERROR is not None:
            raise StoreUnavailable(
                f"FAQBOT_WEAVIATE_URL is set but weaviate-client is not installed "
                f"({_IMPORT_ERROR}). Run pip install 'faqbot[worker]', or unset "
                "FAQBOT_WEAVIATE_URL to use the embedded LanceDB store."
            )
        url = (settings.weaviate_url or "").strip()
        if url.lower() == "embedded":
            client = _embedded(settings.data_dir)
        else:
            client = _remote(url, settings.weaviate_api_key)
        try:
            return cls(client, settings.weaviate_collection)
        except Exception as exc:
            client.close()
            raise StoreUnavailable(
                f"Weaviate ({url}) is up but collection {settings.weaviate_collection!r} "
                f"could not be opened or created: {_one_line(exc)}. Check FAQBOT_WEAVIATE_URL "
                "and FAQBOT_WEAVIATE_COLLECTION, or unset FAQBOT_WEAVIATE_URL to use LanceDB."
            ) from exc

    def close(self) -> None:
        self._client.close()

    def drop(self) -> None:
        """Deletes the collection and recreates it empty, so tests start clean."""
        self._client.collections.delete(self._name)
        self._collection = _ensure_collection(self._client, self._name)

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
        documents = _documents(source_id, doc_keys)
        try:
            self._insert([_object(item, version, now) for item in chunks])
        except Exception:
            # Leave the old version whole rather than half of a new one.
            with contextlib.suppress(Exception):
                self._delete(documents & Filter.by_property(_VERSION).equal(version))
            raise
        # Searches already prefer the new version (newest_only); now the old one can go.
        self._delete(documents & Filter.by_property(_VERSION).less_than(version))

    def _insert(self, objects: list[DataObject]) -> None:
        for start in range(0, len(objects), INSERT_BATCH):
            part = objects[start : start + INSERT_BATCH]
            try:
                result = self._collection.data.insert_many(part)
            except WeaviateInsertManyAllFailedError as exc:
                raise RuntimeError(_refused(part[0], _one_line(exc))) from exc
            if result.errors:
                index, error = min(result.errors.items())
                raise RuntimeError(_refused(part[index], error.message))

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
        wanted = list(dict.fromkeys([*names, "source_id", "doc_key", _VERSION]))
        rows = [obj.properties for obj in self._collection.iterator(return_properties=wanted)]
        return newest_only(rows)

    def document_hashes(self, source_id: str) -> dict[str, str]:
        """A document still stored in two versions (a delete failed) reports no hash, so the
        next ingestion rewrites it and the old version is removed."""
        wanted = ["doc_hash", "source_id", "doc_key", _VERSION]
        rows = [o.properties for o in self._collection.iterator(return_properties=wanted)]
        versions: dict[str, set[int]] = defaultdict(set)
        for row in rows:
            if row["source_id"] == source_id:
                versions[row["doc_key"]].add(int(row.get(_VERSION) or 0))
        return {
            r["doc_key"]: r["doc_hash"]
            for r in newest_only(rows)
            if r["source_id"] == source_id and len(versions[r["doc_key"]]) == 1
        }

    def chunks_of(self, source_id: str, doc_keys: set[str]) -> list[Hit]:
        if not doc_keys:
            return []
        response = self._collection.query.fetch_objects(
            filters=_documents(source_id, doc_keys),
            limit=10_000,
            include_vector=[RAW],
            return_properties=_RETURNED,
        )
        return _hits(response.objects, lambda obj: 1.0)

    def list_sources(self) -> list[SourceSummary]:
        columns = ["url", "path", "visibility", "indexed_at", "position", "source_root"]
        by_source: dict[str, list[dict]] = defaultdict(list)
        for row in self._scan(columns):
            by_source[row["source_id"]].append(_summary_row(row))
        return [
            summarise_source(source_id, sorted(rows, key=lambda r: (r["doc_key"], r["position"])))
            for source_id, rows in sorted(by_source.items())
        ]

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
            near_vector=_floats(vector),
            target_vector=RAW,
            filters=where,
            limit=k,
            include_vector=[RAW],
            return_properties=_RETURNED,
            return_metadata=MetadataQuery(distance=True),
        )
        return _hits(response.objects, lambda obj: 1.0 - obj.metadata.distance)

    def _bm25(self, text: str, where: _Filters, k: int) -> list[Hit]:
        if not _has_words(text):
            return []
        response = self._collection.query.bm25(
            query=text,
            query_properties=["search_text"],
            filters=where,
            limit=k,
            include_vector=[RAW],
            return_properties=_RETURNED,
            return_metadata=MetadataQuery(score=True),
        )
        return _hits(response.objects, lambda obj: obj.metadata.score)

    def _hybrid(
        self, text: str, vector: np.ndarray, where: _Filters, k: int, alpha: float
    ) -> list[Hit]:
        """Dense side on the context vector, as Lance's hybrid does."""
        response = self._collection.query.hybrid(
            query=text if _has_words(text) else None,
            vector=_floats(vector),
            target_vector=CONTEXT,
            alpha=alpha,
            fusion_type=HybridFusion.RELATIVE_SCORE,
            query_properties=["search_text"],
            filters=where,
            limit=k,
            include_vector=[RAW],
            return_properties=_RETURNED,
            return_metadata=MetadataQuery(score=True),
        )
        return _hits(response.objects, lambda obj: obj.metadata.score)

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


def _hits(objects: list, score: Callable[[Any], float]) -> list[Hit]:
    return [_hit(obj, float(score(obj))) for obj in newest_only(objects, lambda o: o.properties)]


def _summary_row(row: Mapping[str, Any]) -> dict:
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


def _refused(obj: DataObject, reason: str) -> str:
    return f"Weaviate refused chunk {obj.properties['chunk_id']!r}: {reason}"
