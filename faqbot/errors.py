"""Errors that every process shares the meaning of."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


class TransientError(RuntimeError):
    """Worth retrying later: a store or database outage, a Slack 429. `retry_after` is the
    wait the other side asked for, in seconds, when it said."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def first_line(exc: BaseException) -> str:
    """An exception as one line: what users and logs see instead of a traceback."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def masked_url(url: str) -> str:
    """A service URL fit to print: its password (and a token in the user part) as ***."""
    parts = urlsplit(url)
    if parts.password is None and not parts.username:
        return url
    user = "" if parts.password is None else (parts.username or "")
    secret = f"{user}:***" if user else "***"
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    netloc = f"{secret}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
