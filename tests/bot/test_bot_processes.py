"""`faqbot bot` in HTTP mode as deployed: gunicorn answering Slack, an inbox process running the
events, and a parent that restarts the inbox process when it dies and stops everything on
SIGTERM."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from faqbot.keys import INBOX_ALIVE as ALIVE
from faqbot.shared_state import redis_client
from pipelines.bench.slack_ack import bot_process
from pipelines.bench.slack_requests import event_body, mention, new_ts, signed_headers
from pipelines.bench.slack_standin import SlackStandIn


def inbox_pids(redis) -> set[int]:
    """Consumers announce themselves as host:pid:id:thread; the pids are the inbox process."""
    names = [key.decode().removeprefix(ALIVE) for key in redis.scan_iter(match=ALIVE + "*")]
    return {int(name.split(":")[1]) for name in names}


def wait_for(check, timeout_s: float = 30):
    deadline = time.monotonic() + timeout_s
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return value


def ask(port: int, redis, text: str) -> None:
    body = event_body(mention(text, channel="C0PROCS01", ts=new_ts()))
    before = redis.llen("answers")
    response = httpx.post(
        f"http://127.0.0.1:{port}/slack/events",
        content=body,
        headers=signed_headers(body),
        timeout=10,
    )
    assert response.status_code == 200
    wait_for(lambda: redis.llen("answers") == before + 1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


@pytest.mark.slow
def test_a_killed_inbox_process_is_replaced_and_sigterm_stops_everything(tmp_path, redis_url):
    redis = redis_client(redis_url)
    redis.flushdb()
    with SlackStandIn() as slack, bot_process(tmp_path, redis_url, slack.api_url) as (port, bot):
        [first] = wait_for(lambda: inbox_pids(redis))
        ask(port, redis, "where is the VPN guide?")

        os.kill(first, signal.SIGKILL)
        wait_for(lambda: not alive(first))
        redis.delete(*redis.keys(ALIVE + "*"))  # the dead one's keys would linger for 30 s
        [second] = wait_for(lambda: inbox_pids(redis))
        assert second != first
        ask(port, redis, "and the Wi-Fi password?")

        bot.send_signal(signal.SIGTERM)
        assert bot.wait(30) == 0
        assert not alive(second)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    redis.flushdb()
