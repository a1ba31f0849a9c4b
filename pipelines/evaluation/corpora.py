"""Benchmark corpora indexed into a store, the way each dataset's protocol says."""

from __future__ import annotations

from pathlib import Path

from faqbot.settings import Settings
from pipelines.evaluation.question_sets import SAMPLE_DIR, StackFAQ, longdocs_files
from pipelines.ingest.documents import LoadedDocument, Section
from pipelines.ingest.pipeline import IngestRun, PreparedDocument, index_documents, ingest
from workers.embedder import Embedder
from workers.store.base import PUBLIC, KnowledgeStore


def index_stackfaq(
    data: StackFAQ, settings: Settings, store: KnowledgeStore, embedder: Embedder, progress=None
) -> IngestRun:
    """Each answer alone is one document (doc_key a0, a1, …): no thread question prepended."""
    return index_answers(data.answers, settings, store, embedder, progress)


def index_answers(
    answers: list[str], settings: Settings, store: KnowledgeStore, embedder: Embedder, progress=None
) -> IngestRun:
    """Answers as public documents a0, a1, … through the real chunking and embedding."""
    prepared = [
        PreparedDocument(f"a{i}", f"a{i}", LoadedDocument("", [Section("", text)]))
        for i, text in enumerate(answers)
    ]
    report = IngestRun("stackfaq")
    index_documents(
        "stackfaq",
        prepared,
        set(),
        visibility=[PUBLIC],
        settings=settings,
        store=store,
        embedder=embedder,
        report=report,
        progress=progress,
    )
    return report


def index_sample(
    settings: Settings, store: KnowledgeStore, embedder: Embedder, progress=None
) -> IngestRun:
    """The shipped handbook through the real ingestion pipeline."""
    report = ingest(
        str(Path(SAMPLE_DIR) / "docs"),
        settings=settings,
        store=store,
        embedder=embedder,
        source_id="sample",
        visibility=[PUBLIC],
        progress=progress,
    )
    if report.errors:
        raise ValueError(f"sample knowledge base: {report.errors[0]}")
    return report


def index_longdocs(
    settings: Settings, store: KnowledgeStore, embedder: Embedder, progress=None
) -> IngestRun:
    """The licence texts through the real ingestion pipeline, one file at a time (the folder's
    README and questions are not documents), each its own source; doc_key is the file name."""
    total = IngestRun("longdocs")
    for path in longdocs_files():
        report = ingest(
            str(path),
            settings=settings,
            store=store,
            embedder=embedder,
            source_id=f"longdocs-{path.stem}",
            visibility=[PUBLIC],
            progress=progress,
        )
        if report.errors:
            raise ValueError(f"long-document set: {report.errors[0]}")
        total.files, total.chunks = total.files + report.files, total.chunks + report.chunks
        total.seconds += report.seconds
    if not total.files:
        raise ValueError("long-document set: no .txt files in sample_kb/longdocs")
    return total
