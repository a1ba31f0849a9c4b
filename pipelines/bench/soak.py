"""`faqbot bench soak`: the whole system under a steady stream of questions, with a crash.

The real bot (`faqbot bot`: gunicorn and its inbox process) takes signed Slack @mentions from
U users at a steady rate; W real `faqbot worker` processes answer them and `faqbot beat` runs
the sweep; a Slack Web API stand-in records every message the bot and the workers post and
edit. Midway, one worker is killed outright (SIGKILL to its whole process group: the machine
died). The questions it held must come back to another worker: through Redis once the
visibility timeout passes, or through the sweep for a message the kill caught between leaving
the queue and being recorded as unacked.

Every question must end with exactly one final message in its thread, an answer or an
apology: `lost` counts questions with none by the time limit, `duplicated` those with more than
one (or with more than one interaction row). Times are from the event sent to the placeholder
posted, and to the edit that made the message final.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
from pydantic import SecretStr

from faqbot.settings import Settings
from faqbot.slack import FEEDBACK
from pipelines.bench.queue_runs import (
    SETTLE_S,
    bench_settings,
    connect_and_flush,
    start_workers,
    worker_env,
)
from pipelines.bench.slack_ack import bot_process, stop_process
from pipelines.bench.slack_requests import event_body, mention, new_ts, signed_headers
from pipelines.bench.slack_standin import TOKEN, Call, SlackStandIn
from pipelines.bench.workers import interrupted_by_sigterm, percentile, spread
from pipelines.evaluation.question_sets import load_sample_questions

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"
# Short limits, so a killed worker's questions come back within a minute, not 40 (the
# production visibility timeout). The per-user limit is off: the soak is many users' load.
SOAK_LIMITS = {
    "answer_soft_time_limit_s": 40.0,
    "answer_time_limit_s": 50.0,
    "ingest_soft_time_limit_s": 40.0,
    "ingest_time_limit_s": 50.0,
    "visibility_timeout_s": 60.0,
    "questions_per_minute": 0,
    "sweep_interval_s": 15.0,
}
APOLOGY = ":warning: Sorry"
KILL_DELAY_S = 1.0
POLL_S = 0.5


@dataclass
class Asked:
    user: str
    channel: str
    ts: str
    sent_at: float
    status: int


def run_soak_benchmark(
    settings: Settings,
    *,
    questions: int = 200,
    users: int = 20,
    workers: int = 2,
    rate: float = 0.25,
    redis_url: str | None = None,
    timeout_s: float | None = None,
    limits: dict[str, float] | None = None,
    progress=None,
) -> dict:
    """`limits` replace some of SOAK_LIMITS (a shorter visibility timeout brings a killed
    worker's question back sooner)."""
    redis_url = redis_url or DEFAULT_REDIS_URL  # never the configured (live) queue
    limits = SOAK_LIMITS | (limits or {})
    client = connect_and_flush(redis_url)
    timeout_s = timeout_s or 300 + 30 * questions / workers
    with (
        interrupted_by_sigterm(),
        tempfile.TemporaryDirectory(prefix="faqbot-soak-") as tmp,
        SlackStandIn() as slack,
        progress or nullcontext(),
    ):
        root = Path(tmp)
        slack_access = {"slack_bot_token": SecretStr(TOKEN), "slack_api_url": slack.api_url}
        base = bench_settings(settings, root / "data", redis_url).model_copy(
            update=limits | slack_access
        )
        _prepare(base, progress)
        env = {f"FAQBOT_{k.upper()}": str(v) for k, v in limits.items()}
        with (
            start_workers(base, root / "logs", workers, "answers,ingest") as pool,
            beat_process(worker_env(base, 1), root / "logs" / "beat.log"),
            bot_process(base.data_dir, redis_url, slack.api_url, env) as (port, _),
        ):
            texts = spread([q.text for q in load_sample_questions()], questions)
            kill = partial(_kill, pool.workers[0].process.pid)
            asked = _ask(port, texts, users, rate, questions // 2, kill, progress)
            _wait_final(slack, asked, time.monotonic() + timeout_s, progress)
            time.sleep(SETTLE_S)  # a late duplicate has this long to show up
        client.flushdb()
        result = summarise(slack, asked, _interaction_rows(base, asked))
    return {
        **result,
        "users": users,
        "workers": workers,
        "killed_worker_after": questions // 2,
        "rate_qps": rate,
        "max_new_tokens": base.llm_max_new_tokens,
    }


@contextmanager
def beat_process(env: dict[str, str], log_path: Path):
    """`faqbot beat`, as production runs it: its sweep re-sends questions no worker took."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "faqbot", "beat", "--loglevel=info"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop_process(process)


def _prepare(settings: Settings, progress) -> None:
    """The sample handbook indexed, and the schema made once before processes race to."""
    from faqbot.db.migrate import ensure_schema
    from pipelines.evaluation.corpora import index_sample
    from workers.embedder import get_embedder
    from workers.store import get_store

    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    index_sample(settings, get_store(settings), embedder, progress)
    ensure_schema(settings)


def _ask(
    port: int, texts: list[str], users: int, rate: float, kill_after: int, kill, progress
) -> list[Asked]:
    """One @mention every 1/rate seconds, user after user, each in a thread of its own."""
    asked: list[Asked] = []
    started = time.monotonic()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        for n, text in enumerate(texts):
            time.sleep(max(0.0, started + n / rate - time.monotonic()))
            user, channel = f"U0SOAK{n % users:03d}", f"C0SOAK{n % 4}"
            event = mention(text, channel=channel, user=user, ts=new_ts())
            body = event_body(event)
            sent_at = time.time()
            response = http.post("/slack/events", content=body, headers=signed_headers(body))
            asked.append(Asked(user, channel, event["ts"], sent_at, response.status_code))
            if n + 1 == kill_after:
                time.sleep(KILL_DELAY_S)  # a worker has taken the question by now
                kill()
            if progress:
                progress("questions sent", n + 1, len(texts))
    return asked


def _kill(pid: int) -> None:
    """The worker's whole process group at once, as when its machine dies: nothing is acked,
    nothing is handed back; Redis redelivers after the visibility timeout."""
    os.killpg(pid, signal.SIGKILL)


def _wait_final(slack: SlackStandIn, asked: list[Asked], deadline: float, progress) -> None:
    while time.monotonic() < deadline:
        done = sum(bool(final_messages(slack, question)) for question in asked)
        if progress:
            progress("final replies", done, len(asked))
        if done == len(asked):
            return
        time.sleep(POLL_S)


def thread_messages(slack: SlackStandIn, question: Asked) -> dict[tuple[str, str], dict]:
    """The messages now in the question's thread (a placeholder deleted for a twin is gone)."""
    return slack.thread(question.channel, question.ts)


def is_final(params: dict) -> bool:
    """The answer with its feedback buttons (edited in, or attached by a stream's stop), or
    the apology."""
    blocks = str(params.get("blocks") or "")
    return FEEDBACK in blocks or str(params.get("text")).startswith(APOLOGY)


def final_messages(slack: SlackStandIn, question: Asked) -> list[dict]:
    return [m for m in thread_messages(slack, question).values() if is_final(m)]


def _interaction_rows(settings: Settings, asked: list[Asked]) -> dict[str, list[dict]]:
    """Each question's rows in the app database, by thread: one each, or it ran twice."""
    from sqlalchemy import select

    from faqbot.db.engine import session_scope
    from faqbot.db.models import Interaction

    rows: dict[str, list[dict]] = {question.ts: [] for question in asked}
    with session_scope(settings) as session:
        for row in session.scalars(select(Interaction)):
            if row.thread_ts in rows:
                rows[row.thread_ts].append(
                    {
                        "status": row.status,
                        "attempts": row.attempts,
                        "error": row.error,
                        "resent": bool((row.request or {}).get("resent_at")),
                    }
                )
    return rows


def summarise(slack: SlackStandIn, asked: list[Asked], rows: dict[str, list[dict]]) -> dict:
    calls = [c for m in MESSAGE_METHODS for c in slack.called(m)]
    finals = {q.ts: final_messages(slack, q) for q in asked}
    placeholder_ms = [
        (at - q.sent_at) * 1000 for q in asked if (at := _first_post(calls, q)) is not None
    ]
    text_ms = [
        (at - q.sent_at) * 1000 for q in asked if (at := _first_text(calls, slack, q)) is not None
    ]
    final_ms = [
        (at - q.sent_at) * 1000 for q in asked if (at := _first_final(calls, slack, q)) is not None
    ]
    apologies = sum(any(str(m["text"]).startswith(APOLOGY) for m in f) for f in finals.values())
    return {
        "questions": len(asked),
        "final_answers": sum(bool(f) for f in finals.values()) - apologies,
        "apologies": apologies,
        "lost": sum(not f for f in finals.values()),
        "duplicated": sum(len(finals[q.ts]) > 1 or len(rows[q.ts]) > 1 for q in asked),
        "p50_placeholder_ms": percentile(placeholder_ms, 50),
        "p95_placeholder_ms": percentile(placeholder_ms, 95),
        "p50_first_text_ms": percentile(text_ms, 50),
        "p95_first_text_ms": percentile(text_ms, 95),
        "p50_final_ms": percentile(final_ms, 50),
        "p95_final_ms": percentile(final_ms, 95),
        "max_final_ms": round(max(final_ms, default=0.0), 1),
        "not_acked": sum(q.status != 200 for q in asked),
        "redelivered": sum(any(r["attempts"] > 1 for r in rs) for rs in rows.values()),
        "resent_by_sweep": sum(any(r["resent"] for r in rs) for rs in rows.values()),
        "unrecorded": sum(not rs for rs in rows.values()),
        "lost_detail": [_lost_detail(slack, q, rows[q.ts]) for q in asked if not finals[q.ts]][:5],
    }


def _lost_detail(slack: SlackStandIn, question: Asked, rows: list[dict]) -> dict:
    """What a lost question's thread and database row show, to tell where it stopped."""
    texts = [str(m.get("text"))[:80] for m in thread_messages(slack, question).values()]
    return {"thread_ts": question.ts, "user": question.user, "thread": texts, "rows": rows}


def _first_post(calls: list[Call], question: Asked) -> float | None:
    posts = [
        c.at
        for c in calls
        if c.method == "chat.postMessage" and c.params.get("thread_ts") == question.ts
    ]
    return min(posts, default=None)


def _first_text(calls: list[Call], slack: SlackStandIn, question: Asked) -> float | None:
    """When the asker first reads answer text: the placeholder edited with it, or a stream
    started with it."""
    where = set(thread_messages(slack, question))
    texts = [
        c.at
        for c in calls
        if (c.method == "chat.startStream" and c.params.get("thread_ts") == question.ts)
        or (
            c.method == "chat.update"
            and (c.params.get("channel"), c.params.get("ts")) in where
            and not str(c.params.get("text")).startswith(":hourglass")
        )
    ]
    return min(texts, default=None)


def _first_final(calls: list[Call], slack: SlackStandIn, question: Asked) -> float | None:
    where = set(thread_messages(slack, question))
    edits = [
        c.at
        for c in calls
        if c.method in ("chat.update", "chat.postMessage", "chat.stopStream")
        and (c.params.get("channel"), c.params.get("ts")) in where
        and is_final(c.params)
    ]
    return min(edits, default=None)


# The calls that write a message the asker sees.
MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.startStream", "chat.stopStream")
