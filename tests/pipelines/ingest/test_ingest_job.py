"""Ingestion as a tracked job: what the source registry says is what the store enforces."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from faqbot.contracts import IngestRequest
from faqbot.db import sources
from faqbot.db.engine import session_scope
from pipelines.ingest.ingest_job import ingest_source
from workers.retrieval import retrieve
from workers.store import get_store
from workers.store.base import PUBLIC

SAMPLE = Path(__file__).resolve().parents[3] / "sample_kb" / "docs"
HR = "C0HR00001"
QUESTION = "How many vacation days do I get?"


@pytest.fixture
def handbook(settings, embedder, tmp_path) -> Path:
    folder = tmp_path / "handbook"
    folder.mkdir()
    for name in ("vpn-remote-access.md", "payroll-faq.pdf"):
        shutil.copy(SAMPLE / name, folder / name)
    run(settings, embedder, folder, [PUBLIC])
    return folder


def run(settings, embedder, folder: Path, visibility: list[str]) -> dict:
    """What the worker runs for `/faq-admin reindex` or `visibility` (bot/admin/commands.py)."""
    request = IngestRequest(target=str(folder), source_id="handbook", visibility=visibility)
    return ingest_source(request, settings=settings, store=get_store(settings), embedder=embedder)


def registered_visibility(settings) -> list[str]:
    with session_scope(settings) as session:
        return sources.get(session, "handbook").visibility


def stored_visibilities(settings) -> set[tuple[str, ...]]:
    store = get_store(settings)
    hits = store.chunks_of("handbook", set(store.document_hashes("handbook")))
    return {tuple(hit.chunk.visibility) for hit in hits}


def publicly_found(settings, embedder) -> list:
    hits = retrieve(
        "When is salary paid? VPN error 809",
        settings=settings,
        store=get_store(settings),
        embedder=embedder,
        channel="C0GENERAL",
        k=20,
    )
    return [hit for hit in hits if hit.chunk.source_id == "handbook"]


@pytest.mark.parametrize("unreadable", ["missing", "empty"])
def test_restricting_an_unreadable_folder_leaves_no_public_chunk_of_it(
    settings, embedder, handbook, unreadable
):
    shutil.rmtree(handbook)
    if unreadable == "empty":
        handbook.mkdir()

    report = run(settings, embedder, handbook, [HR])

    assert len(report.errors) == 1  # the admin hears that the folder could not be read
    assert stored_visibilities(settings) == {(HR,)}
    assert publicly_found(settings, embedder) == []
    assert registered_visibility(settings) == [HR]


def test_the_registry_keeps_the_old_visibility_when_the_store_refuses_the_change(
    settings, embedder, handbook, monkeypatch
):
    def refuse(*args, **kwargs):
        raise OSError("disk full")

    shutil.rmtree(handbook)
    monkeypatch.setattr(get_store(settings), "replace_documents", refuse)

    report = run(settings, embedder, handbook, [HR])

    assert report.errors[-1].endswith(
        "the knowledge store refused the update (disk full); nothing changed"
    )
    assert registered_visibility(settings) == [PUBLIC]  # `list` shows what is enforced
    assert stored_visibilities(settings) == {(PUBLIC,)}
