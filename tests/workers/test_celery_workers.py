"""Real `faqbot worker` processes on the real Redis, with the app database on PostgreSQL (or
SQLite when no PostgreSQL answers): questions and ingestion go through the queue, survive a
killed worker, and fail visibly when they cannot succeed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from faqbot.contracts import ANSWER, INGEST, AnswerRequest, IngestRequest, Reply
from faqbot.db import interactions
from faqbot.db.engine import session_scope
from faqbot.db.models import KnowledgeSource
from faqbot.dispatch import CeleryDispatcher
from faqbot.settings import Settings
from faqbot.shared_state import redis_client
from pipelines.bench.worker_pool import WorkerPool
from tests.conftest import POSTGRES_ADMIN_URL, postgres_reason, settings_from, worker_env

pytestmark = pytest.mark.slow

SAMPLE_DOCS = Path(__file__).parents[2] / "sample_kb" / "docs"


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    if postgres_reason():
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'faqbot.db'}"
        return
    name = f"faqbot_workers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def handbook(tmp_path_factory, model_cache, database_url, embedder, redis_url):
    """A data dir with the sample handbook indexed, and its worker environment."""
    from pipelines.ingest.ingest_job import ingest_source
    from workers.store import open_store

    data_dir = tmp_path_factory.mktemp("data")
    env = worker_env(data_dir, model_cache, database_url, redis_url)
    settings = settings_from(env)
    report = ingest_source(
        IngestRequest(target=str(SAMPLE_DOCS), source_id="handbook"),
        settings=settings,
        store=open_store(settings),
        embedder=embedder,
    )
    assert report.chunks > 100 and not report.errors
    redis_client(redis_url).flushdb()
    return env


@pytest.fixture(scope="module")
def pool(handbook, tmp_path_factory):
    with WorkerPool(handbook, tmp_path_factory.mktemp("logs")) as workers:
        workers.start(1, queues="answers,ingest")
        yield workers


def events(key: str, redis_url: str) -> list[dict]:
    return [json.loads(item) for item in redis_client(redis_url).lrange(key, 0, -1)]


def wait_for(key: str, kinds: set[str], redis_url: str, timeout_s: float = 180):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        seen = events(key, redis_url)
        if any(event["event"] in kinds for event in seen):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"no {kinds} event on {key} in {timeout_s} s: {events(key, redis_url)}")


def ask(settings: Settings, question: str, **fields) -> AnswerRequest:
    request = AnswerRequest(
        question=question, reply=Reply(kind="redis", key=f"reply:{uuid.uuid4().hex}"), **fields
    )
    CeleryDispatcher(settings).submit(ANSWER, request)
    return request


def stored(settings: Settings, request_id: str):
    with session_scope(settings) as session:
        return interactions.find(session, request_id)


def test_a_question_goes_through_the_queue_and_comes_back_cited(pool, handbook):
    settings = settings_from(handbook)
    request = ask(
        settings, "My VPN says error 809 at the hotel, what do I do?", asker="U1", channel="C1"
    )
    seen = wait_for(request.reply.key, {"finished", "failed"}, handbook["FAQBOT_REDIS_URL"])
    kinds = [event["event"] for event in seen]
    assert kinds[0] == "started" and kinds[-1] == "finished" and kinds.count("finished") == 1
    result = seen[-1]["result"]
    assert not result["refused"] and result["citations"]
    assert result["citations"][0]["source_id"] == "handbook"
    row = stored(settings, request.request_id)
    assert (row.status, row.attempts, row.asker, row.channel) == ("answered", 1, "U1", "C1")
    assert row.delivered_at is not None and row.model and row.retrieved
    assert row.timings_ms["queue_wait"] >= 0 and row.timings_ms["end_to_end"] > 0


def test_a_question_sent_twice_is_answered_once(pool, handbook):
    settings = settings_from(handbook)
    request = ask(settings, "How do I reset my password?")
    wait_for(request.reply.key, {"finished"}, handbook["FAQBOT_REDIS_URL"])
    CeleryDispatcher(settings).submit(ANSWER, request)  # e.g. a retried Slack event
    time.sleep(3)
    assert [e["event"] for e in events(request.reply.key, handbook["FAQBOT_REDIS_URL"])].count(
        "finished"
    ) == 1
    assert stored(settings, request.request_id).attempts == 1


def test_a_worker_killed_mid_answer_loses_nothing_and_answers_once(pool, handbook):
    settings = settings_from(handbook)
    request = ask(settings, "How many days of annual leave do I get?")
    wait_for(request.reply.key, {"started"}, handbook["FAQBOT_REDIS_URL"])
    victim = pool.workers[0].busy_child()
    os.kill(victim, signal.SIGKILL)  # what the OOM killer does
    seen = wait_for(request.reply.key, {"finished", "failed"}, handbook["FAQBOT_REDIS_URL"])
    assert [e["event"] for e in seen].count("finished") == 1, seen
    row = stored(settings, request.request_id)
    assert (row.status, row.attempts) == ("answered", 2)
    assert victim not in pool.workers[0].ready_children()


def test_a_source_is_ingested_through_the_queue_exactly_once(pool, handbook, tmp_path):
    settings = settings_from(handbook)
    folder = tmp_path / "travel"
    folder.mkdir()
    shutil.copy(SAMPLE_DOCS / "expenses-travel.md", folder)
    request = IngestRequest(
        target=str(folder),
        source_id="travel",
        added_by="U7",
        reply=Reply(kind="redis", key=f"reply:{uuid.uuid4().hex}"),
    )
    CeleryDispatcher(settings).submit(INGEST, request)
    seen = wait_for(request.reply.key, {"finished", "failed"}, handbook["FAQBOT_REDIS_URL"])
    assert any(e["event"] == "progress" for e in seen)
    report = seen[-1]["result"]
    assert report["chunks"] > 0 and not report["errors"]
    CeleryDispatcher(settings).submit(INGEST, request)  # redelivered or re-sent
    deadline = time.monotonic() + 60
    while [e["event"] for e in events(request.reply.key, handbook["FAQBOT_REDIS_URL"])].count(
        "finished"
    ) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert events(request.reply.key, handbook["FAQBOT_REDIS_URL"])[-1]["result"]["repeated"] is True
    with session_scope(settings) as session:
        row = session.scalar(select(KnowledgeSource).where(KnowledgeSource.id == "travel"))
        assert (row.status, row.chunk_count, row.added_by) == ("ready", report["chunks"], "U7")


def ask_own_worker(handbook, tmp_path, redis_databases, question: str, **overrides):
    """One question to a worker of its own, configured with `overrides`, on a fresh Redis
    database."""
    redis_url = redis_databases.new()
    env = {**handbook, "FAQBOT_REDIS_URL": redis_url, **overrides}
    redis_client(redis_url).flushdb()
    settings = settings_from(env)
    with WorkerPool(env, tmp_path / "logs") as workers:
        workers.start(1, queues="answers")
        request = AnswerRequest(question=question, reply=Reply(kind="redis", key="reply:own"))
        CeleryDispatcher(settings).submit(ANSWER, request)
        seen = wait_for("reply:own", {"failed", "finished"}, redis_url=redis_url)
    return settings, request, seen


def test_a_task_that_always_fails_stops_after_its_retries_and_says_why(
    handbook, tmp_path, redis_databases
):
    settings, request, seen = ask_own_worker(
        handbook,
        tmp_path,
        redis_databases,
        "Where is the VPN guide?",
        FAQBOT_WEAVIATE_URL="http://127.0.0.1:1",  # a store that never answers
        FAQBOT_TASK_MAX_RETRIES="2",
        FAQBOT_TASK_RETRY_BACKOFF_S="0.2",
    )
    failures = [e for e in seen if e["event"] == "failed"]
    assert len(failures) == 1 and "127.0.0.1:1" in failures[0]["error"]
    assert "gave up after 3 attempts" in failures[0]["error"]
    assert failures[0]["reference"] == request.request_id[:8]
    row = stored(settings, request.request_id)
    assert row.status == "failed" and "gave up after 3 attempts" in row.error


def test_a_worker_that_cannot_load_its_model_exits_with_the_reason(handbook):
    env = {**handbook, "FAQBOT_LLM_MODEL": "/nonexistent/phi-3"}
    result = subprocess.run(
        [sys.executable, "-m", "faqbot", "worker", "--queues=answers"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "error: worker could not start:" in result.stderr
    assert "/nonexistent/phi-3" in result.stderr.splitlines()[-1]


def test_a_question_whose_whole_worker_died_is_answered_by_another(
    handbook, tmp_path, redis_databases
):
    """The host is lost: no process is left to requeue the task, so Redis hands it to another
    worker once the visibility timeout passes (short here, with time limits to match)."""
    limits = {
        "FAQBOT_ANSWER_SOFT_TIME_LIMIT_S": "15",
        "FAQBOT_ANSWER_TIME_LIMIT_S": "20",
        "FAQBOT_INGEST_SOFT_TIME_LIMIT_S": "15",
        "FAQBOT_INGEST_TIME_LIMIT_S": "20",
        "FAQBOT_VISIBILITY_TIMEOUT_S": "25",
    }
    host_lost_url = redis_databases.new()
    env = {**handbook, **limits, "FAQBOT_REDIS_URL": host_lost_url}
    settings = settings_from(env)
    with (
        WorkerPool(env, tmp_path / "first") as first,
        WorkerPool(env, tmp_path / "second") as second,
    ):
        first.start(1, queues="answers")
        request = AnswerRequest(
            question="Who do I tell about a lost laptop?",
            reply=Reply(kind="redis", key="reply:host-lost"),
        )
        CeleryDispatcher(settings).submit(ANSWER, request)
        wait_for("reply:host-lost", {"started"}, redis_url=host_lost_url)
        os.killpg(first.workers[0].process.pid, signal.SIGKILL)  # the worker and its children
        second.start(1, queues="answers")
        seen = wait_for(
            "reply:host-lost", {"finished", "failed"}, timeout_s=120, redis_url=host_lost_url
        )
        time.sleep(2)  # a second answer, if one were coming, would land now
    assert [e["event"] for e in events("reply:host-lost", host_lost_url)].count("finished") == 1
    assert seen[-1]["event"] == "finished"
    row = stored(settings, request.request_id)
    assert (row.status, row.attempts) == ("answered", 2)


def test_an_answer_over_its_time_limit_fails_visibly(handbook, tmp_path, redis_databases):
    settings, request, seen = ask_own_worker(
        handbook,
        tmp_path,
        redis_databases,
        "My VPN says error 809 at the hotel, what do I do?",
        FAQBOT_ANSWER_SOFT_TIME_LIMIT_S="1",
        FAQBOT_LLM_MAX_NEW_TOKENS="200",
    )
    assert seen[-1]["event"] == "failed" and "time limit" in seen[-1]["error"]
    assert stored(settings, request.request_id).status == "failed"


@pytest.fixture(scope="module")
def model_server():
    """llama.cpp's OpenAI-compatible server on loopback, serving the bundled GGUF."""
    from faqbot.settings import BUNDLED_LLM, model_id
    from workers.generation.llama_server import ServedModel, llama_server
    from workers.generation.loading import gguf_file

    with llama_server([ServedModel(model_id(BUNDLED_LLM), gguf_file(BUNDLED_LLM))]) as (url, _):
        yield url


def test_a_worker_answers_through_the_model_server(
    handbook, tmp_path, redis_databases, model_server
):
    settings, request, seen = ask_own_worker(
        handbook,
        tmp_path,
        redis_databases,
        "My VPN says error 809 at the hotel, what do I do?",
        FAQBOT_LLM_ENGINE="openai",
        FAQBOT_LLM_BASE_URL=model_server,
    )
    kinds = [event["event"] for event in seen]
    assert kinds[-1] == "finished" and "text" in kinds  # the cited quote first, then the answer
    assert seen[-1]["result"]["citations"]
    row = stored(settings, request.request_id)
    assert row.status == "answered" and row.model == "SmolLM2-135M-Instruct"
    assert row.timings_ms["generate"] > 0  # the server wrote, whichever text was kept


def test_a_question_fails_visibly_when_the_model_server_is_down(
    handbook, tmp_path, redis_databases
):
    settings, request, seen = ask_own_worker(
        handbook,
        tmp_path,
        redis_databases,
        "What does VPN error 809 mean?",
        FAQBOT_LLM_ENGINE="openai",
        FAQBOT_LLM_BASE_URL="http://127.0.0.1:1/v1",
        FAQBOT_TASK_MAX_RETRIES="1",
        FAQBOT_TASK_RETRY_BACKOFF_S="0.2",
    )
    failures = [e for e in seen if e["event"] == "failed"]
    assert len(failures) == 1 and failures[0]["reference"] == request.request_id[:8]
    assert "the model server at http://127.0.0.1:1/v1 did not answer" in failures[0]["error"]
    assert stored(settings, request.request_id).status == "failed"


def test_a_question_fails_visibly_when_the_server_lacks_the_model(
    handbook, tmp_path, redis_databases, model_server
):
    settings, request, seen = ask_own_worker(
        handbook,
        tmp_path,
        redis_databases,
        "What does VPN error 809 mean?",
        FAQBOT_LLM_ENGINE="openai",
        FAQBOT_LLM_BASE_URL=model_server,
        FAQBOT_LLM_MODEL="Phi-3-mini-4k-instruct",
    )
    assert seen[-1]["event"] == "failed" and seen[-1]["reference"] == request.request_id[:8]
    assert "does not serve model 'Phi-3-mini-4k-instruct'" in seen[-1]["error"]
    assert stored(settings, request.request_id).status == "failed"  # not retried: it would not help
