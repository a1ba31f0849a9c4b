"""The bot, a worker and beat started together on a fresh SQLite data dir take turns on the
schema: none of them fails on a table another one has just created."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cli import app
from faqbot.db.migrate import current_revision, head_revision, upgrade
from pipelines.bench.slack_ack import stop_process
from pipelines.bench.slack_requests import SECRET
from pipelines.bench.slack_standin import TOKEN, SlackStandIn

REPO = Path(__file__).resolve().parents[3]
ROUNDS = 10

# Imports everything first, then waits for the start file, so the three processes run the
# schema step at the same moment: `_check_services`, which `faqbot bot`, `faqbot worker` and
# `faqbot beat` all run before anything else when FAQBOT_REDIS_URL is set.
SCHEMA_STEP = """
import sys, time
from pathlib import Path

import typer

import faqbot.db.migrate  # noqa: F401 - loaded before the start, like the commands do
from cli.servers import _check_services
from faqbot.settings import load_settings

settings = load_settings()
Path(sys.argv[1]).touch()
deadline = time.monotonic() + 60
while not Path(sys.argv[2]).exists() and time.monotonic() < deadline:
    time.sleep(0.001)
try:
    _check_services(settings)
except typer.Exit as exc:
    sys.exit(exc.exit_code)
"""


def fresh_env(data_dir: Path, redis_url: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    env.update(
        FAQBOT_DATA_DIR=str(data_dir), FAQBOT_REDIS_URL=redis_url, HF_HUB_OFFLINE="1", **extra
    )
    return env


def run_schema_steps_together(round_dir: Path, redis_url: str, processes: int = 3) -> list[str]:
    """Starts `processes` fresh interpreters at once; returns the output of those that failed."""
    round_dir.mkdir(parents=True)
    env, start = fresh_env(round_dir / "data", redis_url), round_dir / "start"
    ready = [round_dir / f"ready-{i}" for i in range(processes)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", SCHEMA_STEP, str(mark), str(start)],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for mark in ready
    ]
    deadline = time.monotonic() + 120
    while not all(mark.exists() for mark in ready) and time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            break  # one could not even start: its output says why
        time.sleep(0.01)
    start.touch()
    outputs = [child.communicate(timeout=120)[0] for child in children]
    return [out for child, out in zip(children, outputs, strict=True) if child.returncode]


@pytest.mark.slow
def test_three_processes_migrating_a_fresh_sqlite_database_at_once_all_succeed(
    settings, tmp_path, redis_url
):
    failures = {}
    for n in range(ROUNDS):
        failed = run_schema_steps_together(tmp_path / f"round-{n}", redis_url)
        if failed:
            failures[n] = [out.strip().splitlines()[-1] for out in failed]
    assert failures == {}, f"schema step failed in {len(failures)} of {ROUNDS} rounds"
    for n in range(ROUNDS):
        migrated = settings.model_copy(update={"data_dir": tmp_path / f"round-{n}" / "data"})
        assert current_revision(migrated) == head_revision()


STARTED = {"worker": "[queues]", "beat": "beat: Starting"}  # what each prints once it is past it


@pytest.mark.slow
def test_the_bot_a_worker_and_beat_started_at_once_on_a_fresh_data_dir_all_start(
    tmp_path, redis_url
):
    port = _free_port()
    with SlackStandIn() as slack:
        env = fresh_env(
            tmp_path / "data",
            redis_url,
            FAQBOT_SLACK_BOT_TOKEN=TOKEN,
            FAQBOT_SLACK_SIGNING_SECRET=SECRET,
            FAQBOT_SLACK_API_URL=slack.api_url,
            FAQBOT_SLACK_PORT=str(port),
            FAQBOT_SLACK_HOST="127.0.0.1",
        )
        commands = {"bot": ["bot"], "worker": ["worker", "--queues=ingest"], "beat": ["beat"]}
        logs = {name: tmp_path / f"{name}.log" for name in commands}
        processes = {
            name: subprocess.Popen(
                [sys.executable, "-m", "faqbot", *argv],
                env=env,
                cwd=REPO,
                stdout=logs[name].open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for name, argv in commands.items()
        }
        try:
            started = _wait_until_started(processes, logs, port)
        finally:
            for process in processes.values():
                stop_process(process)
    output = {name: log.read_text() for name, log in logs.items()}
    assert started == set(commands), {n: output[n][-500:] for n in set(commands) - started}
    assert not [name for name, text in output.items() if "already exists" in text]


def _wait_until_started(processes: dict, logs: dict, port: int, timeout_s: float = 120) -> set:
    """The names of the processes that got past the schema step; stops waiting when each has
    either started or exited."""
    started: set[str] = set()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        exited = {name for name, process in processes.items() if process.poll() is not None}
        started |= {name for name in set(processes) - exited if _started(name, logs[name], port)}
        if started | exited == set(processes):
            break
        time.sleep(0.2)
    return started


def _started(name: str, log: Path, port: int) -> bool:
    if name != "bot":
        return STARTED[name] in log.read_text()
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_migrates_without_a_lock_file(settings, tmp_path, monkeypatch, url):
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.iterdir())
    assert upgrade(settings.model_copy(update={"database_url": url})) == head_revision()
    assert set(tmp_path.iterdir()) == before


def test_a_sqlite_database_in_a_missing_folder_is_one_line_naming_it(settings, monkeypatch):
    url = f"sqlite:///{settings.data_dir}/missing/faqbot.db"
    monkeypatch.setenv("FAQBOT_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    line = result.output.strip()
    assert "\n" not in line and f"{url} is unreachable" in line
