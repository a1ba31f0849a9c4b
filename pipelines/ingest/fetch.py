"""Fetching one web page for ingestion, with scheme, size, time and content-type limits."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from pipelines.ingest.documents import ItemError
from pipelines.ingest.loaders import CONTENT_TYPES

USER_AGENT = "faqbot-ingest/0.1 (+https://github.com/faqbot)"


def is_url(target: str) -> bool:
    return "://" in target


def check_scheme(url: str) -> None:
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ItemError("only http and https URLs can be ingested")


def fetch(url: str, *, max_bytes: int, timeout_s: float) -> tuple[bytes, str]:
    """Returns the body and the file suffix its content type maps to."""
    import httpx

    check_scheme(url)
    deadline = time.monotonic() + timeout_s
    try:
        with (
            httpx.Client(
                follow_redirects=True, timeout=timeout_s, headers={"User-Agent": USER_AGENT}
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise ItemError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
            suffix = _suffix(response.headers.get("content-type", ""))
            return _read_limited(response, max_bytes, deadline, timeout_s), suffix
    except httpx.TimeoutException as exc:
        raise ItemError(f"timed out after {timeout_s:g} s") from exc
    except httpx.HTTPError as exc:
        raise ItemError(f"could not fetch ({type(exc).__name__}: {exc})") from exc


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
