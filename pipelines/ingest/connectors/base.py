"""The connector protocol: what ingestion needs from any kind of source.

A connector lists a source's documents, each with a change marker when the source has one (a
git blob id, a sitemap's lastmod, a page version), and reads one document. A document whose
marker is the one indexed last time is neither read nor embedded again; without a marker the
document is read and its bytes decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RemoteDocument:
    """One document of a source, as listed."""

    doc_key: str  # unique within the source, stable across syncs: a path or a URL
    location: str  # what a one-line error names: the URL or the path
    marker: str | None = None  # changes whenever the document does; None: compare the bytes
    url: str | None = None  # the link a citation shows
    path: str | None = None  # a local file's absolute path
    title: str | None = None  # when the doc_key is no name (an id): the title to fall back on


@dataclass(frozen=True)
class ReadDocument:
    """A document's bytes, and the file suffix that picks its parser."""

    data: bytes
    suffix: str


class Connector(Protocol):
    """A source faqbot can index and keep in sync. `documents` raises ItemError when the
    source as a whole cannot be listed (nothing is removed then); `read` raises ItemError
    for one document (that document keeps what was indexed for it before)."""

    kind: str  # as the source registry records it: folder, website, git…
    root: str  # where the source is: its URL or absolute path
    skipped: int  # documents `documents` left out: restricted more narrowly than the source

    def documents(self) -> list[RemoteDocument]: ...

    def read(self, document: RemoteDocument) -> ReadDocument: ...

    def visibility(self, asked: list[str]) -> list[str]:
        """The source's visibility: what the admin asked for, narrowed to what the service's
        own permissions allow (called after `documents`). ItemError when nothing may be."""
        ...

    def close(self) -> None: ...


class Unrestricted:
    """For sources with no permissions of their own: files, websites, repositories, threads."""

    skipped = 0

    def visibility(self, asked: list[str]) -> list[str]:
        return asked

    def close(self) -> None:
        pass
