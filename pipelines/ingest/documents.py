"""What loaders produce: a document as titled sections, and the one-line error for a bad item."""

from __future__ import annotations

from dataclasses import dataclass, field


class ItemError(Exception):
    """A single item could not be ingested. str() is one line: the reason, without the item."""


@dataclass
class Section:
    title: str
    text: str


@dataclass
class LoadedDocument:
    title: str
    sections: list[Section] = field(default_factory=list)
    url: str | None = None
    path: str | None = None
    source_root: str = ""

    def require_text(self) -> LoadedDocument:
        if not any(s.text.strip() for s in self.sections):
            raise ItemError("no text could be extracted")
        return self
