"""A web page that turns into a decompression bomb: ingestion refuses it in one line and keeps
the text it indexed from the page before."""

from __future__ import annotations

from pipelines.ingest.pipeline import ingest
from workers.retrieval import retrieve
from workers.store.base import PUBLIC
from workers.store.lance import LanceKnowledgeStore


def test_a_page_that_becomes_a_gzip_bomb_is_refused_and_keeps_its_indexed_text(
    settings, embedder, web_page
):
    url, state = web_page
    settings.fetch_allowed_hosts = ["127.0.0.1"]  # FAQBOT_FETCH_ALLOWED_HOSTS: an intranet
    settings.max_file_mb = 1.0
    store = LanceKnowledgeStore(settings.lancedb_dir)

    def run():
        return ingest(
            url,
            settings=settings,
            store=store,
            embedder=embedder,
            source_id="parking",
            visibility=[PUBLIC],
        )

    assert run().chunks == 1
    state["mode"] = "bomb"
    report = run()

    assert [(f.item, f.reason) for f in report.errors] == [
        (url, "refused: stacked content encodings (gzip, gzip); only one is accepted")
    ]
    question = "How much is a parking permit?"
    hit = retrieve(question, settings=settings, store=store, embedder=embedder, channel=None)[0]
    assert hit.chunk.url == url and "30 pounds" in hit.chunk.text


def test_ingestion_applies_the_decompression_ratio_setting(settings, embedder, web_page):
    url, state = web_page
    settings.fetch_allowed_hosts = ["127.0.0.1"]
    settings.fetch_max_decompression_ratio = 20.0  # FAQBOT_FETCH_MAX_DECOMPRESSION_RATIO
    state["mode"] = "single-bomb"
    store = LanceKnowledgeStore(settings.lancedb_dir)
    report = ingest(url, settings=settings, store=store, embedder=embedder, visibility=[PUBLIC])
    [failure] = report.errors
    assert "the 20-fold limit (FAQBOT_FETCH_MAX_DECOMPRESSION_RATIO)" in failure.reason
