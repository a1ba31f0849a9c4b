"""The weekly report as the admin channel receives it from the Slack Web API stand-in: the week's
figures, the largest gaps with their actions, and the plot in the thread."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from faqbot.contracts import IngestRequest
from pipelines.bench.slack_standin import TOKEN, SlackStandIn
from pipelines.curation.weekly_report import post_weekly_report
from tests.cli.test_insights import NOW, PETS, SAMPLE_DOCS, seeded

ADMINS = "C0ADMINS1"


@pytest.fixture
def slack():
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def handbook(settings, embedder):
    from pipelines.ingest.ingest_job import ingest_source
    from workers.store import open_store

    store = open_store(settings)
    ingest_source(
        IngestRequest(target=str(SAMPLE_DOCS), source_id="handbook"),
        settings=settings,
        store=store,
        embedder=embedder,
    )
    return store


def test_the_report_posts_figures_and_gaps_with_actions_and_the_plot_in_its_thread(
    settings, embedder, handbook, slack
):
    seeded(settings)
    settings = settings.model_copy(update={"admin_channel": ADMINS})
    client = WebClient(token=TOKEN, base_url=slack.api_url)
    summary = post_weekly_report(settings, handbook, embedder, client, now=NOW)
    assert (summary.posted, summary.questions, summary.gaps, summary.plot) == (True, 8, 4, True)

    [post] = slack.called("chat.postMessage", channel=ADMINS)
    assert post.params["text"] == (
        "*This week:* 8 questions, 3 answered without escalation, 3 refused, 2 handed to "
        "experts (resolved in 3.0 h, median), 1 answered from verified answers, 👍 rate 60%."
    )
    blocks = post.params["blocks"]  # sent as JSON
    largest = blocks[2]["text"]["text"]
    assert largest.startswith("*Asked 3×* (3 refused) in <#C0HELP001>\n>" + PETS[0])
    assert largest.endswith("Closest source: nothing close")
    actions = [e["action_id"] for e in blocks[3]["elements"]]
    assert actions == ["gap_add_source", "gap_ask_experts"]

    [upload] = slack.called("upload")
    assert slack.uploads[upload.params["file"]].startswith(b"\x89PNG")
    [shared] = slack.called("files.completeUploadExternal")
    assert shared.params["channel_id"] == ADMINS and shared.params["thread_ts"]


def test_no_admin_channel_or_no_questions(settings, embedder, handbook, slack):
    client = WebClient(token=TOKEN, base_url=slack.api_url)
    summary = post_weekly_report(settings, handbook, embedder, client, now=NOW)
    assert (summary.posted, summary.reason) == (False, "FAQBOT_ADMIN_CHANNEL is not set")
    quiet = settings.model_copy(update={"admin_channel": ADMINS})
    summary = post_weekly_report(quiet, handbook, embedder, client, now=NOW)
    assert (summary.posted, summary.gaps, summary.plot) == (True, 0, False)
    [post] = slack.called("chat.postMessage", channel=ADMINS)
    assert "No knowledge gaps this week" in str(post.params["blocks"])
