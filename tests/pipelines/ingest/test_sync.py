"""The scheduled sync as an admin sees it: one run reflects what changed in a website and a Git
repository, embeds nothing else, and speaks up only when a sync failed or changed a lot."""

from __future__ import annotations

import datetime as dt

import pytest

from faqbot.contracts import SYNC, IngestRequest, SourceSpec
from faqbot.db import sources
from faqbot.db.engine import session_scope
from pipelines.ingest.ingest_job import ingest_source
from pipelines.ingest.sync import sync_due_sources, sync_message
from tests.pipelines.ingest.conftest import CountingEmbedder
from tests.pipelines.ingest.git_repos import PARKING, VPN, commit, make_repo
from tests.pipelines.ingest.sites import HTML, page
from workers.store.lance import LanceKnowledgeStore

INTRANET = SourceSpec(kind="website", depth=1)
LATER = dt.timedelta(hours=25)  # past the default daily interval


@pytest.fixture
def store(settings):
    return LanceKnowledgeStore(settings.lancedb_dir)


@pytest.fixture
def added(settings, store, embedder, site, tmp_path):
    """Adds the loopback intranet site and a Git repository as an admin would."""

    def add(target, spec, source_id):
        request = IngestRequest(target=str(target), source_id=source_id, spec=spec,
                                added_by="U0ADMIN")  # fmt: skip
        report = ingest_source(request, settings=settings, store=store, embedder=embedder)
        assert report.errors == []

    repo = make_repo(tmp_path)
    add(site.url("/docs/index.html"), INTRANET, "intranet")
    add(repo, SourceSpec(kind="git"), "handbook")
    return repo


def sync(settings, store, embedder, after=LATER):
    told = []
    summary = sync_due_sources(
        settings,
        store,
        embedder,
        notify=lambda due, report: told.append(sync_message(due, report)),
        now=dt.datetime.now(dt.UTC) + after,
    )
    return {report.source_id: report for report in summary.synced}, told


def test_one_scheduled_sync_reflects_changed_deleted_and_new_documents(
    settings, store, embedder, site, added
):
    site.pages["/docs/vpn.html"] = page("VPN", "Error 809: use the TLS profile on TCP 443.")
    del site.pages["/docs/payroll.html"]
    _, index = site.pages["/docs/index.html"]
    site.pages["/docs/index.html"] = (HTML, index.replace(b"payroll.html", b"wifi.html"))
    site.pages["/docs/wifi.html"] = page("Wi-Fi", "The guest Wi-Fi password changes daily.")
    commit(added, {"docs/vpn.md": VPN + "\nThe profile tunnels over TCP 443.\n",
                   "docs/payroll.md": None, "docs/parking.md": PARKING})  # fmt: skip
    counting = CountingEmbedder(embedder)
    reports, told = sync(settings, store, counting)
    web, git = reports["intranet"], reports["handbook"]
    assert (web.changed, web.removed, web.unchanged, web.errors) == (3, 1, 1, [])
    assert (git.changed, git.removed, git.unchanged, git.errors) == (2, 1, 1, [])
    assert counting.embedded == 5  # one chunk per changed document, nothing for the unchanged
    assert sorted(told) == [
        "Sync of `handbook` changed a lot: 2 new or changed, 1 removed, 1 unchanged, 0 errors.",
        "Sync of `intranet` changed a lot: 3 new or changed, 1 removed, 1 unchanged, 0 errors.",
    ]
    hashes = store.document_hashes("intranet")
    assert site.url("/docs/wifi.html") in hashes and site.url("/docs/payroll.html") not in hashes
    assert sorted(store.document_hashes("handbook")) == [
        "README.txt",
        "docs/parking.md",
        "docs/vpn.md",
    ]


def test_a_source_is_synced_only_once_its_interval_has_passed(settings, store, embedder, added):
    assert sync(settings, store, embedder, after=dt.timedelta(hours=1))[0] == {}
    reports, told = sync(settings, store, embedder)
    assert sorted(reports) == ["handbook", "intranet"] and told == []  # nothing changed
    assert all(r.changed == 0 and r.unchanged > 0 for r in reports.values())


def test_a_source_with_its_own_interval_keeps_to_it(settings, store, embedder, added):
    request = IngestRequest(target=str(added), source_id="handbook",
                            spec=SourceSpec(kind="git", sync_hours=0))  # fmt: skip
    ingest_source(request, settings=settings, store=store, embedder=embedder)
    assert sorted(sync(settings, store, embedder)[0]) == ["intranet"]


def test_a_failed_sync_tells_the_admin_and_keeps_what_was_indexed(
    settings, store, embedder, site, added
):
    before = store.document_hashes("intranet")
    site.failing["/docs/index.html"] = 500
    reports, told = sync(settings, store, embedder)
    start = site.url("/docs/index.html")
    error = f"{start}: the start page could not be fetched (HTTP 500 Internal Server Error)"
    assert reports["intranet"].errors == [error]
    assert told == [
        f"Sync of `intranet` failed: 0 new or changed, 0 removed, 0 unchanged, 1 errors.\n• {error}"
    ]
    assert store.document_hashes("intranet") == before
    with session_scope(settings) as session:
        row = sources.get(session, "intranet")
        assert row.status == "ready" and "start page" in row.last_error


def test_a_reindex_reads_the_source_as_it_was_added(settings, store, embedder, added):
    request = IngestRequest(target=str(added), source_id="handbook", visibility=["C0IT00001"])
    report = ingest_source(request, settings=settings, store=store, embedder=embedder)
    assert report.errors == [] and "README.txt" in store.document_hashes("handbook")
    with session_scope(settings) as session:
        assert sources.spec_of(sources.get(session, "handbook")).kind == "git"


def test_the_beat_task_syncs_due_sources(settings, added):
    import workers.tasks  # noqa: F401 - registers the tasks
    from faqbot.queue import celery_app
    from workers.app import worker_app

    assert worker_app(settings).conf.beat_schedule["sync-sources"]["task"] == SYNC
    with session_scope(settings) as session:
        for row in sources.all_sources(session):
            row.last_indexed_at -= LATER
    result = celery_app(settings).tasks[SYNC].apply().get()
    assert sorted(r["source_id"] for r in result["synced"]) == ["handbook", "intranet"]
