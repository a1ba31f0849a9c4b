"""How the bot listens: Socket Mode (an outgoing WebSocket, no public URL) when an app token is
set, else the HTTP Events API on /slack/events with /healthz beside it. HTTP runs under
gunicorn with several processes; each verifies Slack's signature itself, puts events in the
Redis inbox and answers 200 at once, and hands commands and clicks to Bolt. The inbox process
beside them (bot/processes.py) runs the events."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from redis.exceptions import RedisError
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier
from uvicorn_worker import UvicornWorker

from bot.inbox import Inbox, InboxConsumer, is_event
from bot.questions import unqueued_event
from bot.services import BotServices
from faqbot.errors import first_line

log = logging.getLogger("faqbot.bot")
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
SLACK_MAX_AGE_S = 5 * 60  # Slack: refuse a timestamp more than five minutes from now
SLACK_LAST_RETRY = "3"  # Slack retries an event 3 times (at once, after 1 and 5 minutes)
SLACK_HEADERS = (
    "X-Slack-Request-Timestamp",
    "X-Slack-Signature",
    "X-Slack-Retry-Num",
    "X-Slack-Retry-Reason",
    "Content-Type",
)


def health(services: BotServices) -> tuple[bool, dict]:
    """Ready when the queue answers (the bot is useless without it)."""
    status = {"mode": "socket" if services.settings.slack_app_token else "http"}
    if services.settings.redis_url:
        from faqbot.shared_state import redis_client

        try:
            redis_client(services.settings.redis_url).ping()
            status["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means: not ready, with the reason
            status["redis"] = f"down: {first_line(exc)}"
            return False, status
    return True, status


class SlackHttpApp:
    """The ASGI application: verification, the inbox for events, Bolt for the rest. Bolt is
    synchronous and may call Slack, so it runs in a thread pool; an event's path never leaves
    the event loop (signature, one async LPUSH, 200)."""

    def __init__(
        self,
        app: App,
        services: BotServices,
        inbox: Inbox | None,
        consumer: InboxConsumer | None = None,
    ):
        self.app, self.services, self.inbox, self.consumer = app, services, inbox, consumer
        secret = services.settings.slack_signing_secret.get_secret_value()
        self.verifier = SignatureVerifier(secret)  # also refuses timestamps over 5 minutes old
        self.max_body_bytes = services.settings.slack_max_body_bytes
        self.bolt_threads = ThreadPoolExecutor(
            services.settings.slack_http_threads, thread_name_prefix="faqbot-bolt"
        )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":  # lifespan is switched off; nothing else is expected
            return
        path, method = scope["path"], scope["method"]
        if path == HEALTH_PATH:
            ok, status = await self._in_thread(health, self.services)
            return await _reply(send, 200 if ok else 503, json.dumps({"ok": ok, **status}))
        if path != EVENTS_PATH or method != "POST":
            return await _reply(send, 404, "not found", "text/plain", close=True)
        headers = _slack_headers(scope)
        refusal = unsigned(headers, time.time()) or self._too_large(_declared_length(scope))
        if refusal:  # answered before a byte of the body is read; the connection is dropped
            return await _refuse(send, *refusal)
        body = await _read_body(receive, self.max_body_bytes)
        if body is None:
            return await _refuse(send, *self._body_refusal())
        if not self._signed(body, headers):
            return await _reply(send, 401, json.dumps({"error": "invalid request"}))
        if self.inbox is not None and is_event(body):
            try:
                await self.inbox.accept(body, headers)
            except RedisError as exc:  # Slack retries what we do not acknowledge
                log.error("Slack event refused, the inbox is unavailable: %s", first_line(exc))
                if headers.get("X-Slack-Retry-Num") == SLACK_LAST_RETRY:
                    await self._in_thread(unqueued_event, self.services, body, exc)
                    return await _reply(send, 200, "", "text/plain")
                return await _reply(send, 503, json.dumps({"error": "inbox unavailable"}))
            return await _reply(send, 200, "", "text/plain")
        query = scope.get("query_string", b"").decode()
        request = BoltRequest(
            body=body.decode(), query=query, headers={k: [v] for k, v in headers.items()}
        )
        response = await self._in_thread(self.app.dispatch, request)
        kind = response.headers.get("content-type", ["text/plain"])[0]
        await _reply(send, response.status, response.body, kind)

    async def _in_thread(self, work, *args):
        return await asyncio.get_running_loop().run_in_executor(self.bolt_threads, work, *args)

    def _too_large(self, length: int | None) -> tuple[int, str] | None:
        if length is None or length <= self.max_body_bytes:
            return None
        return self._body_refusal()

    def _body_refusal(self) -> tuple[int, str]:
        log.warning("Slack request refused: body over %d bytes", self.max_body_bytes)
        return 413, f"request body over {self.max_body_bytes} bytes (FAQBOT_SLACK_MAX_BODY_BYTES)"

    def _signed(self, body: bytes, headers: dict[str, str]) -> bool:
        timestamp = headers["X-Slack-Request-Timestamp"]
        try:
            return self.verifier.is_valid(body, timestamp, headers["X-Slack-Signature"])
        except UnicodeDecodeError:  # Slack sends UTF-8; anything else is not from Slack
            return False


def unsigned(headers: dict[str, str], now: float) -> tuple[int, str] | None:
    """Why a request cannot be from Slack, judged by its headers alone: every Slack request
    carries a signature and a timestamp within five minutes of now. Checked before the body
    is read, so nobody without the signing secret's help makes the bot read anything."""
    if "X-Slack-Signature" not in headers:
        return 401, "no X-Slack-Signature header"
    try:
        age_s = abs(now - int(headers.get("X-Slack-Request-Timestamp", "")))
    except ValueError:
        return 401, "no X-Slack-Request-Timestamp header (Unix seconds)"
    if age_s > SLACK_MAX_AGE_S:
        return 401, "X-Slack-Request-Timestamp is more than 5 minutes from now"
    return None


def _declared_length(scope) -> int | None:
    for key, value in scope["headers"]:
        if key.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_body(receive, limit: int) -> bytes | None:
    """The body, or None as soon as it passes `limit` bytes: what has not arrived is never
    read, so an endless chunked body costs `limit` bytes, not the process."""
    body, more = bytearray(), True
    while more:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        more = message.get("more_body", False)
    return bytes(body)


def _slack_headers(scope) -> dict[str, str]:
    wanted = {name.lower(): name for name in SLACK_HEADERS}
    return {
        wanted[key.decode().lower()]: value.decode()
        for key, value in scope["headers"]
        if key.decode().lower() in wanted and value
    }


async def _reply(
    send, status: int, body: str, kind: str = "application/json", close: bool = False
) -> None:
    data = body.encode()
    headers = [(b"content-type", kind.encode()), (b"content-length", str(len(data)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def _refuse(send, status: int, reason: str) -> None:
    """A refusal sent while the body is still unread: the connection is closed after it, or
    the server would go on reading (and discarding) whatever the client keeps sending."""
    await _reply(send, status, json.dumps({"error": reason}), close=True)


def http_application(services: BotServices, *, consume: bool = True) -> SlackHttpApp:
    """One process's WSGI app; with `consume`, inbox consumers run in it too (one process
    doing everything, as in tests). Without Redis events go through Bolt directly."""
    from bot.app import build_app

    app = build_app(services)
    if not services.settings.redis_url:
        return SlackHttpApp(app, services, None)
    inbox, consumer = Inbox(services.settings.redis_url), None
    if consume:
        consumer = InboxConsumer(inbox, app, services.settings.slack_inbox_threads)
        consumer.start()
    return SlackHttpApp(app, services, inbox, consumer)


def serve(settings) -> int:
    """Runs until stopped; returns the exit status."""
    if settings.slack_app_token:
        _serve_socket_mode(settings)
        return 0
    if not settings.redis_url:  # tasks run inside the bot: one process, or each loads a model
        return _serve_http(settings, consume=True)
    from bot.processes import supervise

    return supervise(settings, serve_http_only)


def serve_http_only(settings, loglevel: int) -> None:
    """gunicorn without inbox consumers (the inbox process runs them), in its own process."""
    from bot.processes import LOG_FORMAT

    logging.basicConfig(level=loglevel, format=LOG_FORMAT)
    raise SystemExit(_serve_http(settings, consume=False))


def _serve_socket_mode(settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app
    from bot.services import bot_services

    app = build_app(bot_services(settings))
    log.info("connecting to Slack in Socket Mode")
    SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()


def uvicorn_config(**fields) -> dict:
    """uvicorn as the bot runs it: the C HTTP parser and uvloop, no lifespan protocol."""
    return {"http": "httptools", "loop": "uvloop", "lifespan": "off", **fields}


class SlackWorker(UvicornWorker):
    CONFIG_KWARGS = uvicorn_config()


def _serve_http(settings, *, consume: bool) -> int:
    from gunicorn.app.base import BaseApplication

    from bot.services import bot_services

    processes = settings.slack_http_processes if settings.redis_url else 1

    class Gunicorn(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": f"{settings.slack_host}:{settings.slack_port}",
                "workers": processes,
                "worker_class": "bot.server.SlackWorker",
                "keepalive": 75,
                "timeout": 30,
                "graceful_timeout": 10,
                "proc_name": "faqbot-bot",
            }.items():
                self.cfg.set(key, value)

        def load(self):  # in each process, after the fork: no connection shared with the master
            from faqbot.db.engine import engine_for

            engine_for.cache_clear()
            application = http_application(bot_services(settings), consume=consume)
            # What is loaded now lives as long as the process: out of the collector's sight,
            # a full collection no longer walks it while acks wait.
            gc.collect()
            gc.freeze()
            return application

    log.info(
        "listening for Slack on http://%s:%s%s (%d processes)",
        settings.slack_host,
        settings.slack_port,
        EVENTS_PATH,
        processes,
    )
    try:
        Gunicorn().run()
    except SystemExit as exc:  # gunicorn's way of saying it has stopped
        return exc.code if isinstance(exc.code, int) else 1
    return 0
