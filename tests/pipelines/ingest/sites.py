"""A website on loopback for connector tests: pages a test can change, delete, add, redirect
or make fail between syncs, a robots.txt rule, and a log of what was requested."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.pipelines.ingest.loopback import serving

HTML = "text/html; charset=utf-8"


def page(title: str, text: str, links: tuple[str, ...] = ()) -> tuple[str, bytes]:
    anchors = "".join(f'<a href="{link}">{link}</a> ' for link in links)
    body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p>"
    return HTML, f"{body}<nav>{anchors}</nav></body></html>".encode()


@dataclass
class Site:
    base: str
    pages: dict[str, tuple[str, bytes]]
    redirects: dict[str, str]
    requests: list[str] = field(default_factory=list)
    failing: dict[str, int] = field(default_factory=dict)  # path → the status it answers

    def url(self, path: str) -> str:
        return self.base + path

    def fetched(self) -> list[str]:
        """Paths requested since the last call, robots.txt left out."""
        seen = [p for p in self.requests if p != "/robots.txt"]
        self.requests.clear()
        return seen


@contextmanager
def serving_site() -> Iterator[Site]:
    """An IT handbook under /docs/: robots.txt keeps /docs/private/ out, /blog/ is outside
    the prefix, old-parking.html redirects, payroll.html leads two and three links deeper."""
    pages = {
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /docs/private/\n"),
        "/docs/index.html": page(
            "IT handbook",
            "Start here.",
            (
                "vpn.html",
                "old-parking.html",
                "payroll.html",
                "private/salaries.html",
                "/blog/post.html",
                "vpn.html#error-809",
            ),
        ),
        "/docs/vpn.html": page("VPN", "Error 809: switch to the NWH-Corporate-TLS profile."),
        "/docs/parking.html": page("Parking", "Parking permits cost 30 pounds a month."),
        "/docs/payroll.html": page("Payroll", "Salaries are paid on the 25th.", ("deep.html",)),
        "/docs/deep.html": page("Deep", "Two links away.", ("deeper.html",)),
        "/docs/deeper.html": page("Deeper", "Three links away."),
        "/docs/private/salaries.html": page("Salaries", "Every salary in the company."),
        "/blog/post.html": page("Blog", "Outside the prefix."),
    }
    redirects = {"/docs/old-parking.html": "/docs/parking.html"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state.requests.append(self.path)
            if self.path in state.failing:
                self.send_error(state.failing[self.path])
                return
            if self.path in redirects:
                self.send_response(301)
                self.send_header("Location", redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path not in pages:
                self.send_error(404)
                return
            content_type, body = pages[self.path]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as server:
        state = Site(f"http://127.0.0.1:{server.server_address[1]}", pages, redirects)
        yield state
