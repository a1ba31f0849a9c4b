"""The embedded default store: LanceDB tables under the data dir, no server needed."""

from __future__ import annotations

import logging
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
from lancedb.index import FTS

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
from workers.store.fusion import newest_edition_only, relative_score_fusion

TABLE = "chunks"
COMMIT_ATTEMPTS = 6
log = logging.getLogger("faqbot.store")
_SUMMARY_COLUMNS = [
    "source_id",
    "doc_key",
    "url",
    "path",
    "visibility",
    "indexed_at",
    "source_root",
]


def _sql_list(values: list[str]) -> str:
    return ", ".join(f"'{_escape(v)}'" for v in values)


def visible_to(labels: list[str]) -> str:
    """SQL filter: chunk visible to any of the asker's labels."""
    return f"array_has_any(visibility, [{_sql_list(labels)}])"


def visible_wherever(visibility: list[str]) -> str:
    """SQL filter: chunk visible everywhere a chunk with `visibility` is."""
    public = visible_to([PUBLIC])
    if PUBLIC in visibility:
        return public
    return f"({public} OR array_has_all(visibility, [{_sql_list(visibility)}]))"


def _schema(dim: int) -> pa.Schema:
    vector = pa.list_(pa.float32(), dim)
    return pa.schema(
        [
            pa.field("chunk_id", pa.string()),
            pa.field("source_id", pa.string()),
            pa.field("doc_key", pa.string()),
            pa.field("doc_hash", pa.string()),
            pa.field("title", pa.string()),
            pa.field("section", pa.string()),
            pa.field("position", pa.int32()),
            pa.field("text", pa.string()),
            pa.field("search_text", pa.string()),
            pa.field("content_hash", pa.string()),
            pa.field("visibility", pa.list_(pa.string())),
            pa.field("source_root", pa.string()),
            pa.field("url", pa.string()),
            pa.field("path", pa.string()),
            pa.field("indexed_at", pa.timestamp("us", tz="UTC")),
            pa.field("vector", vector),
            pa.field("context_vector", vector),
        ]
    )


def _row(item: EmbeddedChunk, now: datetime) -> dict:
    c = item.chunk
    row = {name: getattr(c, name) for name in CHUNK_FIELDS}
    row.update(
        search_text=c.keyword_text,
        indexed_at=now,
        vector=item.vector.astype(np.float32),
        context_vector=item.context_vector.astype(np.float32),
    )
    return row


def _hit(row: dict, score: float) -> Hit:
    chunk = Chunk(**{name: row[name] for name in CHUNK_FIELDS})
    vector = row.get("vector")
    return Hit(chunk=chunk, score=score, vector=None if vector is None else np.asarray(vector))


class LanceKnowledgeStore:
    """Chunks in one LanceDB table with a native full-text index on `search_text`."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        # A zero interval makes every read check for commits by other processes: a worker
        # must see a source that an admin removed a second ago.
        self._db = lancedb.connect(str(directory), read_consistency_interval=timedelta(0))
        self._opened = None
        self.identity = f"lancedb:{directory.resolve()}"

    @property
    def _table(self):
        """The chunks table, opened once it exists (another process may create it later)."""
        if self._opened is None and TABLE in self._db.list_tables().tables:
            self._opened = self._db.open_table(TABLE)
        return self._opened

    def _ensure_table(self, dim: int):
        if self._table is None:
            self._opened = self._db.create_table(TABLE, schema=_schema(dim), exist_ok=True)
        return self._table

    def replace_documents(
        self, source_id: str, chunks: list[EmbeddedChunk], doc_keys: set[str]
    ) -> None:
        if not doc_keys:
            return
        if self._table is None and not chunks:
            return
        table = self._ensure_table(len(chunks[0].vector) if chunks else 0)
        now = datetime.now(UTC)
        rows = [_row(item, now) for item in chunks]
        stale = _documents_filter(source_id, doc_keys)
        data = pa.Table.from_pylist(rows, schema=table.schema)
        # One merge is one commit: readers see either the old document or the new one.
        retry_commit_conflicts(
            lambda: (
                table.merge_insert("chunk_id")
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .when_not_matched_by_source_delete(stale)
                .execute(data)
            )
        )
        self._refresh_fts()

    def _refresh_fts(self) -> None:
        """Rows added since the index was built are still searched (flat), but rebuilding keeps
        BM25 statistics right and queries fast. Workers ingesting at once race on it: a rebuild
        that keeps losing is left to the next write, since the data is already committed."""
        try:
            retry_commit_conflicts(
                lambda: self._table.create_index(
                    "search_text", config=FTS(with_position=False), replace=True
                )
            )
        except RuntimeError as exc:
            if not is_commit_conflict(exc):
                raise
            log.warning("full-text index rebuild deferred: %s", str(exc).splitlines()[0])

    def delete_source(self, source_id: str) -> int:
        if self._table is None:
            return 0
        where = f"source_id = '{_escape(source_id)}'"
        count = self._table.count_rows(where)
        if count:
            self._table.delete(where)
            self._refresh_fts()
        return count

    def _rows(self, where: str | None, columns: list[str]) -> list[dict]:
        if self._table is None:
            return []
        query = self._table.search().select(columns).limit(None)
        if where:
            query = query.where(where)
        return query.to_arrow().to_pylist()

    def document_hashes(self, source_id: str) -> dict[str, str]:
        rows = self._rows(f"source_id = '{_escape(source_id)}'", ["doc_key", "doc_hash"])
        return {r["doc_key"]: r["doc_hash"] for r in rows}

    def list_sources(self) -> list[SourceSummary]:
        by_source: dict[str, list[dict]] = defaultdict(list)
        for row in self._rows(None, _SUMMARY_COLUMNS):
            by_source[row["source_id"]].append(row)
        return [summarise_source(source_id, rows) for source_id, rows in sorted(by_source.items())]

    def chunks_of(self, source_id: str, doc_keys: set[str]) -> list[Hit]:
        if not doc_keys:
            return []
        rows = self._rows(_documents_filter(source_id, doc_keys), [*CHUNK_FIELDS, "vector"])
        return [_hit(row, 1.0) for row in rows]

    def search_texts(self) -> list[str]:
        """Every chunk's indexed text (benchmarks compare against a plain encode of these)."""
        return [row["search_text"] for row in self._rows(None, ["search_text"])]

    def source_summary(self, source_id: str) -> SourceSummary | None:
        rows = self._rows(f"source_id = '{_escape(source_id)}'", _SUMMARY_COLUMNS)
        return summarise_source(source_id, rows) if rows else None

    def count(self) -> int:
        return 0 if self._table is None else self._table.count_rows()

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
        if self._table is None:
            return []
        where = visible_to(labels)
        if mode == "dense":
            return self._dense(vector, where, k, "vector")
        if mode == "bm25":
            return self._bm25(text, where, k)
        dense = self._dense(vector, where, max(k, candidates), "context_vector")
        bm25 = self._bm25(text, where, max(k, candidates))
        return newest_edition_only(relative_score_fusion(dense, bm25, alpha, k))

    def _dense(self, vector: np.ndarray, where: str, k: int, column: str) -> list[Hit]:
        query = (
            self._table.search(np.asarray(vector, dtype=np.float32), vector_column_name=column)
            .distance_type("cosine")
            .where(where, prefilter=True)
            .select([*CHUNK_FIELDS, "vector", "_distance"])
            .limit(k)
        )
        return [_hit(row, 1.0 - row["_distance"]) for row in query.to_list()]

    def _bm25(self, text: str, where: str, k: int) -> list[Hit]:
        terms = _fts_terms(text)
        if not terms:
            return []
        query = (
            self._table.search(terms, query_type="fts", fts_columns="search_text")
            .where(where, prefilter=True)
            .select([*CHUNK_FIELDS, "vector", "_score"])
            .limit(k)
        )
        return [_hit(row, row["_score"]) for row in query.to_list()]

    def neighbours(
        self, vector: np.ndarray, visibility: list[str], k: int, exclude: DocumentSet | None = None
    ) -> list[Hit]:
        if self._table is None or k == 0:
            return []
        where = visible_wherever(visibility)
        if exclude and exclude.doc_keys:
            where += f" AND NOT ({_documents_filter(exclude.source_id, exclude.doc_keys)})"
        return self._dense(vector, where, k, "vector")


def _documents_filter(source_id: str, doc_keys: Iterable[str]) -> str:
    return f"source_id = '{_escape(source_id)}' AND doc_key IN ({_sql_list(sorted(doc_keys))})"


def _escape(value: str) -> str:
    return value.replace("'", "''")


def _fts_terms(text: str) -> str:
    """Plain words only: the FTS parser would read quotes, colons and dashes as syntax."""
    return " ".join(re.findall(r"\w+", text))


def is_commit_conflict(exc: BaseException) -> bool:
    return "Retryable commit conflict" in str(exc)


def retry_commit_conflicts(action: Callable[[], Any], attempts: int = COMMIT_ATTEMPTS) -> Any:
    """Lance commits optimistically: two processes writing the same table at once make one of
    them retry. Jittered backoff keeps the retries from colliding again."""
    for attempt in range(attempts):
        try:
            return action()
        except RuntimeError as exc:
            if not is_commit_conflict(exc) or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, 0.05 * 2**attempt))
    raise AssertionError("unreachable")  # the loop returns or raises
