"""The retrieved passages as sentences a reader would quote.

A passage's text is Markdown-like: paragraphs whose lines were wrapped by the source file,
list items, and tables. A sentence keeps where it came from (its passage, its block: one
paragraph, list item or table row) so an answer can quote a table row whole, with the cell
that says what to do, and can join a sentence to its neighbours. Table cells are embedded with
their row's first cell and their column's heading ("VPN error 809 · What to do: Switch to…"):
alone, "Switch to the TLS profile" says nothing about error 809.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from workers.embedder import Embedder
from workers.store.base import SECTION_SEPARATOR, Hit

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'(£€$])")
_LIST_ITEM = re.compile(r"^(?:[-*+•]|\d{1,3}[.)])\s+")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")
_MARKUP = re.compile(r"\*\*|__|`")
MIN_WORDS = 3  # shorter prose fragments ("Rules:") are not quotable; list items always are


@dataclass(frozen=True)
class Sentence:
    """One quotable sentence. `row_key` and `column` are set for a table cell's sentence."""

    text: str
    block: int  # paragraph, list item or table row, numbered across all passages
    row_key: str | None = None
    column: str | None = None
    first_in_cell: bool = False

    @property
    def context_text(self) -> str:
        """What is embedded and matched against the question."""
        if self.row_key is None:
            return self.text
        return (
            f"{self.row_key} · {self.column}: {self.text}"
            if self.column
            else f"{self.row_key}: {self.text}"
        )


@dataclass
class Evidence:
    """Every sentence of the retrieved passages, with the passage number it came from."""

    units: list[Sentence]
    passage: list[int]
    vectors: np.ndarray  # of each unit's context_text
    plain_vectors: np.ndarray  # of each unit's text alone (differs for table cells only)
    headings: list[str] = field(default_factory=list)  # per passage: "Title · Section"

    def titled_text(self, i: int) -> str:
        """Unit `i` with the document title and section it sits under: "A session lasts 12
        hours" says nothing about the VPN until its heading does."""
        heading = self.headings[self.passage[i] - 1] if self.headings else ""
        text = self.units[i].context_text
        return f"{heading}: {text}" if heading else text


def gather_evidence(hits: list[Hit], embedder: Embedder) -> Evidence:
    units, passage = [], []
    for n, hit in enumerate(hits, start=1):
        found = passage_sentences(hit.chunk.text, first_block=len(units))
        units += found
        passage += [n] * len(found)
    vectors = embedder.embed([u.context_text for u in units])
    cells = [i for i, u in enumerate(units) if u.context_text != u.text]
    plain_vectors = vectors.copy()
    if cells:
        plain_vectors[cells] = embedder.embed([units[i].text for i in cells])
    headings = [heading(hit.chunk.title, hit.chunk.section) for hit in hits]
    return Evidence(units, passage, vectors, plain_vectors, headings)


def heading(title: str, section: str) -> str:
    """The document title and the innermost section title ("GPL v3 · 6. Conveying Non-Source
    Forms."): the outer sections add words but rarely meaning."""
    innermost = section.rsplit(SECTION_SEPARATOR, 1)[-1].strip()
    return " · ".join(part for part in (title.strip(), innermost) if part)


def passage_sentences(text: str, first_block: int = 0) -> list[Sentence]:
    """The passage's sentences in reading order; blocks numbered from `first_block`."""
    out: list[Sentence] = []
    for n, block in enumerate(_blocks(text), start=first_block):
        if block.cells is None:
            out += [
                Sentence(s, n)
                for s in split_sentences(block.text)
                if block.item or len(s.split()) >= MIN_WORDS
            ]
        else:
            out += _row_sentences(block, n)
    return out


def quote(units: list[Sentence]) -> str:
    """Sentences of one passage as one text; a table row's as "key — Column: text; Column:
    text", with no Markdown pipes."""
    pieces: list[str] = []
    row: list[Sentence] = []
    for unit in units:
        if row and (unit.row_key is None or unit.block != row[0].block):
            pieces.append(_row_text(row))
            row = []
        if unit.row_key is not None:
            row.append(unit)
        else:
            pieces.append(unit.text)
    if row:
        pieces.append(_row_text(row))
    return " ".join(_with_end(p) for p in pieces)


def _row_text(row: list[Sentence]) -> str:
    cells: list[str] = []
    column = object()
    for unit in row:
        if unit.column == column and cells:
            cells[-1] = f"{_with_end(cells[-1])} {unit.text}"
        else:
            cells.append(f"{unit.column}: {unit.text}" if unit.column else unit.text)
        column = unit.column
    return f"{row[0].row_key} — " + "; ".join(c.rstrip(".") for c in cells) + "."


def _with_end(text: str) -> str:
    return text if text.endswith((".", "!", "?", ":")) else f"{text}."


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def plain(text: str) -> str:
    """Text without Markdown emphasis and code marks, whitespace collapsed."""
    return " ".join(_MARKUP.sub("", text).split())


@dataclass
class _Block:
    text: str = ""
    cells: list[str] | None = None  # a table row's cells
    header: list[str] | None = None  # the table's column headings
    item: bool = False  # a list item: quotable however short ("28 days")


def _row_sentences(block: _Block, n: int) -> list[Sentence]:
    cells = block.cells or []
    key = cells[0] if cells else ""
    out = []
    for j, cell in enumerate(cells[1:], start=1):
        column = block.header[j] if block.header and j < len(block.header) else None
        for i, sentence in enumerate(split_sentences(cell)):
            out.append(Sentence(sentence, n, key, column, first_in_cell=i == 0))
    if len(cells) == 1 and key:
        out.append(Sentence(key, n))
    return out


def _blocks(text: str) -> list[_Block]:
    """Paragraphs (wrapped lines joined), list items and table rows."""
    blocks: list[_Block] = []
    current: _Block | None = None
    header: list[str] | None = None
    lines = [line.strip() for line in text.splitlines()]
    for i, line in enumerate(lines):
        if not line or line.startswith("#"):
            current = None
            if line:
                blocks.append(_Block(plain(line.lstrip("#"))))
            continue
        if line.startswith("|"):
            current = None
            if _TABLE_RULE.match(line):
                continue
            cells = [plain(c) for c in line.strip("|").split("|")]
            if i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
                header = cells
                continue
            blocks.append(_Block(" — ".join(c for c in cells if c), cells, header))
            continue
        header = None
        item = _LIST_ITEM.match(line)
        if item or current is None:
            current = _Block(plain(line[item.end() :] if item else line), item=bool(item))
            blocks.append(current)
        else:
            current.text = f"{current.text} {plain(line)}"
    return blocks
