"""Ingestion fixtures: a knowledge base to ingest into, and a web page on loopback that a test
can switch to failing, hanging or exploding."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipelines.ingest.pipeline import ingest
from tests.pipelines.ingest.loopback import serving
from tests.pipelines.ingest.sites import Site, serving_site
from workers.retrieval import retrieve
from workers.store.base import PUBLIC
from workers.store.lance import LanceKnowledgeStore

PAGE = (
    b"<html><head><title>Parking</title></head><body><h2>Permits</h2>"
    b"<p>Parking permits cost 30 pounds a month and renew in Orbit HR.</p></body></html>"
)
BOMBS = {
    "bomb": (gzip.compress(gzip.compress(bytes(10_000_000))), "gzip, gzip"),  # 10 MB, ~130 B
    "single-bomb": (gzip.compress(bytes(5_000_000)), "gzip"),  # one coding, about 1000-fold
}


@pytest.fixture
def web_page() -> Iterator[tuple[str, dict]]:
    """The page's URL and its state: set state["mode"] to "gone" (404), "slow" (2 s), "bomb"
    (gzipped twice) or "single-bomb"; "ok" serves it plainly."""
    state = {"mode": "ok"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if state["mode"] == "slow":
                time.sleep(2)
            if state["mode"] == "gone":
                self.send_error(404)
                return
            body, encoding = BOMBS.get(state["mode"], (PAGE, None))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/parking.html", state


class CountingEmbedder:
    """The real embedder, counting the passages it is asked to embed."""

    def __init__(self, embedder):
        self._embedder = embedder
        self.embedded = 0

    def __getattr__(self, name):
        return getattr(self._embedder, name)

    def embed(self, texts, progress=None):
        self.embedded += len(texts)
        return self._embedder.embed(texts, progress)


@pytest.fixture
def kb(settings, embedder, tmp_path):
    store = LanceKnowledgeStore(settings.lancedb_dir)
    counting = CountingEmbedder(embedder)

    def run(target, visibility=(PUBLIC,), source_id="kb", spec=None):
        return ingest(
            str(target),
            settings=settings,
            store=store,
            embedder=counting,
            source_id=source_id,
            visibility=list(visibility),
            spec=spec,
        )

    def ask(question, channel=None, k=3):
        return retrieve(
            question, settings=settings, store=store, embedder=embedder, channel=channel, k=k
        )

    run.store, run.ask, run.embedder = store, ask, counting
    return run


@pytest.fixture
def site(settings) -> Iterator[Site]:
    """The loopback IT handbook site (tests/pipelines/ingest/sites.py), allowlisted as an
    intranet host."""
    settings.fetch_allowed_hosts = ["127.0.0.1"]
    with serving_site() as served:
        yield served
