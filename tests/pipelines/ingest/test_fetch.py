"""fetch() against a real local HTTP server: what comes back, the one-line errors, and the
address checks that keep URL ingestion away from internal hosts (SSRF)."""

from __future__ import annotations

import gzip
import io
import ipaddress
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from reportlab.pdfgen import canvas

from pipelines.ingest.addresses import Allowlist, is_public
from pipelines.ingest.documents import ItemError
from pipelines.ingest.fetch import fetch
from tests.pipelines.ingest.loopback import serving

MAX_BYTES = 1_000_000  # 1 MB, as FAQBOT_MAX_FILE_MB=1 gives
TIMEOUT_S = 2.0
SLOW_DELAY_S = 3.0
LOCAL = ["127.0.0.1"]  # the test server is internal: allowed explicitly

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


def gzip_bomb_parts(block_mb: int = 16) -> tuple[bytes, bytes]:
    """(start, segment) of a gzip stream of zeros: the start holds the header and the first
    block, and the segment, `block_mb` MB of zeros in ~16 KB, can be repeated any number of
    times (each ends with a full flush), so a stream of terabytes costs nothing to serve."""
    block = bytes(block_mb * 2**20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    start = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    segment = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    return start, segment


BOMB_START, BOMB_SEGMENT = gzip_bomb_parts()
BOMB_WRITE = BOMB_SEGMENT * 4  # 64 KB on the wire, 64 MB of zeros: about one socket read
BOMB_GB = 16  # what the whole lazy bomb decodes to
GZIP_TWICE = gzip.compress(gzip.compress(bytes(10_000_000)))  # 10 MB of zeros in ~130 bytes


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: TestServer

    def log_message(self, *args):  # keeps test output quiet
        pass

    def do_GET(self):
        self.close_connection = True
        self.server.hosts.append(self.headers.get("Host"))
        self.server.accept_encodings.append(self.headers.get("Accept-Encoding"))
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

    def send_encoded(self, body: bytes, *encodings: str, content_type="text/html") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        for encoding in encodings:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def route_page_gz(self):
        self.send_encoded(gzip.compress(PAGE_HTML), "gzip")

    def route_page_deflate(self):
        self.send_encoded(zlib.compress(PAGE_HTML), "deflate")

    def route_page_raw_deflate(self):
        compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        self.send_encoded(compressor.compress(PAGE_HTML) + compressor.flush(), "deflate")

    def route_doc_pdf_gz(self):
        self.send_encoded(gzip.compress(PDF), "x-gzip", content_type="application/pdf")

    def route_corrupt_gz(self):
        self.send_encoded(b"\x1f\x8b\x08\x00not gzip at all", "gzip")

    def route_gzip_twice(self):
        self.send_encoded(GZIP_TWICE, "gzip, gzip")

    def route_gzip_twice_in_two_headers(self):
        self.send_encoded(GZIP_TWICE, "gzip", "gzip")

    def route_zstd(self):
        self.send_encoded(b"(\xb5/\xfd" + b"\0" * 32, "zstd")

    def route_br(self):
        self.send_encoded(b"\x0b\x02\x80" + b"\0" * 32, "br")

    def route_gzip_bomb(self):
        """BOMB_GB GB of zeros, gzipped, written lazily until the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Connection", "close")  # no length: the body ends when the server closes
        self.end_headers()
        self.wfile.write(BOMB_START)
        for _ in range(BOMB_GB * 2**10 // 64):
            self.wfile.write(BOMB_WRITE)
        self.server.bomb_finished = True

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

    def query(self, name: str) -> str:
        return parse_qs(urlsplit(self.path).query)[name][0]

    def route_redirect_to(self):
        self.send_redirect(self.query("location"))

    def route_hops(self):
        """/hops?left=N redirects N times before the page."""
        left = int(self.query("left"))
        self.send_redirect(f"/hops?left={left - 1}" if left > 1 else "/page.html")

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
        self.hosts: list[str] = []  # the Host header of each request
        self.accept_encodings: list[str] = []  # and its Accept-Encoding
        self.bomb_finished = False  # whether the lazy bomb was ever written to its end


@pytest.fixture(scope="module")
def server() -> Iterator[TestServer]:
    with serving(TestServer()) as server:
        try:
            yield server
        finally:
            server.stopping.set()  # let handlers waiting on it finish before the shutdown


@pytest.fixture(scope="module")
def base_url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def port(server) -> int:
    return server.server_address[1]


def get(url: str, **kwargs) -> tuple[bytes, str]:
    """fetch() with the limits these tests use and the local server allowed, unless overridden."""
    return fetch(
        url, **{"max_bytes": MAX_BYTES, "timeout_s": TIMEOUT_S, "allowed_hosts": LOCAL, **kwargs}
    )


def fetch_error(url: str, **kwargs) -> str:
    with pytest.raises(ItemError) as info:
        get(url, **kwargs)
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
    assert get(f"{base_url}/page.html") == (PAGE_HTML, ".html")


def test_pdf_comes_back_with_pdf_suffix(base_url):
    assert get(f"{base_url}/doc.pdf") == (PDF, ".pdf")


def test_redirect_is_followed(base_url):
    assert get(f"{base_url}/redirect") == (PAGE_HTML, ".html")


def test_body_exactly_at_the_limit_is_accepted(base_url):
    body, suffix = get(f"{base_url}/page.html", max_bytes=len(PAGE_HTML))

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
    "url",
    [
        "ftp://example.com/handbook.pdf",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "javascript:alert(1)",
    ],
)
def test_only_http_and_https_urls_are_fetched(monkeypatch, url):
    def no_network(*args, **kwargs):
        raise AssertionError("fetch touched the network for a refused URL")

    monkeypatch.setattr(httpx, "Client", no_network)

    assert fetch_error(url) == "only http and https URLs can be ingested"


def test_redirect_to_a_local_file_is_refused(base_url):
    message = fetch_error(f"{base_url}/redirect-to-file")

    assert message == "redirected to file:/etc/passwd: only http and https URLs can be ingested"


def test_closed_port_could_not_fetch():
    assert fetch_error(closed_port_url()).startswith("could not fetch")


# --- Compressed bodies: decoded in bounded steps, decompression bombs refused ----------------

RATIO_LIMIT = "more than the 100-fold limit (FAQBOT_FETCH_MAX_DECOMPRESSION_RATIO)"


@pytest.mark.parametrize("path", ["/page.gz", "/page.deflate", "/page.raw-deflate"])
def test_a_compressed_page_is_decoded(base_url, server, path):
    assert get(f"{base_url}{path}") == (PAGE_HTML, ".html")
    assert server.accept_encodings[-1] == "gzip, deflate"  # only what can be decoded bounded


def test_a_compressed_pdf_is_decoded(base_url):
    assert get(f"{base_url}/doc.pdf.gz") == (PDF, ".pdf")


@pytest.mark.parametrize("path", ["/gzip-twice", "/gzip-twice-in-two-headers"])
def test_stacked_encodings_are_refused(base_url, path):
    message = fetch_error(f"{base_url}{path}", max_bytes=50 * MAX_BYTES)

    assert message == "refused: stacked content encodings (gzip, gzip); only one is accepted"


@pytest.mark.parametrize("encoding", ["zstd", "br"])
def test_encodings_that_cannot_be_decoded_in_bounded_steps_are_refused(base_url, encoding):
    message = fetch_error(f"{base_url}/{encoding}")

    assert message == f"refused: unsupported content encoding {encoding} (accepted: gzip, deflate)"


def test_a_corrupt_gzip_body_is_one_line(base_url):
    assert fetch_error(f"{base_url}/corrupt-gz").startswith("the gzip body is corrupt (")


def peak_memory_of(call) -> int:
    """The most bytes Python held at once (all threads, the test server's too) during call()."""
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_gzip_bomb_stops_at_the_decoded_size_limit_in_bounded_memory(base_url, server):
    messages = []

    peak = peak_memory_of(lambda: messages.append(fetch_error(f"{base_url}/gzip-bomb")))

    assert messages == ["over 1.0 MB, larger than the 1 MB limit (FAQBOT_MAX_FILE_MB)"]
    assert peak < 3 * MAX_BYTES, f"held {peak / 1e6:.1f} MB for a 1 MB limit"
    assert not server.bomb_finished  # the client hung up long before 16 GB


def test_a_gzip_bomb_under_a_large_size_limit_stops_at_the_ratio(base_url, server):
    messages = []
    size_limit = 1000 * MAX_BYTES  # 1 GB: the ratio must stop it long before

    peak = peak_memory_of(
        lambda: messages.append(fetch_error(f"{base_url}/gzip-bomb", max_bytes=size_limit))
    )

    assert messages[0].startswith("refused: the gzip body expands over ")
    assert messages[0].endswith(RATIO_LIMIT)
    assert peak < 3 * MAX_BYTES, f"held {peak / 1e6:.1f} MB"
    assert not server.bomb_finished


def test_a_higher_ratio_limit_leaves_the_bomb_to_the_size_limit(base_url):
    message = fetch_error(f"{base_url}/gzip-bomb", max_bytes=3 * MAX_BYTES, max_ratio=5000)

    assert message.endswith("larger than the 3 MB limit (FAQBOT_MAX_FILE_MB)")


# --- Internal addresses (SSRF) --------------------------------------------------------------

REFUSED_HINT = "not a public address (allow internal hosts with FAQBOT_FETCH_ALLOWED_HOSTS)"


@pytest.fixture
def connections(monkeypatch) -> list[tuple[str, int]]:
    """Every (address, port) fetch connects to."""
    real = socket.create_connection
    made: list[tuple[str, int]] = []

    def spy(address, *args, **kwargs):
        made.append(tuple(address[:2]))
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    return made


@pytest.fixture
def dns(monkeypatch):
    """Made-up names, each answering its list of turns in order (the last turn repeats) and
    counting its lookups; every other name resolves for real."""
    real = socket.getaddrinfo

    def lookup(host, port, *args, **kwargs):
        if host not in lookup.answers:
            return real(host, port, *args, **kwargs)
        lookup.lookups[host] = lookup.lookups.get(host, 0) + 1
        turns = lookup.answers[host]
        addresses = turns[min(lookup.lookups[host], len(turns)) - 1]
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [
            (family[ipaddress.ip_address(a).version], socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    lookup.answers, lookup.lookups = {}, {}
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return lookup


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("169.254.169.254", False),  # cloud metadata
        ("0.0.0.0", False),
        ("::", False),
        ("::1", False),
        ("127.0.0.1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped: judged as the IPv4 address
        ("::ffff:10.0.0.1", False),
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated)
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 wrapping 10.0.0.1
        ("100.64.0.1", False),  # shared address space
        ("224.0.0.1", False),  # multicast, which is_global alone lets through
        ("ff02::1", False),
        ("240.0.0.1", False),  # reserved
        ("fe80::1", False),
        ("fc00::1", False),
        ("192.168.1.1", False),
        ("172.16.0.1", False),
        ("10.0.0.1", False),
        ("192.0.2.1", False),  # documentation
        ("2001:db8::1", False),
        ("3fff::1", False),
        ("fec0::1", False),  # site-local (deprecated), which is_global calls global
        ("feff:ffff::1", False),  # the top of fec0::/10
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::808:808", True),  # NAT64 to a public address: fine on IPv6-only networks
        ("2002:808:808::", True),
    ],
)
def test_only_globally_routable_addresses_are_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


def test_allowlist_entries_are_names_addresses_or_networks():
    allowlist = Allowlist.parse(["Wiki.Corp.Example.", "10.0.0.5", "[fd00::1]", "192.168.0.0/16"])
    ip = ipaddress.ip_address

    assert allowlist.names == {"wiki.corp.example"}
    assert [allowlist.allows(ip(a)) for a in ("10.0.0.5", "fd00::1", "192.168.7.7")] == [True] * 3
    assert not allowlist.allows(ip("10.0.0.6")) and not allowlist.allows(ip("127.0.0.1"))
    allowlist.check("WIKI.corp.example", [ip("10.9.9.9")])  # a named host: whatever it resolves to
    with pytest.raises(ItemError, match="wiki.other.example resolves to 10.9.9.9"):
        allowlist.check("wiki.other.example", [ip("10.9.9.9")])


def test_the_local_server_is_refused_by_default(base_url, server, connections):
    requests = len(server.hosts)

    message = fetch_error(f"{base_url}/page.html", allowed_hosts=())

    assert message == f"refused: 127.0.0.1 is {REFUSED_HINT}"
    assert connections == [] and len(server.hosts) == requests


def test_a_name_for_an_internal_address_is_refused_naming_both(port, connections):
    message = fetch_error(f"http://localhost:{port}/page.html", allowed_hosts=())

    assert message.startswith("refused: localhost resolves to ")
    assert message.endswith(f", which is {REFUSED_HINT}")
    assert connections == []


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", ["127.0.0.1"]),
        ("127.0.0.1", ["10.0.0.0/8", "127.0.0.0/8"]),
        ("localhost", ["LocalHost"]),  # by name, case-insensitively
        ("localhost", ["wiki.corp.example", "localhost."]),
    ],
)
def test_an_allowlisted_internal_host_is_fetched(port, host, allowed):
    assert get(f"http://{host}:{port}/page.html", allowed_hosts=allowed) == (PAGE_HTML, ".html")


def test_an_allowlisted_name_must_match_exactly(port):
    message = fetch_error(f"http://localhost:{port}/page.html", allowed_hosts=["host"])

    assert message.startswith("refused: localhost resolves to ")


# Decimal, short and hex forms the resolver turns into 127.0.0.1, and other local spellings.
ODD_SPELLINGS = "2130706433 127.1 0x7f.0.0.1 0x7f000001 [::ffff:127.0.0.1] [::ffff:7f00:1] 0.0.0.0"


@pytest.mark.parametrize("host", [*ODD_SPELLINGS.split(), "[::]", "[::1]"])
def test_odd_spellings_of_internal_addresses_are_refused(port, connections, host):
    message = fetch_error(f"http://{host}:{port}/page.html", allowed_hosts=())

    assert message.startswith("refused: ") and message.endswith(REFUSED_HINT)
    assert connections == []


def test_an_octal_address_is_not_a_valid_url(port, connections):
    message = fetch_error(f"http://0177.0.0.1:{port}/page.html", allowed_hosts=())

    assert message.startswith("not a valid URL") and connections == []


def test_a_name_with_one_internal_address_among_public_ones_is_refused(dns, connections):
    dns.answers["mixed.test"] = [["8.8.8.8", "10.0.0.7", "2001:4860:4860::8888"]]

    message = fetch_error("http://mixed.test/page.html", allowed_hosts=())

    assert message == f"refused: mixed.test resolves to 10.0.0.7, which is {REFUSED_HINT}"
    assert connections == []


def test_a_name_for_a_site_local_ipv6_address_is_refused(dns, connections):
    dns.answers["old-intranet.test"] = [["fec0::5"]]

    message = fetch_error("http://old-intranet.test/page.html", allowed_hosts=())

    assert message == f"refused: old-intranet.test resolves to fec0::5, which is {REFUSED_HINT}"
    assert connections == []


def test_an_allowlisted_address_does_not_vouch_for_the_other_answers(dns, connections):
    dns.answers["mixed.test"] = [["127.0.0.1", "169.254.169.254"]]

    message = fetch_error("http://mixed.test/page.html")

    assert message == f"refused: mixed.test resolves to 169.254.169.254, which is {REFUSED_HINT}"
    assert connections == []


@pytest.mark.parametrize(
    ("location", "address"),
    [
        ("http://10.0.0.1/", "10.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]:{port}/page.html", "::1"),
        ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1"),
    ],
)
def test_a_redirect_to_an_internal_address_is_refused_without_connecting(
    base_url, port, connections, location, address
):
    location = location.format(port=port)

    message = fetch_error(f"{base_url}/redirect-to?location={quote(location, safe='')}")

    assert message.startswith(f"redirected to {location}: refused: {address} is not")
    assert message.endswith(REFUSED_HINT)
    assert connections == [("127.0.0.1", port)]  # the allowed first hop only


def test_redirects_are_followed_up_to_the_limit(base_url):
    assert get(f"{base_url}/hops?left=2", max_redirects=2) == (PAGE_HTML, ".html")


@pytest.mark.parametrize(("hops", "limit"), [(3, 2), (1, 0), (30, 5)])
def test_more_redirects_than_the_limit_are_refused(base_url, hops, limit):
    message = fetch_error(f"{base_url}/hops?left={hops}", max_redirects=limit)

    assert message == f"more than {limit} redirects (FAQBOT_FETCH_MAX_REDIRECTS)"


# --- One lookup per URL: the checked address is the one connected to ------------------------


def test_the_connection_goes_to_the_address_that_was_checked(dns, port, server, connections):
    dns.answers["rebind.test"] = [["127.0.0.1"], ["10.0.0.1"]]  # rebinds after the check

    assert get(f"http://rebind.test:{port}/page.html") == (PAGE_HTML, ".html")

    assert dns.lookups == {"rebind.test": 1}
    assert connections == [("127.0.0.1", port)]
    assert server.hosts[-1] == f"rebind.test:{port}"  # the name, not the address


def test_each_redirect_is_looked_up_and_checked_again(dns, port, connections):
    dns.answers["rebind.test"] = [["127.0.0.1"], ["10.0.0.1"]]

    message = fetch_error(f"http://rebind.test:{port}/redirect")

    assert message == (
        f"redirected to http://rebind.test:{port}/page.html: refused: rebind.test resolves to "
        f"10.0.0.1, which is {REFUSED_HINT}"
    )
    assert dns.lookups == {"rebind.test": 2}
    assert connections == [("127.0.0.1", port)]


def test_an_unknown_name_is_one_line(dns):
    message = fetch_error("http://no-such-host.invalid/page.html")

    assert message.startswith("could not resolve no-such-host.invalid (")


# --- HTTPS to a pinned address: SNI and the certificate check keep the host name ------------


def make_certificates(tmp_path, name: str) -> tuple[str, str, str]:
    """A test CA and a server certificate for `name` it signed: (CA file, cert file, key file)."""
    pytest.importorskip("cryptography")
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def certificate(subject: str, key, issuer: str, issuer_key, ca: bool):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("faqbot test CA", ca_key, "faqbot test CA", ca_key, ca=True)
    leaf = certificate(name, key, "faqbot test CA", ca_key, ca=False)
    files = [tmp_path / f for f in ("ca.pem", "cert.pem", "key.pem")]
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tuple(str(f) for f in files)


@pytest.fixture
def https_server(tmp_path, monkeypatch) -> Iterator[TestServer]:
    """The test server behind TLS with a certificate for rebind.test from a CA fetch trusts;
    `server.sni` lists the names clients asked for."""
    import ssl

    import certifi

    ca_file, cert_file, key_file = make_certificates(tmp_path, "rebind.test")
    monkeypatch.setattr(certifi, "where", lambda: ca_file)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = TestServer()
    server.sni = []
    context.sni_callback = lambda _sock, name, _ctx: server.sni.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server):
        yield server


def test_https_to_the_checked_address_verifies_the_host_name(dns, https_server, connections):
    port = https_server.server_address[1]
    dns.answers["rebind.test"] = [["127.0.0.1"], ["10.0.0.1"]]

    assert get(f"https://rebind.test:{port}/page.html") == (PAGE_HTML, ".html")

    assert connections == [("127.0.0.1", port)] and dns.lookups == {"rebind.test": 1}
    assert https_server.sni == ["rebind.test"]
    assert https_server.hosts == [f"rebind.test:{port}"]


def test_https_with_a_certificate_for_another_name_is_refused(dns, https_server):
    port = https_server.server_address[1]
    dns.answers["other.test"] = [["127.0.0.1"]]

    message = fetch_error(f"https://other.test:{port}/page.html")

    assert message.startswith("could not fetch (ConnectError: ")
    assert "certificate verify failed" in message and "other.test" in message
    assert https_server.hosts == []
