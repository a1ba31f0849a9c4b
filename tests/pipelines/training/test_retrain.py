"""The scheduled loop: skip with a reason when feedback is thin; otherwise build, train, eval and
promote, and tell the admins in their channel."""

from __future__ import annotations

import json

import pytest

from faqbot.contracts import RetrainSummary
from faqbot.db import adapters
from faqbot.db.engine import session_scope
from pipelines.bench.slack_standin import TOKEN, SlackStandIn
from pipelines.training.retrain import retrain
from tests.pipelines.curation.feedback_rows import answered
from tests.pipelines.evaluation.test_evaluate import GOLDEN, knowledge_base
from tests.pipelines.training.tiny_models import tiny_phi3

QUESTIONS = [
    "How do I fix VPN error 809 at a hotel?",
    "Who approves travel expenses?",
    "How do I book a meeting room?",
    "Where do I find my payslip?",
    "How do I reset my password?",
    "Can I work from abroad?",
]


@pytest.fixture
def slack():
    with SlackStandIn() as standin:
        yield standin


def configured(settings, **fields):
    from faqbot.settings import Settings

    return Settings(_env_file=None, **settings.model_dump() | fields)


def posted(slack: SlackStandIn) -> list[str]:
    return [call.params["text"] for call in slack.called("chat.postMessage", channel="C0ADMINS1")]


def test_too_few_new_examples_skips_and_says_why_in_the_admin_channel(settings, slack):
    settings = configured(
        settings,
        retrain_min_examples=3,
        admin_channel="C0ADMINS1",
        slack_bot_token=TOKEN,
        slack_api_url=slack.api_url,
    )
    answered(settings, QUESTIONS[0], up=2)
    summary = retrain(settings)
    assert summary == RetrainSummary(
        status="skipped",
        new_examples=1,
        reason="1 new examples since the last dataset, fewer than FAQBOT_RETRAIN_MIN_EXAMPLES=3",
    )
    assert posted(slack) == [":zzz: Retraining skipped: " + summary.reason + "."]


@pytest.mark.slow
def test_enough_feedback_builds_trains_evaluates_and_promotes(
    settings, embedder, slack, model_cache, tmp_path
):
    golden = tmp_path / "golden.jsonl"
    golden.write_text("".join(json.dumps(row) + "\n" for row in GOLDEN))
    base = tiny_phi3(tmp_path / "tiny-phi3", model_cache)
    settings = configured(
        settings,
        llm_model=str(base),
        retrain_min_examples=4,
        retrain_max_steps=2,
        train_batch_size=2,
        train_gradient_accumulation=1,
        llm_max_new_tokens=8,
        golden_set=golden,
        adapter_gate_tolerance=1.0,
        dataset_eval_fraction=0.3,
        admin_channel="C0ADMINS1",
        slack_bot_token=TOKEN,
        slack_api_url=slack.api_url,
    )
    knowledge_base(settings, embedder)
    for question in QUESTIONS:
        answered(settings, question, up=2)

    summary = retrain(settings)

    assert summary.status == "promoted" and summary.new_examples == len(QUESTIONS)
    with session_scope(settings) as session:
        assert adapters.promoted(session).id == summary.adapter
    [message] = posted(slack)
    assert message.startswith(f":rocket: Promoted adapter `{summary.adapter}` (2 steps")
    assert retrain(settings).status == "skipped"  # nothing new since that dataset
