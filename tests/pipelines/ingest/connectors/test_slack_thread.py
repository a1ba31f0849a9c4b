"""A Slack thread as a source, read from the Slack Web API stand-in: the question and every
reply under its author, cited by permalink; a new reply is picked up by the next sync, and a
thread Slack no longer returns is one line that keeps what was indexed."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from faqbot.contracts import SourceSpec
from faqbot.source_kinds import thread_target
from pipelines.bench.slack_standin import TOKEN, SlackStandIn

THREAD = SourceSpec(kind="slack-thread")
CHANNEL = "C0IT00001"


@pytest.fixture
def slack(settings):
    with SlackStandIn() as standin:
        settings.slack_bot_token, settings.slack_api_url = SecretStr(TOKEN), standin.api_url
        yield standin


@pytest.fixture
def thread(slack):
    root = slack.user_says(
        CHANNEL, "How do I get a parking permit for the Leeds office?", "U0ASKER01"
    )
    slack.user_says(CHANNEL, "Ask facilities: permits cost 30 pounds a month.", "U0FACIL01", root)
    return root


def test_a_thread_is_indexed_as_one_document_with_its_authors_and_permalink(kb, slack, thread):
    report = kb(thread_target(CHANNEL, thread), spec=THREAD, visibility=[CHANNEL])
    assert report.report().errors == []
    [hit] = kb.ask("parking permit cost in Leeds", channel=CHANNEL, k=1)
    assert "<@U0FACIL01>" in hit.chunk.text and "30 pounds" in hit.chunk.text
    assert (
        hit.chunk.url == f"https://standin.slack.com/archives/{CHANNEL}/p{thread.replace('.', '')}"
    )
    assert hit.chunk.title.startswith("How do I get a parking permit")
    assert kb.ask("parking permit cost in Leeds", channel="C0OTHER01") == []  # its channel only


def test_a_new_reply_is_embedded_by_the_next_sync_and_nothing_else(kb, slack, thread):
    target = thread_target(CHANNEL, thread)
    kb(target, spec=THREAD, visibility=[CHANNEL])
    assert kb(target, spec=THREAD, visibility=[CHANNEL]).unchanged == 1
    slack.user_says(CHANNEL, "Since December they are free for cyclists.", "U0FACIL01", thread)
    report = kb(target, spec=THREAD, visibility=[CHANNEL])
    assert (report.changed, report.unchanged) == (1, 0)
    assert "free for cyclists" in kb.ask("are permits free", channel=CHANNEL, k=1)[0].chunk.text


def test_a_long_thread_is_read_page_by_page(kb, slack, thread):
    for n in range(250):
        slack.user_says(CHANNEL, f"Reply number {n}.", "U0FACIL01", thread)
    kb(thread_target(CHANNEL, thread), spec=THREAD, visibility=[CHANNEL])
    pages = slack.called("conversations.replies")
    assert len(pages) == 2 and pages[1].params["cursor"] == "200"


def test_a_thread_slack_no_longer_returns_is_one_line_and_keeps_the_index(kb, slack, thread):
    target = thread_target(CHANNEL, thread)
    kb(target, spec=THREAD, visibility=[CHANNEL])
    before = kb.store.document_hashes("kb")
    with slack._lock:
        slack.messages.clear()
    errors = kb(target, spec=THREAD, visibility=[CHANNEL]).report().errors
    assert errors == [f"{target}: Slack refused conversations.replies (thread_not_found)"]
    assert kb.store.document_hashes("kb") == before


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (
            {"status": 200, "error": "invalid_auth"},
            "Slack refused conversations.replies (invalid_auth)",
        ),
        ({"status": 200, "error": "not_in_channel"}, "(not_in_channel)"),
    ],
)
def test_a_refused_token_or_channel_is_one_line_and_keeps_the_index(
    kb, slack, thread, failure, reason
):
    target = thread_target(CHANNEL, thread)
    kb(target, spec=THREAD, visibility=[CHANNEL])
    before = kb.store.document_hashes("kb")
    slack.fail("conversations.replies", **failure)
    errors = kb(target, spec=THREAD, visibility=[CHANNEL]).report().errors
    assert len(errors) == 1 and errors[0].startswith(target) and reason in errors[0]
    assert kb.store.document_hashes("kb") == before
