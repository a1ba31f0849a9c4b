"""Slack events take a detour through Redis so the 200 never waits for our work: the HTTP
handler verifies the signature and pushes the raw event onto an inbox list (one round trip),
and consumer threads in every bot process run it through the Bolt listeners (dedupe, enqueue
the answer task, post the placeholder). A bot that dies mid-event loses nothing: each consumer
works from its own processing list, and a live consumer hands a dead one's list back to the
inbox (the standard Redis reliable-queue pattern), at start and every ALIVE_TTL_S after. Commands and button clicks still go straight
through Bolt: their responses carry content."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid

from redis.asyncio import Redis as AsyncRedis
from slack_bolt import App
from slack_bolt.request import BoltRequest

from faqbot import keys
from faqbot.shared_state import redis_client

log = logging.getLogger("faqbot.bot")
ALIVE_TTL_S = 30
POLL_S = 0.5
MAX_ATTEMPTS = 5
BACKGROUND_NICE = 10


def lower_priority() -> None:
    """Runs this thread below the threads that answer Slack (Linux schedules threads one by
    one), so under a burst the 200s go out first and the events are worked off after."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
    except (AttributeError, OSError):  # not Linux, or not allowed: same priority, still works
        pass


def is_event(body: bytes) -> bool:
    """An Events API callback (not the url_verification handshake, which needs its reply)."""
    return b'"event_callback"' in body and json.loads(body).get("type") == "event_callback"


class Inbox:
    """Written from the HTTP front's event loop (async), read by consumer threads (sync)."""

    def __init__(self, redis_url: str):
        self.redis = redis_client(redis_url)
        # Made now, not on the first event: its first use would stall that worker's loop.
        self._async_redis = AsyncRedis.from_url(
            redis_url, socket_connect_timeout=5, socket_timeout=5
        )

    async def accept(self, body: bytes, headers: dict[str, str]) -> None:
        await self._async_redis.lpush(
            keys.INBOX,
            json.dumps({"body": body.decode(), "headers": headers, "received_at": time.time()}),
        )


class InboxConsumer:
    """`threads` consumers in this process, each taking one event at a time."""

    def __init__(self, inbox: Inbox, app: App, threads: int):
        self.inbox, self.app, self.threads = inbox, app, threads
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.recover_orphans()
        for n in range(self.threads):
            thread = threading.Thread(
                target=self._run, args=(f"{self.name}:{n}",), daemon=True, name=f"faqbot-inbox-{n}"
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Lets each consumer finish its event; returns when they have."""
        self._stop.set()
        for thread in self._threads:
            thread.join(POLL_S + 10)

    def idle(self) -> bool:
        """Nothing waiting and nothing being worked on, by any bot process."""
        redis = self.inbox.redis
        return not redis.llen(keys.INBOX) and not any(
            redis.llen(key) for key in redis.scan_iter(match=keys.INBOX_PROCESSING + "*", count=100)
        )

    def recover_orphans(self) -> int:
        """Events a dead consumer had taken go back to the inbox."""
        redis, moved = self.inbox.redis, 0
        for key in redis.scan_iter(match=keys.INBOX_PROCESSING + "*", count=100):
            owner = key.decode().removeprefix(keys.INBOX_PROCESSING)
            if redis.exists(keys.INBOX_ALIVE + owner):
                continue
            while redis.lmove(key, keys.INBOX, "RIGHT", "LEFT") is not None:
                moved += 1
        if moved:
            log.warning("recovered %d Slack events from stopped bot processes", moved)
        return moved

    def _run(self, consumer: str) -> None:
        lower_priority()
        redis, processing = self.inbox.redis, keys.INBOX_PROCESSING + consumer
        recovered_at = time.monotonic()
        while not self._stop.is_set():
            try:
                redis.set(keys.INBOX_ALIVE + consumer, "1", ex=ALIVE_TTL_S)
                if consumer.endswith(":0") and time.monotonic() - recovered_at > ALIVE_TTL_S:
                    recovered_at = time.monotonic()
                    self.recover_orphans()
                item = redis.blmove(keys.INBOX, processing, POLL_S, "RIGHT", "LEFT")
                if item is None:
                    continue
                self._dispatch(item)
                redis.lrem(processing, 1, item)
            except Exception:  # Redis away: keep trying; the event stays in a list
                log.exception("inbox consumer %s: retrying in a second", consumer)
                time.sleep(POLL_S)

    def _dispatch(self, item: bytes) -> None:
        """A listener that failed (Redis or the database away) gets the event again later."""
        stored = json.loads(item)
        headers = {name: [value] for name, value in stored["headers"].items()}
        response = self.app.dispatch(BoltRequest(body=stored["body"], headers=headers))
        if response.status < 500:
            return
        attempts = stored.get("attempts", 0) + 1
        if attempts >= MAX_ATTEMPTS:
            log.error("gave up on a Slack event after %d attempts", attempts)
            return
        time.sleep(min(2**attempts, 30))
        self.inbox.redis.lpush(keys.INBOX, json.dumps({**stored, "attempts": attempts}))
