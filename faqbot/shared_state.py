"""State shared across processes: delivery counters, locks, reply lists (the Redis client), and
the small keys the bot and the workers agree on (dedupe marks, placeholder messages, threads the
bot answered). Without Redis everything runs in one process and a dict does the job."""

from __future__ import annotations

import threading
import time
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


class RedisKeys:
    def __init__(self, url: str):
        self.client = redis_client(url)

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
        self._lock = threading.Lock()

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
