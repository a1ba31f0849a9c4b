"""In HTTP mode with Redis, `faqbot bot` is a small parent over two kinds of process: gunicorn,
whose workers only verify Slack's requests, push events to the inbox and answer 200, and one
inbox process, niced, that runs the events (dedupe, enqueue, placeholder). Kept apart, an ack
never waits behind event work for the GIL or a core. The parent restarts an inbox process that
dies (its unfinished events are recovered from Redis) and stops everything on SIGTERM/SIGINT
or when gunicorn exits."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.connection import wait

from faqbot.settings import Settings

log = logging.getLogger("faqbot.bot")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
INBOX_NICE = 10
RESTART_DELAY_S = 1.0
STOP_TIMEOUT_S = 15


def run_inbox_process(settings: Settings, loglevel: int) -> None:
    """The inbox consumers, until SIGTERM or SIGINT; each finishes the event it holds."""
    from bot.app import build_app
    from bot.inbox import Inbox, InboxConsumer
    from bot.services import bot_services

    logging.basicConfig(level=loglevel, format=LOG_FORMAT)
    _lower_process_priority()
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    services = bot_services(settings)
    consumer = InboxConsumer(
        Inbox(settings.redis_url), build_app(services), settings.slack_inbox_threads
    )
    consumer.start()
    log.info("inbox process %d: %d consumers", os.getpid(), settings.slack_inbox_threads)
    stopped.wait()
    consumer.stop()


def _lower_process_priority() -> None:
    try:
        os.nice(INBOX_NICE)
    except OSError:  # not allowed: same priority, still works
        pass


def supervise(settings: Settings, serve_http) -> int:
    """Runs `serve_http(settings, loglevel)` and the inbox process side by side; returns
    gunicorn's exit status."""
    spawn = multiprocessing.get_context("spawn")  # a clean interpreter, no inherited locks
    loglevel = logging.getLogger().getEffectiveLevel()
    http = spawn.Process(target=serve_http, args=(settings, loglevel), name="faqbot-bot-http")
    http.start()
    inbox, stopping = _start_inbox(spawn, settings, loglevel), threading.Event()

    def stop(*_):
        stopping.set()
        for process in (http, inbox):
            if process.is_alive():
                process.terminate()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    while True:
        wait([http.sentinel] if stopping.is_set() else [http.sentinel, inbox.sentinel])
        if not http.is_alive():
            stop()
            inbox.join(STOP_TIMEOUT_S)
            return http.exitcode or 0
        if not stopping.is_set():
            log.error("inbox process exited with status %s; restarting it", inbox.exitcode)
            time.sleep(RESTART_DELAY_S)
            inbox = _start_inbox(spawn, settings, loglevel)


def _start_inbox(spawn, settings: Settings, loglevel: int):
    process = spawn.Process(
        target=run_inbox_process, args=(settings, loglevel), name="faqbot-bot-inbox"
    )
    process.start()
    return process
