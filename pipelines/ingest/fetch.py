"""Fetching one web page for ingestion, with scheme, address, size, time and content-type
limits. Redirects are followed here, not by httpx, so that every hop is checked like the first
URL; each connection goes to the addresses that were checked, never to a second DNS answer."""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pipelines.ingest.addresses import Allowlist, IPAddress, resolve
from pipelines.ingest.documents import ItemError
from pipelines.ingest.loaders import CONTENT_TYPES

if TYPE_CHECKING:
    import httpx

USER_AGENT = "faqbot-ingest/0.1 (+https://github.com/faqbot)"
DEFAULT_PORTS = {"http": 80, "https": 443}


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


def fetch(
    url: str,
    *,
    max_bytes: int,
    timeout_s: float,
    allowed_hosts: Iterable[str] = (),
    max_redirects: int = 5,
) -> tuple[bytes, str]:
    """Returns the body and the file suffix its content type maps to. `timeout_s` bounds the
    whole fetch, redirects included."""
    import httpx

    allowlist = Allowlist.parse(allowed_hosts)
    deadline = time.monotonic() + timeout_s
    target = check_url(url, allowlist)
    try:
        for _hop in range(max_redirects + 1):
            with _client(deadline, timeout_s) as client, closing(_send(client, target)) as response:
                if not response.has_redirect_location:
                    return _accept(response, max_bytes, deadline, timeout_s)
                location = response.headers["location"]
            target = _follow(target, location, allowlist)
    except httpx.TimeoutException as exc:
        raise ItemError(f"timed out after {timeout_s:g} s") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise ItemError(f"could not fetch ({type(exc).__name__}: {exc})") from exc
    raise ItemError(f"more than {max_redirects} redirects (FAQBOT_FETCH_MAX_REDIRECTS)")


def _client(deadline: float, timeout_s: float) -> httpx.Client:
    """One client per hop, so no connection made for one host name is reused for another.
    Environment proxies are ignored: a proxy would resolve the name itself, unchecked."""
    import httpx

    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ItemError(f"timed out after {timeout_s:g} s")
    return httpx.Client(
        timeout=remaining, headers={"User-Agent": USER_AGENT}, follow_redirects=False,
        trust_env=False,
    )  # fmt: skip


def _send(client: httpx.Client, target: Target) -> httpx.Response:
    """Connects to a checked address, in DNS order, while the Host header, TLS SNI and the
    certificate check keep the URL's host name."""
    import httpx

    error: httpx.ConnectError | None = None
    for address in target.addresses:
        request = client.build_request("GET", target.url)  # Host header from the name
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


def _accept(response: httpx.Response, max_bytes: int, deadline: float, timeout_s: float):
    if response.status_code >= 400:
        raise ItemError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
    suffix = _suffix(response.headers.get("content-type", ""))
    return _read_limited(response, max_bytes, deadline, timeout_s), suffix


def _suffix(content_type: str) -> str:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in CONTENT_TYPES:
        raise ItemError(f"unsupported content type {media_type or '(none)'}")
    return CONTENT_TYPES[media_type]


def _read_limited(response, max_bytes: int, deadline: float, timeout_s: float) -> bytes:
    """The body up to `max_bytes`, within the deadline: httpx's timeout is per read, so a
    server dripping bytes would otherwise hold the fetch forever."""
    declared = int(response.headers.get("content-length") or 0)
    if declared > max_bytes:
        raise ItemError(too_large_message(declared, max_bytes))
    body = bytearray()
    for part in response.iter_bytes():
        body.extend(part)
        if time.monotonic() > deadline:
            raise ItemError(f"timed out after {timeout_s:g} s")
        if len(body) > max_bytes:
            raise ItemError(too_large_message(len(body), max_bytes, at_least=True))
    return bytes(body)


def too_large_message(size: int, max_bytes: int, at_least: bool = False) -> str:
    prefix = "over " if at_least else ""
    return (
        f"{prefix}{size / 1e6:.1f} MB, larger than the {max_bytes / 1e6:g} MB limit "
        "(FAQBOT_MAX_FILE_MB)"
    )
