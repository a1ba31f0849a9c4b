"""The soak benchmark: its bookkeeping (one final message per question), its one-line error
when Redis is down, and a small real run with a worker killed midway."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app
from pipelines.bench.slack_standin import Call, SlackStandIn
from pipelines.bench.soak import Asked, summarise

ISSUE_KEYS = (
    "questions",
    "final_answers",
    "apologies",
    "lost",
    "duplicated",
    "p50_placeholder_ms",
    "p95_placeholder_ms",
    "p50_final_ms",
    "p95_final_ms",
)
ANSWER = {"text": "Use the TLS profile [1].", "blocks": [{"action_id": "answer_feedback"}]}
APOLOGY = {"text": ":warning: Sorry, I couldn't finish this (boom). Reference `abcd1234`"}


def thread(slack: SlackStandIn, question: Asked, *finals: dict, placeholder_at: float) -> None:
    """A placeholder posted in the question's thread, then edited into each of `finals` (a
    second final is a second message: the asker sees two replies)."""
    for n, final in enumerate(finals or [{"text": "Searching the knowledge base…"}]):
        ts = f"{question.ts}{n}"
        slack.messages[(question.channel, ts)] = {"thread_ts": question.ts, **final}
        slack.calls.append(
            Call(
                "chat.postMessage",
                {"channel": question.channel, "thread_ts": question.ts},
                "",
                placeholder_at,
            )
        )
        if finals:
            slack.calls.append(
                Call(
                    "chat.update",
                    {"channel": question.channel, "ts": ts, **final},
                    "",
                    placeholder_at + 4,
                )
            )


def test_summary_counts_answers_apologies_lost_and_duplicates():
    asked = [Asked("U1", "C1", f"100.{n}", 100.0, 200) for n in range(4)]
    with SlackStandIn() as slack:
        thread(slack, asked[0], ANSWER, placeholder_at=100.01)
        thread(slack, asked[1], APOLOGY, placeholder_at=100.02)
        thread(slack, asked[2], placeholder_at=100.03)  # never finished: lost
        thread(slack, asked[3], ANSWER, ANSWER, placeholder_at=100.04)  # answered twice
        rows = {
            "100.0": [{"status": "answered", "attempts": 2, "resent": False}],
            "100.1": [],
            "100.2": [],
            "100.3": [{"status": "answered", "attempts": 1, "resent": True}],
        }
        summary = summarise(slack, asked, rows)
    assert all(key in summary for key in ISSUE_KEYS)
    assert (summary["final_answers"], summary["apologies"]) == (2, 1)
    assert (summary["lost"], summary["duplicated"], summary["redelivered"]) == (1, 1, 1)
    assert summary["resent_by_sweep"] == 1 and summary["max_final_ms"] == pytest.approx(4040.0)
    assert summary["p50_placeholder_ms"] == pytest.approx(25.0)
    assert summary["p50_final_ms"] == pytest.approx(4020.0)


def test_unreachable_redis_is_one_line(settings):
    result = CliRunner().invoke(app, ["bench", "soak", "--redis-url", "redis://127.0.0.1:1/0"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Redis at redis://127.0.0.1:1/0 is unreachable" in lines[0]


@pytest.mark.slow
def test_every_question_gets_one_final_reply_though_a_worker_is_killed(settings):
    from pipelines.bench.soak import run_soak_benchmark

    settings = settings.model_copy(update={"llm_max_new_tokens": 8})
    # The celery worker tests' short limits: the killed worker's question is back after 25 s.
    limits = {
        "answer_soft_time_limit_s": 15.0,
        "answer_time_limit_s": 20.0,
        "ingest_soft_time_limit_s": 15.0,
        "ingest_time_limit_s": 20.0,
        "visibility_timeout_s": 25.0,
    }
    result = run_soak_benchmark(
        settings, questions=4, users=2, workers=2, rate=2.0, timeout_s=240, limits=limits
    )
    assert all(key in result for key in ISSUE_KEYS)
    assert result["questions"] == result["final_answers"] + result["apologies"] == 4
    assert (result["lost"], result["duplicated"], result["not_acked"]) == (0, 0, 0)
    assert result["unrecorded"] == 0 and result["killed_worker_after"] == 2
    assert 0 < result["p50_placeholder_ms"] <= result["p95_placeholder_ms"]
    assert result["p50_placeholder_ms"] < result["p50_final_ms"] <= result["p95_final_ms"]
