"""The sliding-window count behind per-user limits, in Redis and in the one-process mode."""

from __future__ import annotations

import time

import pytest

from faqbot.shared_state import ProcessKeys, RedisKeys, redis_client


@pytest.fixture(params=["redis", "process"])
def keys(request):
    if request.param == "process":
        return ProcessKeys()
    redis_url = request.getfixturevalue("redis_url")
    redis_client(redis_url).delete("faqbot:test:rate")
    return RedisKeys(redis_url)


def test_the_window_admits_the_limit_then_says_how_long_to_wait(keys):
    assert [keys.admit("faqbot:test:rate", 3, 60) for _ in range(3)] == [0, 0, 0]
    wait_s = keys.admit("faqbot:test:rate", 3, 60)
    assert 59 < wait_s <= 60
    assert keys.admit("faqbot:test:other", 3, 60) == 0  # another key, another count


def test_a_refused_event_is_not_counted_and_the_window_slides(keys):
    assert keys.admit("faqbot:test:rate", 1, 0.3) == 0
    assert keys.admit("faqbot:test:rate", 1, 0.3) > 0
    time.sleep(0.35)
    assert keys.admit("faqbot:test:rate", 1, 0.3) == 0
