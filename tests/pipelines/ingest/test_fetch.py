"""fetch() against a real local HTTP server: what comes back, and the one-line errors."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import pytest
from reportlab.pdfgen import canvas

from pipelines.ingest.documents import ItemError
from pipelines.ingest.fetch import fetch

MAX_BYTES = 1_000_000  # 1 MB, as FAQBOT_MAX_FILE_MB=1 gives
TIMEOUT_S = 2.0
SLOW_DELAY_S = 3.0

PAGE_HTML = (
    "<html><head><title>Parking – Intranet</title></head>"
    "<body><h2>Spaces</h2><p>There are ten spaces, first come first served.</p></body></html>"
).encode()


def small_pdf() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setTitle("Parking")
    pdf.drawString(72, 780, "Spaces")
    pdf.drawString(72, 760, "There are ten spaces, first come first served.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


PDF = small_pdf()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: TestServer

    def log_message(self, *args):  # keeps test output quiet
        pass

    def do_GET(self):
        self.close_connection = True
        name = urlsplit(self.path).path.strip("/").replace("-", "_").replace(".", "_")
        route = getattr(self, f"route_{name}", None)
        try:
            if route is None:
                self.send_body(404, "text/plain", b"no such page")
            else:
                route()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on purpose: too large, too slow

    def send_body(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def route_page_html(self):
        self.send_body(200, "text/html; charset=utf-8", PAGE_HTML)

    def route_doc_pdf(self):
        self.send_body(200, "application/pdf", PDF)

    def route_image_png(self):
        self.send_body(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)

    def send_redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def route_redirect(self):
        self.send_redirect("/page.html")

    def route_redirect_to_file(self):
        self.send_redirect("file:///etc/passwd")

    def route_slow(self):
        self.server.stopping.wait(SLOW_DELAY_S)
        self.send_body(200, "text/html", PAGE_HTML)

    def route_drip(self):
        """Answers at once, then sends the page a few bytes at a time for about 1.5 s."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Connection", "close")
        self.end_headers()
        for start in range(0, 100, 10):
            if self.server.stopping.wait(0.15):
                return
            self.wfile.write(PAGE_HTML[start : start + 10])
            self.wfile.flush()
        self.wfile.write(PAGE_HTML[100:])

    def route_big(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(5 * MAX_BYTES))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b"<html>" + b"x" * 1000)

    def route_chunked_big(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        block = b"<p>" + b"x" * 65_533
        for _ in range(3 * MAX_BYTES // len(block)):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
        self.wfile.write(b"0\r\n\r\n")


class TestServer(ThreadingHTTPServer):
    __test__ = False  # not a pytest test class
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.stopping = threading.Event()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = TestServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def fetch_error(url: str, *, max_bytes: int = MAX_BYTES, timeout_s: float = TIMEOUT_S) -> str:
    with pytest.raises(ItemError) as info:
        fetch(url, max_bytes=max_bytes, timeout_s=timeout_s)
    message = str(info.value)
    assert message, "an item error must name its reason"
    assert "\n" not in message, f"item error is not one line: {message!r}"
    return message


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/page.html"


# --- What comes back ------------------------------------------------------------------------


def test_html_page_comes_back_with_html_suffix(base_url):
    assert fetch(f"{base_url}/page.html", max_bytes=MAX_BYTES, timeout_s=TIMEOUT_S) == (
        PAGE_HTML,
        ".html",
    )


def test_pdf_comes_back_with_pdf_suffix(base_url):
    assert fetch(f"{base_url}/doc.pdf", max_bytes=MAX_BYTES, timeout_s=TIMEOUT_S) == (
        PDF,
        ".pdf",
    )


def test_redirect_is_followed(base_url):
    assert fetch(f"{base_url}/redirect", max_bytes=MAX_BYTES, timeout_s=TIMEOUT_S) == (
        PAGE_HTML,
        ".html",
    )


def test_body_exactly_at_the_limit_is_accepted(base_url):
    body, suffix = fetch(f"{base_url}/page.html", max_bytes=len(PAGE_HTML), timeout_s=TIMEOUT_S)

    assert (body, suffix) == (PAGE_HTML, ".html")


# --- Errors ---------------------------------------------------------------------------------


def test_missing_page_is_http_404(base_url):
    assert fetch_error(f"{base_url}/missing") == "HTTP 404 Not Found"


def test_slow_server_times_out_quickly(base_url):
    started = time.perf_counter()

    message = fetch_error(f"{base_url}/slow", timeout_s=0.5)

    assert message == "timed out after 0.5 s"
    assert time.perf_counter() - started < 2.0


def test_server_dripping_the_body_times_out(base_url):
    started = time.perf_counter()

    message = fetch_error(f"{base_url}/drip", timeout_s=0.5)

    assert message == "timed out after 0.5 s"
    assert time.perf_counter() - started < 1.2


@pytest.mark.parametrize("path", ["/big", "/chunked-big"])
def test_too_large_body_names_the_limit_and_its_setting(base_url, path):
    started = time.perf_counter()

    message = fetch_error(f"{base_url}{path}")

    assert "larger than the 1 MB limit" in message
    assert "FAQBOT_MAX_FILE_MB" in message
    assert time.perf_counter() - started < 2.0


def test_declared_size_is_reported_in_mb(base_url):
    assert fetch_error(f"{base_url}/big").startswith("5.0 MB")


def test_unsupported_content_type_is_named(base_url):
    assert fetch_error(f"{base_url}/image.png") == "unsupported content type image/png"


@pytest.mark.parametrize(
    "url", ["ftp://example.com/handbook.pdf", "file:///etc/passwd", "javascript:alert(1)"]
)
def test_only_http_and_https_urls_are_fetched(monkeypatch, url):
    def no_network(*args, **kwargs):
        raise AssertionError("fetch touched the network for a refused URL")

    monkeypatch.setattr(httpx, "Client", no_network)

    assert fetch_error(url) == "only http and https URLs can be ingested"


def test_redirect_to_a_local_file_is_refused(base_url):
    message = fetch_error(f"{base_url}/redirect-to-file")

    assert message.startswith("could not fetch")
    assert "root:" not in message


def test_closed_port_could_not_fetch():
    assert fetch_error(closed_port_url()).startswith("could not fetch")
