"""Errors that every process shares the meaning of."""

from __future__ import annotations


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
