"""Ingestion's limits as an admin sees them: a file past one is refused by name with the limit,
the rest of the folder is indexed, and nothing already stored is lost."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.ingest.pipeline import ingest
from tests.pipelines.ingest.bombs import many_page_pdf, padded_docx
from workers.retrieval import retrieve
from workers.store.base import PUBLIC
from workers.store.lance import LanceKnowledgeStore

SAMPLE = Path(__file__).resolve().parents[3] / "sample_kb" / "docs"


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "kb"
    target.mkdir()
    for name in ("vpn-remote-access.md", "hardware-requests.docx"):
        shutil.copy(SAMPLE / name, target / name)
    return target


@pytest.fixture
def kb(settings, embedder):
    store = LanceKnowledgeStore(settings.lancedb_dir)

    def run(target):
        return ingest(
            str(target),
            settings=settings,
            store=store,
            embedder=embedder,
            source_id="kb",
            visibility=[PUBLIC],
        )

    def ask(question):
        return retrieve(question, settings=settings, store=store, embedder=embedder, k=3)

    run.store, run.ask = store, ask
    return run


def test_bombs_in_a_folder_are_refused_by_name_and_nothing_stored_is_lost(kb, folder):
    kb(folder)
    indexed = kb.store.document_hashes("kb")
    word = folder / "hardware-requests.docx"
    word.write_bytes(padded_docx(word.read_bytes(), 200))
    (folder / "printer-manual.pdf").write_bytes(many_page_pdf(1001))
    (folder / "wifi.md").write_text("# Wifi\n\nThe guest wifi password is at reception.\n")

    report = kb(folder)

    ratio = "word/document.xml unpacks to more than 100 times its compressed size"
    assert sorted(str(failure) for failure in report.errors) == [
        f"{word}: {ratio} (FAQBOT_MAX_ZIP_RATIO)",
        f"{folder / 'printer-manual.pdf'}: 1,001 pages, more than 1,000 (FAQBOT_MAX_PDF_PAGES)",
    ]
    stored = kb.store.document_hashes("kb")
    assert stored["hardware-requests.docx"] == indexed["hardware-requests.docx"]
    assert set(stored) == {"vpn-remote-access.md", "hardware-requests.docx", "wifi.md"}
    assert kb.ask("NorthDesk HW-REQ form")[0].chunk.doc_key == "hardware-requests.docx"
    assert kb.ask("guest wifi password")[0].chunk.doc_key == "wifi.md"


def test_a_document_padded_with_invisible_or_untokenized_text_is_stored_in_small_chunks(kb, folder):
    flood = "VPN reset" + "\u200b" * 1_000_000 + " " + "x" * 30_000  # 3 and 1 tokens
    (folder / "vpn-reset.md").write_text(f"# VPN reset\n\n{flood}\n")

    report = kb(folder)

    assert report.errors == []
    stored = [hit.chunk.text for hit in kb.store.chunks_of("kb", {"vpn-reset.md"})]
    assert len(stored) > 15
    assert max(len(text) for text in stored) <= 2000
    assert not any("\u200b" in text for text in stored)
    found = [hit.chunk.text for hit in kb.ask("VPN reset") if hit.chunk.doc_key == "vpn-reset.md"]
    assert found and max(len(text) for text in found) <= 2000
