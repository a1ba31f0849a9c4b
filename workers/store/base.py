"""The knowledge store interface that LanceDB (embedded) and Weaviate (server) both implement."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Literal, Protocol

import numpy as np

from faqbot.errors import TransientError
from faqbot.visibility import PUBLIC, asker_labels

__all__ = ["PUBLIC", "asker_labels"]  # re-exported: the rule lives in faqbot.visibility

SECTION_SEPARATOR = " › "  # between nested section titles, and after the document title


class StoreUnavailable(TransientError):
    """The configured store cannot be reached; the message says what to do instead."""


SearchMode = Literal["dense", "bm25", "hybrid"]


@dataclass
class Chunk:
    """One retrievable passage with everything an answer needs to cite it."""

    chunk_id: str
    source_id: str
    doc_key: str
    doc_hash: str
    title: str
    section: str
    position: int
    text: str
    content_hash: str
    visibility: list[str]
    source_root: str = ""  # the file, folder or URL the source was ingested from
    url: str | None = None
    path: str | None = None
    indexed_at: datetime | None = None

    @property
    def search_text(self) -> str:
        """What is embedded: the passage under its title and section."""
        return _with_header(self.title, self.section, self.text)

    @property
    def keyword_text(self) -> str:
        """What is full-text indexed: `search_text` with the title's initials, so "MPL" finds
        the Mozilla Public License. Kept out of the embedding, where the extra letters only
        blur the vector."""
        acronyms = title_acronyms(self.title)
        title = f"{self.title} ({', '.join(acronyms)})" if acronyms else self.title
        return _with_header(title, self.section, self.text)


def _with_header(title: str, section: str, text: str) -> str:
    header = SECTION_SEPARATOR.join(part for part in (title, section) if part)
    return f"{header}\n{text}" if header else text


_TITLE_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\S+")
_TITLE_END = frozenset(["version", "v", "rev", "revision", "edition", "draft"])
_TITLE_LINKS = frozenset(["of", "and", "for", "the", "on", "in", "to", "a", "an", "&"])


def title_name(title: str) -> str:
    """The name part of a title, before any version, date or punctuation: "GNU GENERAL PUBLIC
    LICENSE Version 3, 29 June 2007" -> "GNU GENERAL PUBLIC LICENSE"; "" when the title does
    not start with capitalised words."""
    words: list[str] = []
    for token in _TITLE_WORD.findall(title):
        if token.lower() in _TITLE_END or not token[0].isalpha():
            break
        if token.lower() not in _TITLE_LINKS and not token[0].isupper():
            return ""
        words.append(token)
    return " ".join(words)


def title_acronyms(title: str) -> list[str]:
    """What people call a document by its initials: "GNU General Public License" is asked
    about as "GPL" (or "GGPL"), "Mozilla Public License" as "MPL". Joining words ("of",
    "and") have no letter. Only names of three or more capitalised words count, so short
    titles gain no noise."""
    words = [w for w in title_name(title).split() if w.lower() not in _TITLE_LINKS]
    if len(words) < 3:
        return []
    initials = "".join(word[0].upper() for word in words)
    # A short first word is often a prefix left out in speech: "GNU GPL" is said "GPL".
    return [initials] + ([initials[1:]] if len(words[0]) <= 3 and len(words) > 3 else [])


CHUNK_FIELDS = [f.name for f in fields(Chunk)]


@dataclass
class EmbeddedChunk:
    chunk: Chunk
    vector: np.ndarray
    context_vector: np.ndarray


@dataclass
class Hit:
    chunk: Chunk
    score: float
    vector: np.ndarray | None = field(default=None, repr=False)


@dataclass
class SourceSummary:
    source_id: str
    location: str
    visibility: list[str]
    documents: int
    chunks: int
    indexed_at: datetime | None


@dataclass(frozen=True)
class DocumentSet:
    source_id: str
    doc_keys: frozenset[str]


class KnowledgeStore(Protocol):
    """Chunks with two vectors each (raw and context) plus full text, filtered by visibility."""

    identity: str  # names this store's data (backend and location), for caches kept about it

    def replace_documents(
        self, source_id: str, chunks: list[EmbeddedChunk], doc_keys: set[str]
    ) -> None:
        """Swap every chunk of `doc_keys` in `source_id` for `chunks`, so that no search sees
        a mix of old and new chunks of one document."""

    def delete_source(self, source_id: str) -> int:
        """Removes a source's chunks; returns how many there were."""

    def document_hashes(self, source_id: str) -> dict[str, str]:
        """doc_key -> doc_hash of what is indexed now, to skip unchanged documents."""

    def list_sources(self) -> list[SourceSummary]: ...

    def source_summary(self, source_id: str) -> SourceSummary | None:
        """One source's summary, reading only that source's rows."""

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
        """Ranked chunks visible to any of `labels`, the filter applied inside the query."""

    def neighbours(
        self, vector: np.ndarray, visibility: list[str], k: int, exclude: DocumentSet | None = None
    ) -> list[Hit]:
        """The k chunks nearest `vector` (raw vectors, cosine score) that are visible wherever a
        chunk with `visibility` is, so context vectors never carry a restricted passage into
        wider view. Chunks of `exclude` (a source and some of its documents) are left out."""

    def chunks_of(self, source_id: str, doc_keys: set[str]) -> list[Hit]:
        """The stored chunks of these documents, with raw vectors (to relabel them)."""

    def count(self) -> int: ...


def summarise_source(source_id: str, rows: list[dict]) -> SourceSummary:
    """One source's row in `faqbot sources list`, from the chunk rows any backend returns."""
    times = [r["indexed_at"] for r in rows if r["indexed_at"] is not None]
    labels = sorted({label for r in rows for label in r["visibility"]})
    first = rows[0]
    return SourceSummary(
        source_id=source_id,
        location=first["source_root"] or first["url"] or first["path"] or first["doc_key"],
        visibility=labels,
        documents=len({r["doc_key"] for r in rows}),
        chunks=len(rows),
        indexed_at=max(times) if times else None,
    )
