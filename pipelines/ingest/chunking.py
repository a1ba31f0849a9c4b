"""Structure-aware chunking: each section is split on its own, so a chunk never spans two headings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipelines.ingest.documents import LoadedDocument

MIN_BUDGET_TOKENS = 32


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
) -> list[ChunkText]:
    """Splits every section into pieces of at most `max_tokens` embedder tokens (title and
    section header included), preferring paragraph, then line, then sentence boundaries."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    chunks: list[ChunkText] = []
    for section in document.sections:
        header = " › ".join(part for part in (document.title, section.title) if part)
        budget = max(MIN_BUDGET_TOKENS, max_tokens - count_tokens(header))
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=min(overlap_tokens, budget // 2),
            length_function=count_tokens,
            separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
            keep_separator="end",
        )
        for piece in splitter.split_text(section.text):
            if piece.strip():
                chunks.append(ChunkText(section.title, piece.strip(), len(chunks)))
    return chunks
