"""A web page on loopback that a test can switch to failing, hanging or exploding."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.pipelines.ingest.loopback import serving

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
