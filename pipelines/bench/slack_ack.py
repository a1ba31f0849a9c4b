"""`faqbot bench slack-ack`: how fast the bot's HTTP endpoint answers Slack under load.

The real bot (`faqbot bot`: gunicorn, HTTP mode) and a Slack Web API stand-in run as their own
processes on loopback; this process sends N signed `app_mention` events over C keep-alive
connections at once and times each from the request written to the 200 read (Slack's limit is
3 s). A 200 means the event is in the Redis inbox; the figures also say how long each took to
become an answer task on the queue, and every one of the N must have (errors counts those that
did not, and non-200 replies).
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

from faqbot.contracts import ANSWERS_QUEUE
from pipelines.bench.queue_runs import BenchUnavailable, connect_and_flush
from pipelines.bench.slack_requests import SECRET, event_body, mention, new_ts, signed_headers
from pipelines.bench.slack_standin import TOKEN

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
# Rounds of full-concurrency load before the measured one: every bot process must have booted,
# served and loaded whatever it loads on first use (as under real traffic, not at a cold start).
WARM_UP_ROUNDS, WARM_UP_EVENTS = 3, 200
CONNECTIONS_SETTLE_S = 0.2
STANDIN_NICE = 15
# The flood comes from one test user: the per-user question limit would turn most of it away.
NO_USER_LIMIT = {"FAQBOT_QUESTIONS_PER_MINUTE": "0"}


def run_slack_ack_benchmark(
    *, requests: int = 1000, concurrency: int = 50, redis_url: str | None = None, progress=None
) -> dict:
    redis_url = redis_url or DEFAULT_REDIS_URL  # never the live queue
    client = connect_and_flush(redis_url)
    with (
        tempfile.TemporaryDirectory(prefix="faqbot-ack-") as tmp,
        _standin() as api_url,
        bot_process(Path(tmp), redis_url, api_url, NO_USER_LIMIT) as (port, _),
    ):
        for _ in range(WARM_UP_ROUNDS):
            asyncio.run(_load(port, _bodies(WARM_UP_EVENTS), concurrency))
        _wait_enqueued(client, WARM_UP_ROUNDS * WARM_UP_EVENTS, timeout_s=120)
        client.delete(ANSWERS_QUEUE)
        sent = _without_gc_pauses(
            lambda: asyncio.run(_load(port, _bodies(requests), concurrency, progress))
        )
        tasks = _wait_enqueued(client, requests, timeout_s=60 + requests / 20)
    client.flushdb()
    statuses = [status for _, _, status in sent.values()]
    seconds = max(at + took for at, took, _ in sent.values()) - min(
        at for at, _, _ in sent.values()
    )
    ms = np.array([latency for _, latency, _ in sent.values()]) * 1000
    to_queue = np.array([t["enqueued_at"] - sent[number(t)][0] for t in tasks if number(t) in sent])
    to_queue *= 1000
    errors = sum(status != 200 for status in statuses) + abs(requests - len(tasks))
    return {
        "requests": requests,
        "concurrency": concurrency,
        "errors": int(errors),
        "p50_ms": _pct(ms, 50),
        "p99_ms": _pct(ms, 99),
        "max_ms": round(float(ms.max()), 2),
        "requests_per_s": round(requests / seconds, 1),
        "enqueued": len(tasks),
        "enqueue_p50_ms": _pct(to_queue, 50),
        "enqueue_p99_ms": _pct(to_queue, 99),
    }


def _without_gc_pauses(load):
    """A collection in this process mid-run would be timed as the bot's latency."""
    gc.collect()
    gc.disable()
    try:
        return load()
    finally:
        gc.enable()


def _pct(values: np.ndarray, q: float) -> float:
    return round(float(np.percentile(values, q)), 2) if len(values) else 0.0


def _bodies(count: int) -> list[bytes]:
    """Distinct questions in distinct messages (the same ts twice would be deduped); each
    question carries its number, to time its way onto the queue."""
    return [
        event_body(
            mention(
                f"question {i}: how do I reset my password?", channel=f"C0BENCH{i % 7}", ts=new_ts()
            )
        )
        for i in range(count)
    ]


def number(task: dict) -> int:
    return int(task["question"].split(":", 1)[0].removeprefix("question "))


def _wait_enqueued(client, count: int, timeout_s: float) -> list[dict]:
    """The answer tasks on the queue once `count` are there (or the time is up)."""
    deadline = time.monotonic() + timeout_s
    while client.llen(ANSWERS_QUEUE) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    raw = client.lrange(ANSWERS_QUEUE, 0, -1)
    return [json.loads(base64.b64decode(json.loads(item)["body"]))[1]["payload"] for item in raw]


async def _load(port: int, bodies: list[bytes], concurrency: int, progress=None):
    """Body number -> (epoch seconds sent, seconds to the response, HTTP status). Requests are
    signed and the connections opened (and accepted) before the clock starts, so the load
    generator takes less of the CPU it measures."""
    pending = list(reversed([(n, _request(body)) for n, body in enumerate(bodies)]))
    sent: dict[int, tuple[float, float, int]] = {}
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(concurrency)]
    await asyncio.sleep(CONNECTIONS_SETTLE_S)

    async def send_all(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while pending:
                n, request = pending.pop()
                at, started = time.time(), time.perf_counter()
                writer.write(request)
                await writer.drain()
                status = await _read_response(reader)
                sent[n] = (at, time.perf_counter() - started, status)
                if progress:
                    progress("signed events", len(sent), len(bodies))
        finally:
            writer.close()

    await asyncio.gather(*(send_all(reader, writer) for reader, writer in connections))
    return sent


def _request(body: bytes) -> bytes:
    headers = signed_headers(body)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


@contextmanager
def _standin():
    """Slack's Web API runs on Slack's machines, not ours: its stand-in takes CPU here only
    when the bot's processes leave some."""
    command = [
        "nice",
        "-n",
        str(STANDIN_NICE),
        sys.executable,
        "-m",
        "pipelines.bench.slack_standin",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        yield process.stdout.readline().strip() + "/api/"
    finally:
        stop_process(process)


@contextmanager
def bot_process(data_dir: Path, redis_url: str, api_url: str, extra_env: dict | None = None):
    """`faqbot bot` in HTTP mode on a free port: yields (port, the process)."""
    port = _free_port()
    # The user's bot tuning applies; their queue, database and Slack credentials never do.
    tuning = ("FAQBOT_SLACK_HTTP_", "FAQBOT_SLACK_INBOX_")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_") or k.startswith(tuning)
    }
    env.update(
        FAQBOT_DATA_DIR=str(data_dir),
        FAQBOT_REDIS_URL=redis_url,
        FAQBOT_SLACK_BOT_TOKEN=TOKEN,
        FAQBOT_SLACK_SIGNING_SECRET=SECRET,
        FAQBOT_SLACK_API_URL=api_url,
        FAQBOT_SLACK_PORT=str(port),
        FAQBOT_SLACK_HOST="127.0.0.1",
        **(extra_env or {}),
    )
    log = (data_dir / "bot.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "faqbot", "bot", "--loglevel", "warning"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_healthy(process, port, data_dir / "bot.log")
        yield port, process
    finally:
        stop_process(process)
        log.close()


def _wait_healthy(process: subprocess.Popen, port: int, log: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchUnavailable(f"the bot exited: {log.read_text()[-1000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise BenchUnavailable(f"the bot did not answer /healthz in {timeout_s:.0f} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
