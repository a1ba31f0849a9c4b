"""`faqbot bench slack-ack` runs the real bot under gunicorn and reports its figures as JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_slack_ack_bench_reports_latency_and_every_event_enqueued(redis_url):
    command = [
        sys.executable,
        "-m",
        "faqbot",
        "bench",
        "slack-ack",
        "--requests",
        "60",
        "--concurrency",
        "10",
        "--redis-url",
        redis_url,
        "--json",
    ]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert {k: result[k] for k in ("requests", "concurrency", "errors", "enqueued")} == {
        "requests": 60,
        "concurrency": 10,
        "errors": 0,
        "enqueued": 60,
    }
    assert 0 < result["p50_ms"] <= result["p99_ms"] < 3000  # Slack's limit
