"""What loaders produce: a document as titled sections, and the one-line error for a bad item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faqbot.settings import Settings


class ItemError(Exception):
    """A single item could not be ingested. str() is one line: the reason, without the item."""


@dataclass(frozen=True)
class DocumentLimits:
    """What reading one file may cost: a small upload that unpacks to gigabytes or holds
    thousands of pages is refused, not parsed."""

    max_archive_bytes: int
    max_zip_ratio: float
    max_pdf_pages: int
    max_chars: int

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> DocumentLimits:
        """The limits `settings` set; the settings' defaults when none are given."""
        from faqbot.settings import Settings

        settings = settings or Settings.model_construct()  # defaults, not the environment
        return cls(
            max_archive_bytes=int(settings.max_archive_mb * 1e6),
            max_zip_ratio=settings.max_zip_ratio,
            max_pdf_pages=settings.max_pdf_pages,
            max_chars=settings.max_document_chars,
        )


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

    def require_at_most(self, max_chars: int) -> LoadedDocument:
        """Refuses a document with more text than one may hold, before it is chunked."""
        if sum(len(s.title) + len(s.text) for s in self.sections) > max_chars:
            raise ItemError(too_much_text(max_chars))
        return self


def too_much_text(max_chars: int) -> str:
    return f"more than {max_chars:,} characters of text (FAQBOT_MAX_DOCUMENT_CHARS)"
