"""Retrieval as an asker sees it: a document named by its initials is found."""

from __future__ import annotations

import pytest

from pipelines.ingest.pipeline import ingest
from workers.retrieval import expand_title_acronyms, retrieve
from workers.store.base import PUBLIC, title_acronyms, title_name
from workers.store.lance import LanceKnowledgeStore

NEW_VERSIONS = (
    "New versions of this License may be published from time to time. Each version is given "
    "a distinguishing version number. The {steward} publishes new versions and no one else "
    "may modify or publish new versions of this License."
)


def test_a_title_is_known_by_its_initials():
    assert title_acronyms("GNU GENERAL PUBLIC LICENSE Version 3, 29 June 2007") == ["GGPL", "GPL"]
    assert title_acronyms("Mozilla Public License Version 2.0") == ["MPL"]
    assert title_acronyms("Data Retention Policy (DRP-2024)") == ["DRP"]
    assert title_name("Data Retention Policy (DRP-2024)") == "Data Retention Policy"
    # Short names and titles that are not a name gain nothing, so they add no noise.
    assert title_acronyms("Apache License Version 2.0") == []
    assert title_acronyms("VPN and remote access") == []


@pytest.fixture
def licences(settings, embedder, tmp_path):
    store = LanceKnowledgeStore(settings.lancedb_dir)
    for name, title, steward, visibility in (
        ("mpl.md", "Mozilla Public License Version 2.0", "Mozilla Foundation", [PUBLIC]),
        ("gpl.md", "GNU General Public License Version 3", "Free Software Foundation", [PUBLIC]),
        ("epl.md", "Eclipse Public License Version 2.0", "Eclipse Foundation", ["C0LEGAL"]),
    ):
        folder = tmp_path / name.removesuffix(".md")
        folder.mkdir()
        (folder / name).write_text(
            f"# {title}\n\n## Versions\n\n{NEW_VERSIONS.format(steward=steward)}\n"
        )
        ingest(
            str(folder),
            settings=settings,
            store=store,
            embedder=embedder,
            source_id=folder.name,
            visibility=visibility,
        )
    return store


def test_a_question_naming_a_document_by_its_initials_finds_that_document(
    licences, settings, embedder
):
    for question, wanted in (
        ("Who may publish new versions of the MPL?", "mpl.md"),
        ("Who may publish new versions of the GPL?", "gpl.md"),
    ):
        hits = retrieve(question, settings=settings, store=licences, embedder=embedder, k=2)
        assert hits[0].chunk.doc_key == wanted, question


def test_only_visible_documents_expand_a_question(licences):
    question = "Who may publish new versions of the EPL?"
    assert expand_title_acronyms(question, licences, [PUBLIC]) == question
    assert expand_title_acronyms(question, licences, [PUBLIC, "C0LEGAL"]) == (
        f"{question} (Eclipse Public License)"
    )


def test_a_title_that_already_spells_the_acronym_is_not_repeated(settings, embedder, tmp_path):
    store = LanceKnowledgeStore(settings.lancedb_dir)
    (tmp_path / "drp.md").write_text("# Data Retention Policy (DRP-2024)\n\nInvoices: 7 years.\n")
    ingest(
        str(tmp_path),
        settings=settings,
        store=store,
        embedder=embedder,
        source_id="kb",
        visibility=[PUBLIC],
    )
    assert expand_title_acronyms("DRP-2024 invoices", store, [PUBLIC]) == "DRP-2024 invoices"
