"""A web page that turns into a decompression bomb: ingestion refuses it in one line and keeps
the text it indexed from the page before."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipelines.ingest.pipeline import ingest
from workers.retrieval import retrieve
from workers.store.base import PUBLIC
from workers.store.lance import LanceKnowledgeStore

PAGE = (
    b"<html><head><title>Parking</title></head><body><h2>Permits</h2>"
    b"<p>Parking permits cost 30 pounds a month and renew in Orbit HR.</p></body></html>"
)
BOMB = gzip.compress(gzip.compress(bytes(10_000_000)))  # 10 MB of zeros in ~130 bytes
SINGLE_BOMB = gzip.compress(bytes(5_000_000))  # one coding, about 1000-fold


@pytest.fixture
def web_page() -> Iterator[tuple[str, dict]]:
    """A local server whose one page is served gzipped, and can be switched to a bomb."""
    state = {"mode": "ok"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if state["mode"] == "bomb":
                body, encoding = BOMB, "gzip, gzip"
            elif state["mode"] == "single-bomb":
                body, encoding = SINGLE_BOMB, "gzip"
            else:
                body, encoding = gzip.compress(PAGE), "gzip"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/parking.html", state
    server.shutdown()
    server.server_close()


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
