"""The real Bolt app over HTTP (uvicorn on a free port, as in production), with a local stand-in for the Slack
Web API, and helpers that send correctly signed Slack requests to it."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from bot.server import SlackHttpApp, http_application, uvicorn_config
from bot.services import BotServices, bot_services
from faqbot.settings import Settings
from faqbot.shared_state import redis_client
from pipelines.bench.slack_requests import (
    FORM,
    SECRET,
    command_body,
    event_body,
    interaction_body,
    signed_headers,
)
from pipelines.bench.slack_standin import TOKEN, SlackStandIn


@pytest.fixture
def standin():
    with SlackStandIn() as slack:
        yield slack


def slack_settings(standin: SlackStandIn, **fields) -> dict:
    return {
        "slack_bot_token": TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": standin.api_url,
        **fields,
    }


@dataclass
class RunningBot:
    url: str
    services: BotServices
    standin: SlackStandIn
    http: SlackHttpApp

    def settle(self, timeout_s: float = 10) -> None:
        """Waits until the inbox consumers have run every event sent so far."""
        deadline = time.monotonic() + timeout_s
        while self.http.consumer and not self.http.consumer.idle():
            if time.monotonic() > deadline:
                raise AssertionError("Slack events still waiting in the inbox")
            time.sleep(0.02)

    def drain(self) -> None:
        """Waits until every event sent so far has run and every Slack call it left for
        later (placeholders, hints, notices) is made; nothing is left for later after it."""
        self.settle()
        self.services.background.shutdown(wait=True)

    def post(self, body: bytes, content_type: str = "application/json", **header_overrides):
        headers = {**signed_headers(body, content_type=content_type), **header_overrides}
        return httpx.post(f"{self.url}/slack/events", content=body, headers=headers, timeout=10)

    def event(self, event: dict, event_id: str | None = None, **headers):
        response = self.post(event_body(event, event_id), **headers)
        self.settle()
        return response

    def command(self, command: str, text: str, **fields):
        return self.post(command_body(command, text, **fields), FORM)

    def interaction(self, payload: dict):
        return self.post(interaction_body(payload), FORM)

    def queued(self, queue: str = "answers") -> list[dict]:
        """The payloads of the tasks waiting in a queue, oldest first."""
        raw = redis_client(self.services.settings.redis_url).lrange(queue, 0, -1)
        messages = [json.loads(item) for item in reversed(raw)]  # LPUSHed: newest first
        return [json.loads(base64.b64decode(m["body"]))[1]["payload"] for m in messages]


def start_bot(settings: Settings, standin: SlackStandIn, *, consume: bool = True, middleware=None):
    """The bot's ASGI app (gunicorn's uvicorn workers run the same one in production) in a
    server thread, with its inbox consumers unless `consume` is off (as in gunicorn's).
    `middleware`, if given, wraps the app (a test's probe on what reaches it)."""
    services = bot_services(settings)
    http = http_application(services, consume=consume)
    served = middleware(http) if middleware else http
    config = uvicorn_config(host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(uvicorn.Config(served, **config))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the bot's HTTP server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return RunningBot(f"http://127.0.0.1:{port}", services, standin, http), server


def stop_bot(bot: RunningBot, server: uvicorn.Server) -> None:
    server.should_exit = True
    if bot.http.consumer:
        bot.http.consumer.stop()


@pytest.fixture
def running_bot(settings, standin, redis_url):
    """A bot whose tasks queue up in the module's Redis database (emptied first) with no
    worker behind it."""
    redis_client(redis_url).flushdb()
    configured = Settings(
        _env_file=None,
        data_dir=settings.data_dir,
        redis_url=redis_url,
        admin_user_ids=["U0ADMIN01"],
        admin_usergroup="S0ADMINS",
        **slack_settings(standin),
    )
    bot, server = start_bot(configured, standin)
    yield bot
    stop_bot(bot, server)
