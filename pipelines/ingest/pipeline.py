"""Ingestion of one source (files, a folder, a web page, a website, a Git repository: whatever
its connector lists) into the knowledge store.

Each document is hashed, by its change marker where the source has one, by its bytes otherwise;
unchanged documents are skipped, changed ones are replaced in one store commit, documents gone
from the source are removed, and a document that fails to load keeps whatever was indexed for
it before.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from faqbot.contracts import IngestReport, SourceSpec
from faqbot.errors import first_line
from faqbot.settings import Settings
from faqbot.source_kinds import THREAD_PREFIX
from pipelines.ingest.chunking import chunk_document
from pipelines.ingest.connectors import connector_for
from pipelines.ingest.connectors.base import Connector, ReadDocument, RemoteDocument
from pipelines.ingest.context import context_vectors
from pipelines.ingest.documents import DocumentLimits, ItemError, LoadedDocument
from pipelines.ingest.fetch import is_url
from pipelines.ingest.loaders import parse_bytes, title_from_name
from workers.embedder import Embedder
from workers.store.base import Chunk, EmbeddedChunk, Hit, KnowledgeStore

# Bump when chunking changes, so that every document is re-chunked on its next ingestion.
CHUNKER_VERSION = "4"  # 2: invisible characters removed, chunks capped; 3: plain-text headings;
# 4: title initials in the full-text index

Progress = Callable[[str, int, int], None]


@dataclass
class ItemFailure:
    item: str
    reason: str
    doc_key: str | None = None

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


@dataclass
class PreparedDocument:
    doc_key: str
    doc_hash: str
    document: LoadedDocument


@dataclass
class IngestRun:
    """The tally of one ingestion while it runs; `report()` is what it hands back."""

    source_id: str
    files: int = 0
    chunks: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    errors: list[ItemFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def report(self) -> IngestReport:
        return IngestReport(
            source_id=self.source_id,
            files=self.files,
            chunks=self.chunks,
            changed=self.changed,
            unchanged=self.unchanged,
            removed=self.removed,
            skipped=self.skipped,
            errors=[str(failure) for failure in self.errors],
            seconds=round(self.seconds, 2),
        )


def source_root(target: str) -> str:
    """Where a source comes from: the URL or Slack thread, or the absolute file or folder
    path."""
    if is_url(target) or target.startswith(THREAD_PREFIX):
        return target
    return str(Path(target).resolve())


def default_source_id(target: str) -> str:
    """A readable id (the file or folder name, the URL's host and path, or the thread's
    channel and ts) made unique by a hash of the full location, so two folders named `docs`
    never share a source."""
    root = source_root(target)
    if is_url(target) or target.startswith(THREAD_PREFIX):
        raw = re.sub(r"^[a-z]+://", "", root.lower())
    else:
        raw = Path(root).name
    slug = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")[:60] or "source"
    return f"{slug}-{hashlib.sha256(root.encode()).hexdigest()[:6]}"


def document_hash(data: bytes, visibility: list[str], settings: Settings) -> str:
    """What decides whether a document is embedded again: its bytes (or its change marker,
    given as bytes) and everything that shapes its chunks and vectors."""
    digest = hashlib.sha256(data)
    recipe = f"{CHUNKER_VERSION}|{settings.embedding_model}|{settings.chunk_tokens}|"
    recipe += f"{settings.chunk_overlap_tokens}|{settings.context_neighbours}|"
    recipe += f"{settings.context_weight}|{settings.chunk_max_chars}|{','.join(visibility)}"
    digest.update(recipe.encode())
    return digest.hexdigest()[:24]


def ingest(
    target: str,
    *,
    settings: Settings,
    store: KnowledgeStore,
    embedder: Embedder,
    source_id: str | None = None,
    visibility: list[str],
    progress: Progress | None = None,
    spec: SourceSpec | None = None,
) -> IngestRun:
    """Ingests `target` as one source, read as `spec` says (default: a file, a folder or a
    web page); never raises for a bad item, only reports it."""
    started = time.perf_counter()
    source_id = source_id or default_source_id(target)
    report = IngestRun(source_id)
    connector = None
    try:
        try:
            connector = connector_for(target, spec or SourceSpec(), settings)
            listed = _listed(connector)
            visibility = _permitted(connector, visibility)
            report.skipped = connector.skipped
            _check_same_location(store, source_id, connector.root)
        except PermissionRefused as exc:  # the service restricts it now: nothing stays shown
            report.removed = len(store.document_hashes(source_id))
            withdrawn = f"; the {report.removed} documents indexed from it are withdrawn"
            report.errors.append(
                ItemFailure(target, str(exc) + (withdrawn if report.removed else ""))
            )
            if report.removed:
                store.delete_source(source_id)
        except ItemError as exc:
            report.errors.append(ItemFailure(target, str(exc)))
            if _holds(store, source_id, source_root(target)):  # unreadable: keep, relabelled
                _relabel_stored(source_id, visibility, settings, store, embedder, report)
        else:
            _ingest_listed(
                connector,
                listed,
                source_id,
                visibility,
                settings,
                store,
                embedder,
                report,
                progress,
            )
    except Exception as exc:  # noqa: BLE001 - a store outage is one line, not a traceback
        reason = f"the knowledge store refused the update ({first_line(exc)}); nothing changed"
        report.errors.append(ItemFailure(target, reason))
    finally:
        if connector is not None:
            connector.close()
    report.seconds = time.perf_counter() - started
    return report


def _listed(connector: Connector) -> list[RemoteDocument]:
    """The source's documents; a connector's own failure is one line, like a bad source."""
    try:
        return connector.documents()
    except ItemError:
        raise
    except Exception as exc:
        raise ItemError(f"could not be listed ({type(exc).__name__}: {first_line(exc)})") from exc


class PermissionRefused(ItemError):
    """The source's own service lets no channel asked for see it."""


def _permitted(connector: Connector, asked: list[str]) -> list[str]:
    try:
        return connector.visibility(asked)
    except ValueError as exc:  # the service's permissions map to no channel asked for
        raise PermissionRefused(str(exc)) from exc


def _relabel_stored(
    source_id: str,
    visibility: list[str],
    settings: Settings,
    store: KnowledgeStore,
    embedder: Embedder,
    report: IngestRun,
) -> None:
    """A source restricted while its folder is missing or empty must not stay public: every
    stored chunk of it is rewritten under the visibility asked for, as it is."""
    stored = store.chunks_of(source_id, set(store.document_hashes(source_id)))
    kept = _relabelled(stored, visibility)
    if kept:
        index_documents(
            source_id,
            [],
            set(),
            visibility=visibility,
            settings=settings,
            store=store,
            embedder=embedder,
            report=report,
            kept=kept,
        )


def _holds(store: KnowledgeStore, source_id: str, root: str) -> bool:
    summary = store.source_summary(source_id)
    return summary is not None and summary.location == root


def _check_same_location(store: KnowledgeStore, source_id: str, root: str) -> None:
    """A source id names one location; reusing it for another would delete the first one's
    documents as "gone"."""
    summary = store.source_summary(source_id)
    if summary and summary.location != root:
        raise ItemError(
            f"source {source_id!r} already holds {summary.location}; remove it first "
            f"(faqbot sources remove {source_id}) or choose another --source-id"
        )


def _ingest_listed(
    connector: Connector,
    listed: list[RemoteDocument],
    source_id: str,
    visibility: list[str],
    settings: Settings,
    store: KnowledgeStore,
    embedder: Embedder,
    report: IngestRun,
    progress: Progress | None,
) -> None:
    known = store.document_hashes(source_id)
    prepared = _prepare(connector, listed, known, visibility, settings, report, progress)
    for doc in prepared:
        doc.document.source_root = connector.root
    # Documents gone from the source are removed; failed ones keep their old chunks, under the
    # visibility asked for now (a source being restricted must not leave public leftovers).
    gone = set(known) - {document.doc_key for document in listed}
    failed = {f.doc_key for f in report.errors if f.doc_key in known}
    report.removed = len(gone)
    report.changed = len(prepared)
    kept = _relabelled(store.chunks_of(source_id, failed), visibility)
    index_documents(
        source_id,
        prepared,
        gone,
        visibility=visibility,
        settings=settings,
        store=store,
        embedder=embedder,
        report=report,
        progress=progress,
        kept=kept,
    )


def _relabelled(hits: list[Hit], visibility: list[str]) -> list[Hit]:
    """Stored chunks whose visibility differs from the one asked for, relabelled."""
    return [
        Hit(replace(hit.chunk, visibility=visibility), hit.score, hit.vector)
        for hit in hits
        if sorted(hit.chunk.visibility) != sorted(visibility)
    ]


def _prepare(
    connector: Connector,
    listed: list[RemoteDocument],
    known: dict[str, str],
    visibility: list[str],
    settings: Settings,
    report: IngestRun,
    progress: Progress | None,
) -> list[PreparedDocument]:
    """The documents to embed again: new or changed ones, read and parsed. A document whose
    change marker is the one indexed is not even read."""
    prepared, limits = [], DocumentLimits.from_settings(settings)
    for done, document in enumerate(listed, start=1):
        try:
            marked = document.marker and document_hash(
                document.marker.encode(), visibility, settings
            )
            if marked and known.get(document.doc_key) == marked:
                report.unchanged += 1
            else:
                read = connector.read(document)
                doc_hash = marked or document_hash(read.data, visibility, settings)
                if known.get(document.doc_key) == doc_hash:
                    report.unchanged += 1
                else:
                    prepared.append(_parsed(document, doc_hash, read, limits))
            report.files += 1
        except ItemError as exc:
            report.errors.append(ItemFailure(document.location, str(exc), document.doc_key))
        except OSError as exc:
            reason = f"could not read ({exc.strerror or first_line(exc)})"
            report.errors.append(ItemFailure(document.location, reason, document.doc_key))
        except Exception as exc:  # noqa: BLE001 - a parser bug must not abort the batch
            reason = f"could not be parsed ({type(exc).__name__}: {first_line(exc)})"
            report.errors.append(ItemFailure(document.location, reason, document.doc_key))
        if progress:
            progress("read", done, len(listed))
    return prepared


def _parsed(
    document: RemoteDocument, doc_hash: str, read: ReadDocument, limits: DocumentLimits
) -> PreparedDocument:
    title = document.title or title_from_name(document.doc_key)
    parsed = parse_bytes(read.data, read.suffix, title, limits)
    parsed.url, parsed.path = document.url, document.path
    return PreparedDocument(document.doc_key, doc_hash, parsed)


def index_documents(
    source_id: str,
    prepared: Iterable[PreparedDocument],
    removed_keys: set[str],
    *,
    visibility: list[str],
    settings: Settings,
    store: KnowledgeStore,
    embedder: Embedder,
    report: IngestRun,
    progress: Progress | None = None,
    kept: list[Hit] = (),
) -> None:
    """Chunks, embeds and stores documents in one commit, with `removed_keys` deleted and the
    `kept` chunks (already embedded) rewritten as they are, e.g. under a new visibility."""
    prepared = list(prepared)
    chunks = [
        chunk
        for doc in prepared
        for chunk in _chunks_of(source_id, doc, visibility, settings, embedder)
    ]
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("embed", done, len(chunks))

    fresh = embedder.embed([chunk.search_text for chunk in chunks], progress=advance)
    chunks += [hit.chunk for hit in kept]
    vectors = np.vstack([fresh, *(hit.vector[None, :] for hit in kept)])
    replaced = {doc.doc_key for doc in prepared} | {hit.chunk.doc_key for hit in kept}
    contexts = context_vectors(
        vectors,
        source_id,
        replaced,
        visibility,
        store,
        k=settings.context_neighbours,
        weight=settings.context_weight,
    )
    embedded = [
        EmbeddedChunk(chunk, vector, context)
        for chunk, vector, context in zip(chunks, vectors, contexts, strict=True)
    ]
    store.replace_documents(source_id, embedded, replaced | removed_keys)
    report.chunks += len(chunks) - len(kept)


def _chunks_of(
    source_id: str,
    doc: PreparedDocument,
    visibility: list[str],
    settings: Settings,
    embedder: Embedder,
) -> list[Chunk]:
    pieces = chunk_document(
        doc.document,
        max_tokens=min(settings.chunk_tokens, embedder.max_tokens),
        overlap_tokens=settings.chunk_overlap_tokens,
        count_tokens=embedder.count_tokens,
        max_chars=settings.chunk_max_chars,
    )
    return [
        Chunk(
            chunk_id=_chunk_id(source_id, doc, piece.position),
            source_id=source_id,
            doc_key=doc.doc_key,
            doc_hash=doc.doc_hash,
            title=doc.document.title,
            section=piece.section,
            position=piece.position,
            text=piece.text,
            content_hash=hashlib.sha256(piece.text.encode()).hexdigest()[:16],
            visibility=visibility,
            source_root=doc.document.source_root,
            url=doc.document.url,
            path=doc.document.path,
        )
        for piece in pieces
    ]


def _chunk_id(source_id: str, doc: PreparedDocument, position: int) -> str:
    key = f"{source_id}\x00{doc.doc_key}\x00{doc.doc_hash}\x00{position}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]
