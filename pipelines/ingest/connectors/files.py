"""A file or a folder of files on the worker's disk, and one web page: the sources faqbot had
before connectors, now behind the same protocol."""

from __future__ import annotations

from pathlib import Path

from faqbot.settings import Settings
from pipelines.ingest.connectors.base import ReadDocument, RemoteDocument, Unrestricted
from pipelines.ingest.documents import ItemError
from pipelines.ingest.fetch import fetch_with, too_large_message
from pipelines.ingest.loaders import PARSERS, unsupported_type


class FilesConnector(Unrestricted):
    """A file, or every file under a folder (hidden ones and faqbot's own data left out)."""

    def __init__(self, target: str, settings: Settings):
        self.path = Path(target)
        self.root = str(self.path.resolve())
        self.kind = "folder" if self.path.is_dir() else "file"
        self.settings = settings

    def documents(self) -> list[RemoteDocument]:
        path = self.path
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
            if not files:  # an unmounted share must not read as "every document was deleted"
                raise ItemError("the folder has no files")
            listed = [(p.relative_to(path).as_posix(), p) for p in files]
        elif path.is_file():
            listed = [(path.name, path)]
        else:
            raise ItemError("no such file, folder or URL")
        kept = [(key, p) for key, p in listed if self._allowed(p)]
        if not kept:
            raise ItemError(f"nothing to ingest outside faqbot's data dir ({self._own()})")
        return [RemoteDocument(key, str(p), path=str(p.resolve())) for key, p in kept]

    def read(self, document: RemoteDocument) -> ReadDocument:
        path = Path(document.location)
        suffix = path.suffix.lower()
        if suffix not in PARSERS:
            raise unsupported_type(suffix)
        size, max_bytes = path.stat().st_size, int(self.settings.max_file_mb * 1e6)
        if size > max_bytes:
            raise ItemError(too_large_message(size, max_bytes))
        return ReadDocument(path.read_bytes(), suffix)

    def _own(self) -> Path:
        return self.settings.data_dir.resolve()

    def _allowed(self, path: Path) -> bool:
        """faqbot's own files (the store, the app database) are never ingested, even when
        the data dir lies inside the folder; files admins uploaded in Slack are."""
        resolved = path.resolve()
        uploads = self.settings.uploads_dir.resolve()
        return resolved.is_relative_to(uploads) or not resolved.is_relative_to(self._own())


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


class PageConnector(Unrestricted):
    """One web page, through the SSRF-safe fetcher."""

    kind = "url"

    def __init__(self, url: str, settings: Settings):
        self.root = url
        self.settings = settings

    def documents(self) -> list[RemoteDocument]:
        return [RemoteDocument(self.root, self.root, url=self.root)]

    def read(self, document: RemoteDocument) -> ReadDocument:
        page = fetch_with(self.settings, document.location)
        return ReadDocument(page.body, page.suffix)
