"""Fetching one web page for ingestion, with scheme, address, size, time and content-type
limits. Redirects are followed here, not by httpx, so that every hop is checked like the first
URL; each connection goes to the addresses that were checked, never to a second DNS answer.
Bodies are decoded here too, in bounded steps, so a compressed page cannot expand past the
size limit in memory (a decompression bomb)."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from faqbot.settings import Settings
from pipelines.ingest.addresses import Allowlist, IPAddress, resolve
from pipelines.ingest.documents import ItemError
from pipelines.ingest.loaders import CONTENT_TYPES

if TYPE_CHECKING:
    import httpx

USER_AGENT = "faqbot-ingest/0.1 (+https://github.com/faqbot)"
DEFAULT_PORTS = {"http": 80, "https": 443}
RATIO_SETTING = "FAQBOT_FETCH_MAX_DECOMPRESSION_RATIO"
DEFAULT_MAX_RATIO: float = Settings.model_fields["fetch_max_decompression_ratio"].default
# The codings decoded here, each with zlib's window bits (deflate is tried zlib-wrapped, then
# raw, as browsers do). br and zstd are neither asked for nor accepted: their Python decoders
# cannot stop after a given number of output bytes.
ZLIB_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
ACCEPT_ENCODING = "gzip, deflate"
DECODE_STEP = 64 * 1024  # most decoded bytes one decompress call may return
RATIO_GRACE_BYTES = 1_000_000  # small pages may compress well; the ratio counts above this


def is_url(target: str) -> bool:
    return "://" in target


def check_scheme(url: str) -> None:
    if urlsplit(url).scheme.lower() not in DEFAULT_PORTS:
        raise ItemError("only http and https URLs can be ingested")


@dataclass(frozen=True)
class Target:
    """A URL whose host resolved to `addresses`, all of them allowed: the only ones used."""

    url: httpx.URL
    host: str
    addresses: list[IPAddress]


def check_url(url: str, allowlist: Allowlist) -> Target:
    import httpx

    check_scheme(url)
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ItemError(f"not a valid URL ({exc})") from exc
    host = parsed.raw_host.decode("ascii")
    if not host:
        raise ItemError("the URL names no host")
    addresses = resolve(host, parsed.port or DEFAULT_PORTS[parsed.scheme])
    allowlist.check(host, addresses)
    return Target(parsed, host, addresses)


@dataclass(frozen=True)
class Fetched:
    """A fetched body, the suffix its content type maps to, and the URL it came from after
    redirects (a crawl resolves the page's links against that one)."""

    body: bytes
    suffix: str
    url: str


def fetch(
    url: str,
    *,
    max_bytes: int,
    timeout_s: float,
    allowed_hosts: Iterable[str] = (),
    max_redirects: int = 5,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> tuple[bytes, str]:
    """Returns the body and the file suffix its content type maps to. `timeout_s` bounds the
    whole fetch, redirects included; `max_bytes` bounds the decoded body and `max_ratio` how
    many times larger than the bytes received it may be."""
    page = fetch_page(
        url,
        max_bytes=max_bytes,
        timeout_s=timeout_s,
        allowed_hosts=allowed_hosts,
        max_redirects=max_redirects,
        max_ratio=max_ratio,
    )
    return page.body, page.suffix


def fetch_with(
    settings: Settings, url: str, content_types: dict[str, str] = CONTENT_TYPES
) -> Fetched:
    """`fetch_page` under the settings' limits (FAQBOT_MAX_FILE_MB, FAQBOT_FETCH_*)."""
    return fetch_page(
        url,
        max_bytes=int(settings.max_file_mb * 1e6),
        timeout_s=settings.fetch_timeout_s,
        allowed_hosts=settings.fetch_allowed_hosts,
        max_redirects=settings.fetch_max_redirects,
        max_ratio=settings.fetch_max_decompression_ratio,
        content_types=content_types,
    )


def fetch_page(
    url: str,
    *,
    max_bytes: int,
    timeout_s: float,
    allowed_hosts: Iterable[str] = (),
    max_redirects: int = 5,
    max_ratio: float = DEFAULT_MAX_RATIO,
    content_types: dict[str, str] = CONTENT_TYPES,
) -> Fetched:
    """`fetch`, also handing back the final URL; `content_types` maps the media types
    accepted to suffixes (robots.txt and sitemaps are read as text and XML)."""
    import httpx

    allowlist = Allowlist.parse(allowed_hosts)
    limits = BodyLimits(max_bytes, max_ratio, time.monotonic() + timeout_s, timeout_s)
    target = check_url(url, allowlist)
    try:
        for _hop in range(max_redirects + 1):
            with _client(limits) as client, closing(_send(client, target)) as response:
                if not response.has_redirect_location:
                    body, suffix = _accept(response, limits, content_types)
                    return Fetched(body, suffix, str(target.url))
                location = response.headers["location"]
            target = _follow(target, location, allowlist)
    except httpx.TimeoutException as exc:
        raise ItemError(f"timed out after {timeout_s:g} s") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise ItemError(f"could not fetch ({type(exc).__name__}: {exc})") from exc
    raise ItemError(f"more than {max_redirects} redirects (FAQBOT_FETCH_MAX_REDIRECTS)")


@dataclass(frozen=True)
class ApiResponse:
    """A service API's answer, whatever its status: the caller decides what a 429 or a 404
    means for its source."""

    status: int
    headers: dict[str, str]
    body: bytes


def api_request(
    settings: Settings,
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> ApiResponse:
    """One request to a service's REST API (Confluence, Drive, Notion) under the fetcher's
    rules: the host is checked and pinned, the body is bounded by FAQBOT_MAX_FILE_MB and the
    whole request by FAQBOT_FETCH_TIMEOUT_S. Redirects are not followed: an API that
    redirects is answered as such (a credential must never follow one to another host)."""
    import httpx

    timeout_s = settings.fetch_timeout_s
    limits = BodyLimits.from_settings(settings)
    target = check_url(url, Allowlist.parse(settings.fetch_allowed_hosts))
    try:
        with (
            _client(limits) as client,
            closing(_send(client, target, method, headers, content)) as response,
        ):
            body = read_body(response, limits)
            return ApiResponse(response.status_code, dict(response.headers), body)
    except httpx.TimeoutException as exc:
        raise ItemError(f"timed out after {timeout_s:g} s") from exc
    except httpx.HTTPError as exc:
        raise ItemError(f"could not reach the API ({type(exc).__name__}: {exc})") from exc


@dataclass(frozen=True)
class BodyLimits:
    """What reading one response body may cost: decoded bytes, expansion and time."""

    max_bytes: int
    max_ratio: float
    deadline: float  # time.monotonic() value
    timeout_s: float  # the whole budget, for the message

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        """FAQBOT_MAX_FILE_MB, FAQBOT_FETCH_MAX_DECOMPRESSION_RATIO and FAQBOT_FETCH_TIMEOUT_S,
        the clock starting now."""
        timeout_s = settings.fetch_timeout_s
        return cls(
            int(settings.max_file_mb * 1e6),
            settings.fetch_max_decompression_ratio,
            time.monotonic() + timeout_s,
            timeout_s,
        )

    def remaining_s(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ItemError(f"timed out after {self.timeout_s:g} s")
        return remaining


def _client(limits: BodyLimits) -> httpx.Client:
    """One client per hop, so no connection made for one host name is reused for another.
    Environment proxies are ignored: a proxy would resolve the name itself, unchecked."""
    import httpx

    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING}
    return httpx.Client(
        timeout=limits.remaining_s(), headers=headers, follow_redirects=False, trust_env=False
    )


def _send(
    client: httpx.Client,
    target: Target,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    """Connects to a checked address, in DNS order, while the Host header, TLS SNI and the
    certificate check keep the URL's host name."""
    import httpx

    error: httpx.ConnectError | None = None
    for address in target.addresses:
        # the Host header from the name
        request = client.build_request(method, target.url, headers=headers, content=content)
        request.url = target.url.copy_with(host=str(address))
        request.extensions["sni_hostname"] = target.host
        try:
            return client.send(request, stream=True)
        except httpx.ConnectError as exc:
            error = exc
    assert error is not None  # resolve() never returns no addresses
    raise error


def _follow(target: Target, location: str, allowlist: Allowlist) -> Target:
    import httpx

    try:
        next_url = str(target.url.join(location))
    except httpx.InvalidURL as exc:
        raise ItemError(f"redirected to an invalid URL ({exc})") from exc
    try:
        return check_url(next_url, allowlist)
    except ItemError as exc:
        raise ItemError(f"redirected to {next_url}: {exc}") from exc


def _accept(
    response: httpx.Response, limits: BodyLimits, content_types: dict[str, str]
) -> tuple[bytes, str]:
    if response.status_code >= 400:
        raise ItemError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
    suffix = _suffix(response.headers.get("content-type", ""), content_types)
    return read_body(response, limits), suffix


def _suffix(content_type: str, content_types: dict[str, str]) -> str:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in content_types:
        raise ItemError(f"unsupported content type {media_type or '(none)'}")
    return content_types[media_type]


def read_body(response: httpx.Response, limits: BodyLimits) -> bytes:
    """The decoded body, refused as soon as it passes `max_bytes` or `max_ratio` or the
    deadline (httpx's timeout is per read, so a server dripping bytes would otherwise hold the
    fetch forever). While reading, memory stays within the limit plus one DECODE_STEP: the
    pieces are kept as they come (a growing buffer would copy itself) and joined at the end."""
    declared = int(response.headers.get("content-length") or 0)
    if declared > limits.max_bytes:
        raise ItemError(too_large_message(declared, limits.max_bytes))
    decoder = BoundedDecoder(content_coding(response))
    received, decoded, pieces = 0, 0, []
    for chunk in response.iter_raw():
        received += len(chunk)
        if received > limits.max_bytes:
            raise ItemError(too_large_message(received, limits.max_bytes, at_least=True))
        for piece in decoder.pieces(chunk):
            decoded += len(piece)
            _check_growth(decoded, received - decoder.unread, decoder.coding, limits)
            pieces.append(piece)
        limits.remaining_s()
    return b"".join(pieces)


def _check_growth(decoded: int, consumed: int, coding: str, limits: BodyLimits) -> None:
    """`consumed`: the bytes received that were decoded so far, not those still waiting, so
    the ratio stops a bomb after about RATIO_GRACE_BYTES whatever the network's chunk size."""
    if decoded > limits.max_bytes:
        raise ItemError(too_large_message(decoded, limits.max_bytes, at_least=True))
    if decoded > RATIO_GRACE_BYTES and decoded > limits.max_ratio * consumed:
        raise ItemError(
            f"refused: the {coding} body expands over {decoded // max(consumed, 1)}-fold, more than "
            f"the {limits.max_ratio:g}-fold limit ({RATIO_SETTING})"
        )


def content_coding(response: httpx.Response) -> str:
    """The body's one content coding ("identity" when none). Stacked codings (gzip, gzip)
    only serve to multiply the expansion, so they are refused, as are codings not decoded here."""
    values = response.headers.get_list("content-encoding", split_commas=True)
    codings = [c for c in (v.strip().lower() for v in values) if c and c != "identity"]
    if len(codings) > 1:
        raise ItemError(
            f"refused: stacked content encodings ({', '.join(codings)}); only one is accepted"
        )
    coding = codings[0] if codings else "identity"
    if coding != "identity" and coding not in ZLIB_WBITS:
        raise ItemError(f"refused: unsupported content encoding {coding} (accepted: gzip, deflate)")
    return coding


class BoundedDecoder:
    """Decodes in pieces of at most DECODE_STEP bytes. httpx's decoders return all the output
    of a chunk at once, and 64 KB of gzip can hold 64 MB of zeros; zlib's max_length stops
    each call early and keeps the rest of the input for the next one."""

    def __init__(self, coding: str):
        self.coding = coding
        self._zlib = zlib.decompressobj(ZLIB_WBITS[coding]) if coding in ZLIB_WBITS else None
        self._started = False

    @property
    def unread(self) -> int:
        """Input bytes given to pieces() and not decoded yet."""
        return len(self._zlib.unconsumed_tail) if self._zlib else 0

    def pieces(self, data: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            yield data
            return
        piece = b""
        while data or len(piece) == DECODE_STEP:  # a full piece may leave output pending
            piece = self._decompress(data)
            data = self._zlib.unconsumed_tail
            if piece:
                yield piece
            if self._zlib.eof:  # bytes after the end of the stream are ignored, as httpx does
                return

    def _decompress(self, data: bytes) -> bytes:
        first, self._started = not self._started, True
        try:
            try:
                return self._zlib.decompress(data, DECODE_STEP)
            except zlib.error:
                if not (first and self.coding == "deflate"):
                    raise
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, no zlib header
                return self._zlib.decompress(data, DECODE_STEP)
        except zlib.error as exc:
            raise ItemError(f"the {self.coding} body is corrupt ({exc})") from exc


def too_large_message(size: int, max_bytes: int, at_least: bool = False) -> str:
    """`at_least`: reading stopped at the cap, so the size is only known to pass it (how far
    past depends on where the last chunk ended: say the cap, not that)."""
    prefix = "over " if at_least else ""
    size = max_bytes if at_least else size
    return (
        f"{prefix}{size / 1e6:.1f} MB, larger than the {max_bytes / 1e6:g} MB limit "
        "(FAQBOT_MAX_FILE_MB)"
    )
