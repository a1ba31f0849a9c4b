"""What the HTTP endpoint refuses before it trusts a request: no signature or no fresh timestamp
(401, before any of the body is read) and a body over FAQBOT_SLACK_MAX_BODY_BYTES (413, whether
declared or streamed). An endless upload costs the limit, not the process, and the bot goes on
answering."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from faqbot.settings import Settings
from faqbot.shared_state import redis_client
from pipelines.bench.slack_requests import mention, signed_headers
from tests.bot.conftest import slack_settings, start_bot, stop_bot

MIB = 1024 * 1024
LIMIT = MIB  # the default FAQBOT_SLACK_MAX_BODY_BYTES
STREAMED = 64 * MIB  # generated as it is sent; nothing holds it whole
SOME_SIGNATURE = "v0=" + "0" * 64


class BodyMeter:
    """ASGI middleware that counts the body bytes the bot's app takes from the server: an upper
    bound on what a request can make the app hold."""

    def __init__(self, app):
        self.app, self.read = app, 0

    async def __call__(self, scope, receive, send):
        async def counted():
            message = await receive()
            self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


@pytest.fixture
def metered_bot(settings, standin, redis_url):
    redis_client(redis_url).flushdb()
    configured = Settings(
        _env_file=None,
        data_dir=settings.data_dir,
        redis_url=redis_url,
        **slack_settings(standin),
    )
    meters = []

    def metered(app):
        meters.append(BodyMeter(app))
        return meters[0]

    bot, server = start_bot(configured, standin, middleware=metered)
    yield bot, meters[0]
    stop_bot(bot, server)


def stamped(timestamp: int | str) -> dict[str, str]:
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": SOME_SIGNATURE}


def head_only(bot, headers: dict[str, str]) -> tuple[int, dict]:
    """Sends a POST's head and not one byte of its body, and reads the answer to the end (the
    bot closes the connection after a refusal). A bot that waits for the body times out."""
    host, port = bot.url.removeprefix("http://").split(":")
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"POST /slack/events HTTP/1.1\r\nHost: {host}\r\n{lines}\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, body = answer.split(b"\r\n\r\n", 1)
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_no_signature_or_no_fresh_timestamp_is_refused_before_the_body_is_read(metered_bot):
    bot, meter = metered_bot
    now = int(time.time())
    declared = {"Content-Type": "application/json", "Content-Length": str(50 * MIB)}
    unsigned = {
        "no signature": {"X-Slack-Request-Timestamp": str(now)},
        "no timestamp": {"X-Slack-Signature": SOME_SIGNATURE},
        "6 minutes old": stamped(now - 360),
        "6 minutes ahead": stamped(now + 360),
        "not a time": stamped("yesterday"),
    }
    for case, headers in unsigned.items():
        status, answer = head_only(bot, {**declared, **headers})
        assert status == 401, case
        assert "X-Slack-" in answer["error"], case
    assert meter.read == 0


def test_a_body_declared_over_the_limit_is_refused_with_413_unread(metered_bot):
    bot, meter = metered_bot
    headers = {**signed_headers(b""), "Content-Length": str(LIMIT + 1)}
    status, answer = head_only(bot, headers)
    assert status == 413
    assert answer["error"] == f"request body over {LIMIT} bytes (FAQBOT_SLACK_MAX_BODY_BYTES)"
    assert meter.read == 0


def test_an_endless_streamed_body_costs_the_limit_and_the_bot_keeps_answering(metered_bot):
    bot, meter = metered_bot
    sent = 0

    def endless():
        nonlocal sent
        block = b"x" * 65536
        while sent < STREAMED:
            sent += len(block)
            yield block

    # Chunked, no Content-Length: only counting tells how large it is. httpx reads the answer
    # when the bot hangs up on the upload.
    url, headers = f"{bot.url}/slack/events", signed_headers(b"")
    response = httpx.post(url, content=endless(), headers=headers, timeout=30)
    assert meter.read < 2 * LIMIT  # the limit, plus at most what the server read in one go
    assert sent < STREAMED  # the connection was cut, not drained to the end
    assert response.status_code == 413

    event = mention("How do I fix VPN error 809?", channel="C0HELP001")
    assert bot.event(event).status_code == 200
    assert [task["question"] for task in bot.queued()] == ["How do I fix VPN error 809?"]


def test_a_signed_request_just_under_the_limit_is_still_taken(metered_bot):
    from pipelines.bench.slack_requests import event_body

    bot, _ = metered_bot
    event = mention("Where is the PTO policy?", channel="C0HELP002")
    body = event_body(event)
    padded = body[:-1] + b', "padding": "' + b"p" * (LIMIT - len(body) - 20) + b'"}'
    assert LIMIT - 100 < len(padded) <= LIMIT
    assert bot.post(padded).status_code == 200
    bot.settle()
    assert [task["question"] for task in bot.queued()] == ["Where is the PTO policy?"]
