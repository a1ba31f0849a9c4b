"""Errors that every process shares the meaning of."""

from __future__ import annotations


class TransientError(RuntimeError):
    """Worth retrying later: a store or database outage, a Slack 429. `retry_after` is the
    wait the other side asked for, in seconds, when it said."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after
