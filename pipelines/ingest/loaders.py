"""Parsers from file formats to titled sections. Headings become section titles."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from faqbot.errors import first_line
from pipelines.ingest.archives import check_archive
from pipelines.ingest.documents import (
    DocumentLimits,
    ItemError,
    LoadedDocument,
    Section,
    too_much_text,
)
from workers.store.base import SECTION_SEPARATOR

# Document lines are read with string methods and anchored patterns that never backtrack: the
# old heading pattern (a lazy group before optional trailing whitespace) was quadratic on "# x",
# many spaces and "y" (8k spaces took 0.65 s, a 1 MB line hours).
_MD_HEADING_START = re.compile(r"(#{1,6})\s+")
_FENCES = ("```", "~~~")
# Page furniture. <form> is kept: ASP.NET and SharePoint wrap whole pages in one.
_HTML_DROP = ["script", "style", "noscript", "nav", "footer", "aside", "svg", "template"]
# Elements that continue the current line; every other element starts a new one.
_HTML_INLINE = {
    "a",
    "abbr",
    "b",
    "bdi",
    "cite",
    "code",
    "data",
    "em",
    "i",
    "kbd",
    "mark",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
    "var",
    "td",
    "th",
    "label",
}
_HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]


def title_from_name(name: str) -> str:
    stem = Path(name).stem if "." in name else name
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or name


class _SectionBuilder:
    """Collects text under a stack of headings; the first level-1 heading names the document."""

    def __init__(self, fallback_title: str):
        self.title = ""
        self.fallback_title = fallback_title
        self.sections: list[Section] = []
        self._path: list[tuple[int, str]] = []
        self._lines: list[str] = []

    def heading(self, level: int, text: str) -> None:
        self._flush()
        if level == 1 and not self.title:
            self.title = text
            return
        self._path = [(lvl, t) for lvl, t in self._path if lvl < level] + [(level, text)]

    def line(self, text: str) -> None:
        self._lines.append(text)

    def _flush(self) -> None:
        text = "\n".join(self._lines).strip()
        self._lines = []
        if text:
            self.sections.append(Section(SECTION_SEPARATOR.join(t for _, t in self._path), text))

    def build(self) -> LoadedDocument:
        self._flush()
        return LoadedDocument(self.title or self.fallback_title, self.sections).require_text()


def parse_markdown(text: str, fallback_title: str) -> LoadedDocument:
    builder = _SectionBuilder(fallback_title)
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith(_FENCES):
            in_fence = not in_fence
        heading = None if in_fence else markdown_heading(line)
        if heading:
            builder.heading(*heading)
        else:
            builder.line(line)
    return builder.build()


def markdown_heading(line: str) -> tuple[int, str] | None:
    """An ATX heading's level and text, without its optional closing hashes ("## C#" keeps
    its hash, "## FAQ ##" loses them); None for any other line. Linear in the line's length."""
    match = _MD_HEADING_START.match(line)
    if not match:
        return None
    text = line[match.end() :].rstrip()
    unclosed = text.rstrip("#")
    if unclosed != text and unclosed[-1:].isspace():
        text = unclosed.rstrip()
    return (len(match.group(1)), text) if text else None


def _underline(line: str) -> str | None:
    """The underline character, = or -, when the line is three or more of it and spaces."""
    mark = line.strip()
    is_underline = len(mark) >= 3 and mark[0] in "=-" and mark.count(mark[0]) == len(mark)
    return mark[0] if is_underline else None


def parse_text(text: str, fallback_title: str) -> LoadedDocument:
    """Plain text, with headings as people write them: underlined lines (=== or ---), a
    centred title block at the top, and lines standing alone between blank lines that are
    numbered ("4. Conveying Verbatim Copies.") or in capitals ("TERMS AND CONDITIONS"); a
    numbered paragraph that opens with a title ("4. Redistribution. You may…") is split."""
    builder = _SectionBuilder(fallback_title)
    lines = text.splitlines()
    skip = False
    for index in range(_title_block(lines, builder), len(lines)):
        if skip:
            skip = False
            continue
        line = lines[index]
        before = lines[index - 1] if index else ""
        following = lines[index + 1] if index + 1 < len(lines) else ""
        underline = _underline(following)
        if line.strip() and underline:
            builder.heading(1 if underline == "=" else 2, line.strip())
            skip = True
        elif level := _standalone_heading(line, before, following):
            builder.heading(level, line.strip())
        elif run_in := _run_in_heading(line, before):
            builder.heading(run_in[0], run_in[1])
            builder.line(run_in[2])
        else:
            builder.line(line)
    return builder.build()


CENTRED = 8  # a line indented this far, at the top of a text file, is a centred title
HEADING_WORDS = 12


def _title_block(lines: list[str], builder: _SectionBuilder) -> int:
    """Centred lines at the very top ("GNU GENERAL PUBLIC LICENSE" / "Version 3, …") become
    the title; returns the index of the first line after them."""
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    end = first
    while end < min(len(lines), first + 3) and _is_centred(lines[end]):
        if end + 1 < len(lines) and _underline(lines[end + 1]):
            return first
        end += 1
    if end > first:
        builder.heading(1, " ".join(line.strip() for line in lines[first:end]))
    return end


def _is_centred(line: str) -> bool:
    text = line.strip()
    return bool(text) and len(line) - len(line.lstrip()) >= CENTRED and len(text.split()) <= 10


def _standalone_heading(line: str, before: str, after: str) -> int | None:
    """The level of a short line between blank lines that is a numbered title (3, or deeper
    for 1.2.) or written in capitals and not a sentence (2); None for any other line."""
    text = line.strip()
    if not text or before.strip() or after.strip() or len(text.split()) > HEADING_WORDS:
        return None
    number = _section_number(text)
    if number:
        title = text[len(number) :].lstrip(". ").removesuffix(".")
        return 3 + number.count(".") if ". " not in title and _is_title(title) else None
    letters = [c for c in text if c.isalpha()]
    capitals = len(letters) >= 3 and all(c.isupper() for c in letters)
    return 2 if capitals and not text.endswith((".", ",", ";", ":")) else None


def _section_number(text: str) -> str | None:
    """ "4." or "4.2" at the start of a line, followed by a word: the number without the dot."""
    head, _, rest = text.partition(" ")
    number = head.rstrip(".")
    parts = number.split(".")
    if rest[:1].isalpha() and parts[0] and all(p.isdigit() and len(p) <= 3 for p in parts):
        return number
    return None


_SMALL_WORDS = frozenset(
    ["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"]
)


def _run_in_heading(line: str, before: str) -> tuple[int, str, str] | None:
    """("4. Redistribution", "You may…") from "4. Redistribution. You may…" at the start of a
    paragraph, when the words before the first full stop are a short title-case title."""
    text = line.strip()
    number = _section_number(text) if not before.strip() else None
    if not number:
        return None
    title, dot, rest = text[len(number) :].lstrip(". ").partition(". ")
    if not dot or not rest or not _is_title(title):
        return None
    return 3 + number.count("."), f"{number}. {title}", rest


def _is_title(text: str) -> bool:
    """A few words in title case or capitals ("Grant of Patent License", "PREAMBLE")."""
    words = text.split()
    return (
        0 < len(words) <= 8
        and words[0][0].isupper()
        and all(w[0].isupper() or w in _SMALL_WORDS for w in words)
    )


def parse_html(html: str | bytes, fallback_title: str) -> LoadedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(_HTML_DROP):
        tag.decompose()
    for banner in soup.select("body > header"):  # the site banner, not an article's header
        banner.decompose()
    builder = _SectionBuilder(page_title or fallback_title)
    _HtmlWalker(builder).walk(soup.body or soup)
    document = builder.build()
    document.title = page_title or document.title
    return document


class _HtmlWalker:
    """Reads text in document order: headings open sections, block elements end lines, and
    text directly inside a <div> counts as much as text in a <p>."""

    def __init__(self, builder: _SectionBuilder):
        self.builder = builder
        self.pending: list[str] = []

    def walk(self, node, *, ends_line: bool = True) -> None:
        from bs4 import Comment, NavigableString, Tag

        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                self.pending.append(str(child))
            elif isinstance(child, Tag):
                self._element(child)
        if ends_line:
            self._end_line()

    def _element(self, element) -> None:
        if element.name in _HEADINGS:
            self._end_line()
            text = element.get_text(" ", strip=True)
            if text:
                self.builder.heading(int(element.name[1]), text)
        elif element.name in _HTML_INLINE:
            if element.name in ("td", "th") and "".join(self.pending).strip():
                self.pending.append(" | ")
            self.walk(element, ends_line=False)
        else:
            self._end_line()
            if element.name == "li":
                self.pending.append("- ")
            self.walk(element)

    def _end_line(self) -> None:
        text = " ".join("".join(self.pending).split())
        self.pending = []
        if text and text != "-":
            self.builder.line(text)


def _is_pdf_heading(line: str, next_line: str | None) -> bool:
    words = line.split()
    question = line.endswith("?") and len(words) <= 14
    return (
        next_line is not None
        and 0 < len(words) <= (14 if question else 8)
        and len(line) <= (90 if question else 60)
        and line[0].isupper()
        and (question or not line.rstrip().endswith((".", ",", ":", ";", "?", "!")))
        and not re.match(r"^[-•*●▪]", line)
    )


_PLACEHOLDER_TITLES = {"untitled", "anonymous", "document", "microsoft word", ""}


def parse_pdf(data: bytes, fallback_title: str, limits: DocumentLimits) -> LoadedDocument:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ItemError("the PDF is encrypted")
        pages = _pdf_page_texts(reader, limits)
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except ItemError:
        raise
    except Exception as exc:
        raise ItemError(f"not a readable PDF ({first_line(exc)})") from exc
    if meta_title.strip().lower() in _PLACEHOLDER_TITLES:
        meta_title = ""
    builder = _SectionBuilder(meta_title.strip() or fallback_title)
    lines = [line.strip() for page in pages for line in page.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else None
        if line == builder.title or line == meta_title.strip():
            continue
        if _is_pdf_heading(line, following):
            builder.heading(1 if not builder.title and not meta_title else 2, line)
        else:
            builder.line(line)
    return builder.build()


def _pdf_page_texts(reader, limits: DocumentLimits) -> list[str]:
    """Each page's text; too many pages are refused before any is read, too much text as soon
    as the pages read so far hold it. pypdf bounds each stream it inflates (75 MB)."""
    _check_pages(_declared_pages(reader), limits)  # before the page tree is walked
    _check_pages(len(reader.pages), limits)
    texts, chars = [], 0
    for page in reader.pages:
        texts.append(page.extract_text() or "")
        chars += len(texts[-1])
        if chars > limits.max_chars:
            raise ItemError(too_much_text(limits.max_chars))
    return texts


def _declared_pages(reader) -> int:
    try:
        return int(reader.root_object["/Pages"]["/Count"])
    except Exception:  # noqa: BLE001 - a broken page tree is for pypdf to report
        return 0


def _check_pages(count: int, limits: DocumentLimits) -> None:
    if count > limits.max_pdf_pages:
        limit = limits.max_pdf_pages
        raise ItemError(f"{count:,} pages, more than {limit:,} (FAQBOT_MAX_PDF_PAGES)")


def parse_docx(data: bytes, fallback_title: str, limits: DocumentLimits) -> LoadedDocument:
    import docx
    from docx.table import Table

    try:
        check_archive(data, limits)
        document = docx.Document(io.BytesIO(data))
    except ItemError:
        raise
    except Exception as exc:
        raise ItemError(f"not a readable Word document ({first_line(exc)})") from exc
    builder = _SectionBuilder(document.core_properties.title or fallback_title)
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                builder.line(" | ".join(cell.text.strip() for cell in row.cells))
            continue
        level = _docx_heading_level(block.style.name if block.style else "")
        if level and block.text.strip():
            builder.heading(level, block.text.strip())
        elif block.text.strip():
            builder.line(block.text.strip())
    return builder.build()


def _docx_heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = re.match(r"Heading (\d)", style)
    return int(match.group(1)) if match else 0


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


PARSERS: dict[str, Callable[[bytes, str, DocumentLimits], LoadedDocument]] = {
    ".md": lambda data, title, _: parse_markdown(_decode(data), title),
    ".markdown": lambda data, title, _: parse_markdown(_decode(data), title),
    ".txt": lambda data, title, _: parse_text(_decode(data), title),
    ".html": lambda data, title, _: parse_html(data, title),
    ".htm": lambda data, title, _: parse_html(data, title),
    ".pdf": parse_pdf,
    ".docx": parse_docx,
}

CONTENT_TYPES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}


def unsupported_type(suffix: str) -> ItemError:
    supported = ", ".join(sorted(PARSERS))
    return ItemError(f"unsupported file type {suffix or '(none)'} (supported: {supported})")


def parse_bytes(
    data: bytes, suffix: str, fallback_title: str, limits: DocumentLimits | None = None
) -> LoadedDocument:
    """Dispatches on the file suffix; empty input, unknown types and files past the limits
    (the settings' defaults unless given) are item errors. Invisible characters are gone
    from what it returns (clean_text)."""
    parser = PARSERS.get(suffix.lower())
    if parser is None:
        raise unsupported_type(suffix)
    if not data.strip():
        raise ItemError("the file is empty")
    limits = limits or DocumentLimits.from_settings()
    document = parser(data, fallback_title, limits).cleaned().require_text()
    return document.require_at_most(limits.max_chars)
