"""Structure-aware chunking: each section is split on its own, so a chunk never spans two headings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipelines.ingest.documents import LoadedDocument
from workers.store.base import SECTION_SEPARATOR

MIN_BUDGET_TOKENS = 32
# Characters a chunk may hold per token of its budget, unless set: MiniLM reads English at 4-5
# characters a token, so normal text meets the token budget first, while text a tokenizer
# counts as almost nothing (one 100-letter "word" is one token) still stops at the cap.
CHARS_PER_TOKEN = 10
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


@dataclass
class ChunkText:
    section: str
    text: str
    position: int


def chunk_document(
    document: LoadedDocument,
    *,
    max_tokens: int,
    overlap_tokens: int,
    count_tokens: Callable[[str], int],
    max_chars: int | None = None,
) -> list[ChunkText]:
    """Splits every section into pieces of at most `max_tokens` embedder tokens (title and
    section header included) and `max_chars` characters of text (CHARS_PER_TOKEN per token
    unless given), preferring paragraph, then line, then sentence boundaries."""
    max_chars = max_chars or max_tokens * CHARS_PER_TOKEN
    by_chars = _splitter(max_chars, max_chars * overlap_tokens // max_tokens, len)
    chunks: list[ChunkText] = []
    for section in document.sections:
        header = SECTION_SEPARATOR.join(part for part in (document.title, section.title) if part)
        budget = max(MIN_BUDGET_TOKENS, max_tokens - count_tokens(header))
        by_tokens = _splitter(budget, overlap_tokens, count_tokens)
        for piece in by_tokens.split_text(section.text):
            for part in by_chars.split_text(piece) if len(piece) > max_chars else [piece]:
                if part.strip():
                    chunks.append(ChunkText(section.title, part.strip(), len(chunks)))
    return chunks


def _splitter(size: int, overlap: int, length: Callable[[str], int]):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=min(overlap, size // 2),
        length_function=length,
        separators=SEPARATORS,
        keep_separator="end",
    )
