"""Without Redis, tasks run inside the sending process; with it, they go to the workers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from faqbot.contracts import ANSWER, INGEST, AnswerRequest, IngestRequest
from faqbot.db import interactions
from faqbot.db.engine import session_scope
from faqbot.dispatch import (
    CeleryDispatcher,
    InProcessDispatcher,
    dispatcher_for,
    running_without_workers,
)
from faqbot.settings import Settings

SAMPLE_DOCS = Path(__file__).parents[2] / "sample_kb" / "docs"


def test_without_redis_the_bot_is_told_it_runs_without_workers(settings, monkeypatch, redis_url):
    assert isinstance(dispatcher_for(settings), InProcessDispatcher)
    assert "FAQBOT_REDIS_URL is not set" in running_without_workers(settings)
    monkeypatch.setenv("FAQBOT_REDIS_URL", redis_url)
    with_redis = Settings(_env_file=None)
    assert isinstance(dispatcher_for(with_redis), CeleryDispatcher)
    assert running_without_workers(with_redis) is None


@pytest.mark.slow
def test_without_redis_ingestion_and_answers_run_in_process(settings, tmp_path):
    folder = tmp_path / "vpn"
    folder.mkdir()
    shutil.copy(SAMPLE_DOCS / "vpn-remote-access.md", folder)
    dispatcher = dispatcher_for(settings)
    dispatcher.submit(INGEST, IngestRequest(target=str(folder), source_id="vpn"))
    assert dispatcher.futures[0].result(timeout=300)["chunks"] > 0
    request = AnswerRequest(question="My VPN says error 809 at the hotel, what do I do?")
    dispatcher.submit(ANSWER, request)  # returns at once, before the answer exists
    assert not dispatcher.futures[1].done()
    assert dispatcher.futures[1].result(timeout=300)["status"] == "delivered"
    with session_scope(settings) as session:
        row = interactions.find(session, request.request_id)
        assert row.status == "answered" and row.citations[0]["source_id"] == "vpn"


def test_a_worker_needs_redis_and_says_so_in_one_line(settings):
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "FAQBOT_REDIS_URL is not set" in result.output and result.output.count("\n") == 1


def test_an_unreachable_redis_is_one_line(settings, monkeypatch):
    monkeypatch.setenv("FAQBOT_REDIS_URL", "redis://127.0.0.1:1/0")
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "Redis at redis://127.0.0.1:1/0 is unreachable" in result.output


def test_an_unreachable_redis_never_prints_its_password(settings, monkeypatch):
    monkeypatch.setenv("FAQBOT_REDIS_URL", "redis://default:s3cret-pw@127.0.0.1:1/0")
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 2 and "s3cret-pw" not in result.output
    assert "Redis at redis://default:***@127.0.0.1:1/0 is unreachable" in result.output


def test_an_unknown_queue_is_refused_by_name(settings, monkeypatch, redis_url):
    monkeypatch.setenv("FAQBOT_REDIS_URL", redis_url)
    result = CliRunner().invoke(app, ["worker", "--queues", "answers,urgent"])
    assert result.exit_code == 2 and "unknown queue urgent" in result.output


def test_time_limits_that_would_run_a_task_twice_are_refused(settings, monkeypatch):
    monkeypatch.setenv("FAQBOT_VISIBILITY_TIMEOUT_S", "100")
    with pytest.raises(ValueError, match="must exceed the longest hard time limit"):
        Settings(_env_file=None)
