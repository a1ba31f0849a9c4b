"""Ingestion as an admin sees it: what gets indexed, what is skipped, and what survives errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.ingest.pipeline import ingest
from workers.store.base import PUBLIC
from workers.store.lance import LanceKnowledgeStore

SAMPLE = Path(__file__).resolve().parents[3] / "sample_kb" / "docs"


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "kb"
    target.mkdir()
    for name in ("vpn-remote-access.md", "payroll-faq.pdf", "hardware-requests.docx"):
        shutil.copy(SAMPLE / name, target / name)
    return target


def test_the_sample_handbook_ingests_without_errors(kb):
    report = kb(SAMPLE)
    assert report.errors == []
    assert report.files == 14
    assert report.chunks == kb.store.count() > 14
    assert kb.ask("How do I change my bank details for salary?")[0].chunk.doc_key == (
        "payroll-faq.pdf"
    )


def test_reingesting_an_unchanged_source_embeds_nothing(kb, folder):
    first = kb(folder)
    embedded = kb.embedder.embedded
    second = kb(folder)
    assert (second.unchanged, second.chunks, second.errors) == (3, 0, [])
    assert kb.embedder.embedded == embedded
    assert kb.store.count() == first.chunks


def test_a_changed_document_replaces_only_its_own_chunks(kb, folder):
    kb(folder)
    note = folder / "vpn-remote-access.md"
    note.write_text("# VPN\n\n## Errors\n\nError 809 now means: use the Harbor Relay profile.\n")
    report = kb(folder)
    assert (report.unchanged, report.files) == (2, 3)
    texts = [h.chunk.text for h in kb.ask("VPN error 809", k=10)]
    assert any("Harbor Relay" in t for t in texts)
    assert not any("NWH-Corporate-TLS" in t for t in texts)
    assert {h.chunk.doc_key for h in kb.ask("NorthDesk HW-REQ form", k=3)} >= {
        "hardware-requests.docx"
    }


def test_a_document_deleted_from_the_folder_leaves_the_index(kb, folder):
    kb(folder)
    (folder / "payroll-faq.pdf").unlink()
    report = kb(folder)
    assert report.removed == 1
    assert "payroll-faq.pdf" not in kb.store.document_hashes("kb")


def test_bad_items_are_reported_one_line_each_and_the_rest_is_ingested(kb, folder):
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not really a pdf")
    (folder / "empty.md").write_text("")
    (folder / "diagram.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with open(folder / "huge.txt", "wb") as huge:
        huge.truncate(50 * 1024 * 1024)
    report = kb(folder)
    reasons = {Path(f.item).name: f.reason for f in report.errors}
    assert set(reasons) == {"broken.pdf", "empty.md", "diagram.png", "huge.txt"}
    assert reasons["broken.pdf"].startswith("not a readable PDF")
    assert reasons["empty.md"] == "the file is empty"
    assert reasons["diagram.png"].startswith("unsupported file type .png")
    assert "52.4 MB, larger than the 20 MB limit" in reasons["huge.txt"]
    assert all("\n" not in str(f) for f in report.errors)
    assert not report.ok
    assert set(kb.store.document_hashes("kb")) == {
        "vpn-remote-access.md",
        "payroll-faq.pdf",
        "hardware-requests.docx",
    }


def test_a_document_that_turns_corrupt_keeps_what_was_indexed_before(kb, folder):
    kb(folder)
    before = kb.store.count()
    (folder / "payroll-faq.pdf").write_bytes(b"%PDF-1.4 truncated")
    report = kb(folder)
    assert [Path(f.item).name for f in report.errors] == ["payroll-faq.pdf"]
    assert kb.store.count() == before
    assert kb.ask("When is salary paid each month?")[0].chunk.doc_key == "payroll-faq.pdf"


def test_a_missing_target_is_one_error_and_nothing_is_removed(kb, folder):
    kb(folder, source_id="kb")
    report = kb(folder / "nope", source_id="kb")
    assert [f.reason for f in report.errors] == ["no such file, folder or URL"]
    assert len(kb.store.document_hashes("kb")) == 3


def test_visibility_reaches_every_chunk_and_the_search_filter(kb, folder):
    kb(folder, visibility=["C0PAYROLL"], source_id="payroll")
    question = "How do I change my bank details for salary?"
    assert kb.ask(question) == []
    assert kb.ask(question, channel="C0OTHER") == []
    assert {h.chunk.source_id for h in kb.ask(question, channel="C0PAYROLL")} == {"payroll"}


def test_a_restricted_passage_never_shapes_a_public_context_vector(kb, tmp_path):
    secret, public = tmp_path / "secret", tmp_path / "public"
    secret.mkdir(), public.mkdir()
    text = "# Bonus\n\nThe 2027 bonus pool is 4 percent of salary, paid in March.\n"
    (secret / "bonus.md").write_text(text)
    (public / "bonus.md").write_text(text.replace("4 percent", "a share"))
    kb(secret, visibility=["C0EXEC"], source_id="secret")
    kb(public, source_id="public")
    rows = kb.store._table.search().where("source_id = 'public'").to_list()
    assert len(rows) == 1
    assert list(rows[0]["context_vector"]) == pytest.approx(list(rows[0]["vector"]))


@pytest.mark.parametrize(("mode", "reason"), [("gone", "HTTP 404"), ("slow", "timed out")])
def test_a_web_page_that_fails_later_keeps_its_indexed_text(kb, web_page, settings, mode, reason):
    url, state = web_page
    settings.fetch_allowed_hosts = ["127.0.0.1"]  # FAQBOT_FETCH_ALLOWED_HOSTS: an intranet
    assert kb(url, source_id="parking").chunks == 1
    state["mode"] = mode
    settings.fetch_timeout_s = 0.5
    report = kb(url, source_id="parking")
    assert [f.item for f in report.errors] == [url]
    assert report.errors[0].reason.startswith(reason)
    hit = kb.ask("How much is a parking permit?")[0]
    assert hit.chunk.url == url and "30 pounds" in hit.chunk.text


def test_an_internal_page_is_refused_by_default_and_keeps_its_indexed_text(kb, web_page, settings):
    url, _state = web_page
    default = settings.fetch_allowed_hosts
    settings.fetch_allowed_hosts = ["127.0.0.1"]
    assert kb(url, source_id="parking").chunks == 1
    settings.fetch_allowed_hosts = default
    report = kb(url, source_id="parking")
    refused = (
        "refused: 127.0.0.1 is not a public address "
        "(allow internal hosts with FAQBOT_FETCH_ALLOWED_HOSTS)"
    )
    assert default == [] and [(f.item, f.reason) for f in report.errors] == [(url, refused)]
    hit = kb.ask("How much is a parking permit?")[0]
    assert hit.chunk.url == url and "30 pounds" in hit.chunk.text


def test_two_folders_with_the_same_name_stay_two_sources(settings, embedder, tmp_path):
    store = LanceKnowledgeStore(settings.lancedb_dir)
    for team, doc in (("it", "vpn-remote-access.md"), ("hr", "holidays-pto.md")):
        (tmp_path / team / "docs").mkdir(parents=True)
        shutil.copy(SAMPLE / doc, tmp_path / team / "docs" / doc)
        report = ingest(
            str(tmp_path / team / "docs"),
            settings=settings,
            store=store,
            embedder=embedder,
            visibility=[PUBLIC],
        )
        assert report.errors == [] and report.removed == 0
    sources = store.list_sources()
    assert len(sources) == 2 and all(s.source_id.startswith("docs-") for s in sources)


def test_reusing_a_source_id_for_another_location_is_refused(kb, folder):
    kb(folder)
    report = kb(folder / "vpn-remote-access.md")
    assert "source 'kb' already holds" in report.errors[0].reason
    assert len(kb.store.document_hashes("kb")) == 3


def test_an_empty_folder_is_an_error_and_removes_nothing(kb, folder, tmp_path):
    kb(folder)
    for doc in folder.iterdir():
        doc.unlink()
    report = kb(folder)
    assert [f.reason for f in report.errors] == ["the folder has no files"]
    assert len(kb.store.document_hashes("kb")) == 3


def test_restricting_a_source_relabels_a_document_that_failed_to_reload(kb, folder):
    kb(folder)
    (folder / "payroll-faq.pdf").write_bytes(b"%PDF-1.4 truncated")
    report = kb(folder, visibility=["C0PAYROLL"])
    assert [Path(f.item).name for f in report.errors] == ["payroll-faq.pdf"]
    question = "When is salary paid each month?"
    assert "payroll-faq.pdf" not in {h.chunk.doc_key for h in kb.ask(question)}
    assert kb.ask(question, channel="C0PAYROLL")[0].chunk.doc_key == "payroll-faq.pdf"
    assert {s.source_id: s.visibility for s in kb.store.list_sources()} == {"kb": ["C0PAYROLL"]}


def test_a_store_outage_is_one_line_and_changes_nothing(kb, folder, monkeypatch):
    kb(folder)
    before = kb.store.count()

    def refuse(*args, **kwargs):
        raise OSError("disk full\nsecond line")

    monkeypatch.setattr(kb.store, "replace_documents", refuse)
    (folder / "extra.md").write_text("# Extra\n\nParking permits cost 30 pounds.\n")
    report = kb(folder)
    assert [f.reason for f in report.errors] == [
        "the knowledge store refused the update (disk full); nothing changed"
    ]
    assert kb.store.count() == before
