"""How the bot listens: Socket Mode (an outgoing WebSocket, no public URL) when an app token is
set, else the HTTP Events API on /slack/events with /healthz beside it. HTTP runs under
gunicorn with several processes; each verifies Slack's signature itself, puts events in the
Redis inbox and answers 200 at once, and hands commands and clicks to Bolt."""

from __future__ import annotations

import json
import logging
import sys

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.inbox import Inbox, InboxConsumer, is_event
from bot.services import BotServices
from faqbot.errors import first_line

log = logging.getLogger("faqbot.bot")
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
ACK_SWITCH_INTERVAL_S = 0.0005
SLACK_HEADERS = ("X-Slack-Request-Timestamp", "X-Slack-Signature", "X-Slack-Retry-Num",
                 "X-Slack-Retry-Reason", "Content-Type")  # fmt: skip


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
    """The WSGI application: verification, the inbox for events, Bolt for the rest."""

    def __init__(self, app: App, services: BotServices, inbox: Inbox | None,
                 consumer: InboxConsumer | None = None):  # fmt: skip
        self.app, self.services, self.inbox, self.consumer = app, services, inbox, consumer
        secret = services.settings.slack_signing_secret.get_secret_value()
        self.verifier = SignatureVerifier(secret)  # also refuses timestamps over 5 minutes old

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH:
            ok, status = health(self.services)
            return _reply(start_response, 200 if ok else 503, json.dumps({"ok": ok, **status}))
        if path != EVENTS_PATH or method != "POST":
            return _reply(start_response, 404, "not found", "text/plain")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {name: environ.get("HTTP_" + name.upper().replace("-", "_"))
                   for name in SLACK_HEADERS}  # fmt: skip
        headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
        signature = headers["X-Slack-Signature"]
        if not self.verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], signature):
            return _reply(start_response, 401, json.dumps({"error": "invalid request"}))
        headers = {name: value for name, value in headers.items() if value}
        if self.inbox is not None and is_event(body):
            self.inbox.accept(body, headers)
            return _reply(start_response, 200, "", "text/plain")
        query = environ.get("QUERY_STRING", "")
        response = self.app.dispatch(BoltRequest(body=body.decode(), query=query,
                                                 headers={k: [v] for k, v in headers.items()}))  # fmt: skip
        kind = response.headers.get("content-type", ["text/plain"])[0]
        return _reply(start_response, response.status, response.body, kind)


def _reply(start_response, status: int, body: str, kind: str = "application/json"):
    data = body.encode()
    reason = {200: "OK", 401: "Unauthorized", 404: "Not Found", 503: "Service Unavailable"}
    start_response(f"{status} {reason.get(status, 'Error')}",
                   [("Content-Type", kind), ("Content-Length", str(len(data)))])  # fmt: skip
    return [data]


def http_application(services: BotServices) -> SlackHttpApp:
    """One process's WSGI app, with its inbox consumers started (none without Redis: then
    events go through Bolt directly, in this process)."""
    from bot.app import build_app

    app = build_app(services)
    if not services.settings.redis_url:
        return SlackHttpApp(app, services, None)
    inbox = Inbox(services.settings.redis_url)
    consumer = InboxConsumer(inbox, app, services.settings.slack_inbox_threads)
    consumer.start()
    return SlackHttpApp(app, services, inbox, consumer)


def serve(settings) -> None:
    if settings.slack_app_token:
        _serve_socket_mode(settings)
    else:
        _serve_http(settings)


def _serve_socket_mode(settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app
    from bot.services import bot_services

    app = build_app(bot_services(settings))
    log.info("connecting to Slack in Socket Mode")
    SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()


def _serve_http(settings) -> None:
    from gunicorn.app.base import BaseApplication

    from bot.services import bot_services

    # Without Redis the tasks run inside the bot: one process, or each would load a model.
    processes = settings.slack_http_processes if settings.redis_url else 1

    class Gunicorn(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": f"{settings.slack_host}:{settings.slack_port}", "workers": processes,
                "worker_class": "gthread", "threads": settings.slack_http_threads,
                "keepalive": 75, "timeout": 30, "graceful_timeout": 10,
                "proc_name": "faqbot-bot",
            }.items():  # fmt: skip
                self.cfg.set(key, value)

        def load(self):  # in each process, after the fork: no connection shared with the master
            from faqbot.db.engine import engine_for

            engine_for.cache_clear()
            # Inbox consumers are CPU-bound for a moment per event; a short GIL switch
            # interval lets a waiting request thread answer Slack without queueing behind them.
            sys.setswitchinterval(ACK_SWITCH_INTERVAL_S)
            return http_application(bot_services(settings))

    log.info("listening for Slack on http://%s:%s%s (%d processes)", settings.slack_host,
             settings.slack_port, EVENTS_PATH, processes)  # fmt: skip
    Gunicorn().run()
