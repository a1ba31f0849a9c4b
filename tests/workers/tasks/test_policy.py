"""Retry timing and what counts as worth retrying."""

from __future__ import annotations

import random

import pytest
from sqlalchemy.exc import OperationalError

from faqbot.errors import TransientError
from workers.store import StoreUnavailable
from workers.tasks.policy import backoff_s, is_transient, retry_delay_s


def test_backoff_grows_exponentially_with_full_jitter_up_to_the_cap(settings):
    rng = random.Random(7)
    for retries, ceiling in [(0, 2.0), (1, 4.0), (3, 16.0), (10, 120.0)]:
        delays = [backoff_s(retries, settings, rng) for _ in range(200)]
        assert 0 <= min(delays) and max(delays) <= ceiling
        assert max(delays) > ceiling * 0.8  # spread over the whole range, not bunched


def test_a_wait_the_other_side_asked_for_is_honoured(settings):
    assert retry_delay_s(TransientError("Slack 429", retry_after=17), 0, settings) == 17


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (StoreUnavailable("Weaviate at http://w:8080 is unreachable"), True),
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (OperationalError("SELECT 1", {}, Exception("server closed the connection")), True),
        (ValueError("bad payload"), False),
        (KeyError("question"), False),
    ],
)
def test_only_outages_are_retried(exc, transient):
    assert is_transient(exc) is transient
