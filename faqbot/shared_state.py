"""State shared across processes: delivery counters, locks, reply lists (the Redis client), and
the small keys the bot and the workers agree on (dedupe marks, placeholder messages, threads the
bot answered). Without Redis everything runs in one process and a dict does the job."""

from __future__ import annotations

import threading
import time
import uuid
from functools import lru_cache
from typing import Protocol

import redis

from faqbot.settings import Settings


@lru_cache(maxsize=4)
def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30
    )


class SharedKeys(Protocol):
    def claim(self, key: str, value: str, ttl_s: float) -> bool:
        """Sets the key unless it exists; True if this caller set it (SET NX)."""

    def put(self, key: str, value: str, ttl_s: float) -> None: ...

    def get(self, key: str) -> str | None: ...

    def drop(self, key: str) -> None: ...

    def admit(self, key: str, limit: int, window_s: float) -> float:
        """Counts one event under `key` unless `limit` were counted in the last `window_s`
        (a sliding window). Returns 0 when counted, else the seconds until one would be."""


# A sorted set of event times per key, trimmed to the window, under Redis's own clock so
# every process on every host counts against the same window.
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""


class RedisKeys:
    def __init__(self, url: str):
        self.client = redis_client(url)
        self._admit = self.client.register_script(_ADMIT)

    def admit(self, key: str, limit: int, window_s: float) -> float:
        event = uuid.uuid4().hex  # unique even for two events in one microsecond
        return max(0.0, float(self._admit(keys=[key], args=[window_s, limit, event])))

    def claim(self, key: str, value: str, ttl_s: float) -> bool:
        return bool(self.client.set(key, value, nx=True, px=int(ttl_s * 1000)))

    def put(self, key: str, value: str, ttl_s: float) -> None:
        self.client.set(key, value, px=int(ttl_s * 1000))

    def get(self, key: str) -> str | None:
        value = self.client.get(key)
        return value.decode() if value is not None else None

    def drop(self, key: str) -> None:
        self.client.delete(key)


class ProcessKeys:
    """For the one-process mode (no Redis URL), where the bot and the tasks share a process."""

    SWEEP_AT = 10_000

    def __init__(self):
        self._values: dict[str, tuple[str, float]] = {}
        self._events: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, limit: int, window_s: float) -> float:
        with self._lock:
            now = time.monotonic()
            recent = [t for t in self._events.get(key, []) if t > now - window_s]
            if len(recent) >= limit:
                self._events[key] = recent
                return recent[0] + window_s - now
            self._events[key] = [*recent, now]
            return 0.0

    def claim(self, key: str, value: str, ttl_s: float) -> bool:
        with self._lock:
            self._forget_expired()
            if self._live(key) is not None:
                return False
            self._values[key] = (value, time.monotonic() + ttl_s)
            return True

    def put(self, key: str, value: str, ttl_s: float) -> None:
        with self._lock:
            self._forget_expired()
            self._values[key] = (value, time.monotonic() + ttl_s)

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def drop(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def _forget_expired(self) -> None:
        """Dedupe marks pile up in a bot that runs for weeks: clear expired ones now and then."""
        if len(self._values) < self.SWEEP_AT:
            return
        now = time.monotonic()
        self._values = {k: v for k, v in self._values.items() if v[1] > now}

    def _live(self, key: str) -> str | None:
        value, expires = self._values.get(key, (None, 0.0))
        if value is not None and time.monotonic() >= expires:
            del self._values[key]
            return None
        return value


_process_keys = ProcessKeys()


def shared_keys(settings: Settings) -> SharedKeys:
    return RedisKeys(settings.redis_url) if settings.redis_url else _process_keys
