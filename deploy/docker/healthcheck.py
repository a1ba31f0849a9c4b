#!/usr/bin/env python3
"""Health checks for faqbot's containers: Docker HEALTHCHECK, compose, Kubernetes exec probes.

    faqbot-healthcheck bot      HTTP mode: GET /healthz on FAQBOT_SLACK_PORT answers 200 (it
                                answers 503 while Redis is down). Socket Mode serves no HTTP:
                                the `faqbot bot` process runs and Redis answers.
    faqbot-healthcheck worker   the `faqbot worker` of this container answers a Celery ping,
                                addressed to its own node name (faqbot-<pid>@<hostname>, as
                                workers/app.py names it), so no other worker is asked.
    faqbot-healthcheck beat     the `faqbot beat` process runs and Redis answers.

Exit status 0 when healthy, 1 when not, with one line saying why. It reads the same settings
as the processes it checks (FAQBOT_* variables and .env).
"""

from __future__ import annotations

import argparse
import itertools
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path


def faqbot_processes(subcommand: str, proc: Path = Path("/proc")) -> list[int]:
    """Pids of `faqbot <subcommand>` processes (the script or `python -m faqbot`). Prefork
    children share their parent's command line; asking them too is harmless."""
    pids = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        args = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
        if any(
            (arg == "faqbot" or arg.endswith("/faqbot")) and nxt == subcommand
            for arg, nxt in itertools.pairwise(args)
        ):
            pids.append(int(entry.name))
    return sorted(pids)


def node_names(pids: list[int]) -> list[str]:
    host = socket.gethostname()  # what Celery's %h expands to
    return [f"faqbot-{pid}@{host}" for pid in pids]


def check_worker(timeout_s: float) -> str | None:
    pids = faqbot_processes("worker")
    if not pids:
        return "no `faqbot worker` process runs here"
    settings = _settings()
    if not settings.redis_url:
        return "FAQBOT_REDIS_URL is not set"
    from faqbot.queue import celery_app

    names = node_names(pids)
    try:
        replies = celery_app(settings).control.ping(destination=names, timeout=timeout_s, limit=1)
    except Exception as exc:  # noqa: BLE001 - any failure is unhealthy, with its reason
        return f"ping through Redis failed: {_first_line(exc)}"
    if not any(name in reply for reply in replies for name in names):
        return f"no answer to a ping within {timeout_s:g} s from {', '.join(names)}"
    return None


def check_beat(timeout_s: float) -> str | None:
    if not faqbot_processes("beat"):
        return "no `faqbot beat` process runs here"
    return _redis_down(_settings(), timeout_s)


def check_bot(timeout_s: float) -> str | None:
    settings = _settings()
    if settings.slack_app_token is not None:  # Socket Mode, as bot/app.py decides it
        if not faqbot_processes("bot"):
            return "no `faqbot bot` process runs here"
        return _redis_down(settings, timeout_s) if settings.redis_url else None
    url = f"http://127.0.0.1:{settings.slack_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            status = response.status
            body = response.read(500).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(500).decode(errors="replace")
    except OSError as exc:
        return f"{url}: {_first_line(exc)}"
    return None if status == 200 else f"{url} answered {status}: {body}"


def _redis_down(settings, timeout_s: float) -> str | None:
    if not settings.redis_url:
        return "FAQBOT_REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(
            settings.redis_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        ).ping()
    except Exception as exc:  # noqa: BLE001 - any failure is unhealthy, with its reason
        return f"Redis does not answer: {_first_line(exc)}"
    return None


def _settings():
    from faqbot.settings import load_settings

    return load_settings()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


CHECKS = {"bot": check_bot, "worker": check_worker, "beat": check_beat}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faqbot-healthcheck", description=__doc__.split("\n")[0])
    parser.add_argument("process", choices=sorted(CHECKS))
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait (default 5)")
    args = parser.parse_args(argv)
    try:
        problem = CHECKS[args.process](args.timeout)
    except Exception as exc:  # noqa: BLE001 - e.g. invalid settings: unhealthy, in one line
        problem = f"{type(exc).__name__}: {_first_line(exc)}"
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    print("healthy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
