"""What loaders produce: a document as titled sections, and the one-line error for a bad item."""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
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

    def cleaned(self) -> LoadedDocument:
        """The document as it is indexed: text through clean_text, titles on one short line,
        and sections that held only invisible characters dropped."""
        self.title = clean_title(self.title)
        self.sections = [
            Section(clean_title(section.title), text)
            for section in self.sections
            if (text := clean_text(section.text).strip())
        ]
        return self

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


# Tokenizers count invisible characters and whitespace as nothing, so without this a document
# of "VPN reset" and megabytes of U+200B would fit one chunk's token budget.
MAX_SPACE_RUN = 16  # longer runs of spaces become one; code indentation stays
MAX_TITLE_CHARS = 200
_LINE_BREAKS = str.maketrans(dict.fromkeys("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", "\n"))
_LONG_SPACE = re.compile(rf"[^\S\n]{{{MAX_SPACE_RUN + 1},}}")
_BLANK_LINES = re.compile(r"\n{3,}")


@functools.cache
def _invisible() -> re.Pattern:
    """Every format (Cf) and control (Cc) character but tab and newline: zero-width spaces
    and joiners, BOMs, soft hyphens, bidi controls, tag characters. Built once (0.4 s)."""
    ranges: list[list[int]] = []
    for code in range(sys.maxunicode + 1):
        if code not in (9, 10) and unicodedata.category(chr(code)) in ("Cf", "Cc"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    spans = "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in ranges)
    return re.compile(f"[{spans}]+")


def clean_text(text: str) -> str:
    """Text without invisible characters, every line break as \\n, runs of more than
    MAX_SPACE_RUN spaces as one, no trailing spaces and at most one blank line in a row.
    Linear in the length of the text."""
    text = _invisible().sub("", text.replace("\r\n", "\n").translate(_LINE_BREAKS))
    text = "\n".join(line.rstrip() for line in _LONG_SPACE.sub(" ", text).split("\n"))
    return _BLANK_LINES.sub("\n\n", text)


def clean_title(text: str) -> str:
    """A title or section path on one line of at most MAX_TITLE_CHARS characters."""
    title = " ".join(_invisible().sub("", text).split())
    if len(title) <= MAX_TITLE_CHARS:
        return title
    return title[: MAX_TITLE_CHARS - 1].rstrip() + "…"
