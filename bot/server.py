"""How the bot listens: Socket Mode (an outgoing WebSocket, no public URL) when an app token is
set, else the HTTP Events API on /slack/events with /healthz beside it, served by waitress."""

from __future__ import annotations

import json
import logging

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.services import BotServices

log = logging.getLogger("faqbot.bot")
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def health(services: BotServices) -> tuple[bool, dict]:
    """Ready when the queue answers (the bot is useless without it)."""
    status = {"mode": "socket" if services.settings.slack_app_token else "http"}
    if services.settings.redis_url:
        from faqbot.shared_state import redis_client

        try:
            redis_client(services.settings.redis_url).ping()
            status["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means: not ready, with the reason
            status["redis"] = (
                f"down: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            )
            return False, status
    return True, status


def wsgi_app(app: App, services: BotServices):
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ, start_response):
        if environ.get("PATH_INFO") == HEALTH_PATH:
            ok, status = health(services)
            body = json.dumps({"ok": ok, **status}).encode()
            start_response("200 OK" if ok else "503 Service Unavailable",
                           [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])  # fmt: skip
            return [body]
        return slack(environ, start_response)

    return application


def http_server(app: App, services: BotServices, *, host: str | None = None,
                port: int | None = None):  # fmt: skip
    """A waitress server, not yet running: `.run()` serves, `.close()` stops."""
    from waitress import create_server

    settings = services.settings
    return create_server(
        wsgi_app(app, services),
        host=host or settings.slack_host,
        port=settings.slack_port if port is None else port,
        threads=settings.slack_http_threads,
        connection_limit=1000,
        channel_timeout=30,
        ident="faqbot",
    )


def serve(app: App, services: BotServices) -> None:
    settings = services.settings
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("connecting to Slack in Socket Mode")
        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
        return
    server = http_server(app, services)
    log.info("listening for Slack on http://%s:%s%s", settings.slack_host, server.effective_port,
             EVENTS_PATH)  # fmt: skip
    server.run()
