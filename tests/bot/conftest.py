"""The real Bolt app over HTTP (waitress on a free port), with a local stand-in for the Slack
Web API, and helpers that send correctly signed Slack requests to it."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass

import httpx
import pytest

from bot.app import build_app
from bot.server import http_server
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

QUEUE_REDIS_URL = "redis://127.0.0.1:6379/5"  # tasks land here; no worker takes them


@pytest.fixture
def standin():
    with SlackStandIn() as slack:
        yield slack


def slack_settings(standin: SlackStandIn, **fields) -> dict:
    return {"slack_bot_token": TOKEN, "slack_signing_secret": SECRET,
            "slack_api_url": standin.api_url, **fields}  # fmt: skip


@dataclass
class RunningBot:
    url: str
    services: BotServices
    standin: SlackStandIn

    def post(self, body: bytes, content_type: str = "application/json", **header_overrides):
        headers = {**signed_headers(body, content_type=content_type), **header_overrides}
        return httpx.post(f"{self.url}/slack/events", content=body, headers=headers, timeout=10)

    def event(self, event: dict, event_id: str | None = None, **headers):
        return self.post(event_body(event, event_id), **headers)

    def command(self, command: str, text: str, **fields):
        return self.post(command_body(command, text, **fields), FORM)

    def interaction(self, payload: dict):
        return self.post(interaction_body(payload), FORM)

    def queued(self, queue: str = "answers") -> list[dict]:
        """The payloads of the tasks waiting in a queue, oldest first."""
        raw = redis_client(self.services.settings.redis_url).lrange(queue, 0, -1)
        messages = [json.loads(item) for item in reversed(raw)]  # LPUSHed: newest first
        return [json.loads(base64.b64decode(m["body"]))[1]["payload"] for m in messages]


def start_bot(settings: Settings, standin: SlackStandIn):
    services = bot_services(settings)
    server = http_server(build_app(services), services, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return RunningBot(f"http://127.0.0.1:{server.effective_port}", services, standin), server


@pytest.fixture
def running_bot(settings, standin):
    """A bot whose tasks queue up in Redis DB 5 (emptied first) with no worker behind it."""
    redis_client(QUEUE_REDIS_URL).flushdb()
    configured = Settings(_env_file=None, data_dir=settings.data_dir, redis_url=QUEUE_REDIS_URL,
                          admin_user_ids=["U0ADMIN01"], admin_usergroup="S0ADMINS",
                          **slack_settings(standin))  # fmt: skip
    bot, server = start_bot(configured, standin)
    yield bot
    server.close()
