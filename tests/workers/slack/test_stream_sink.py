"""Native streaming against the Slack Web API stand-in, which checks what Slack checks: the
quote streamed first, the checked answer's sources with the stop, and an answer that arrives
whole when Slack refuses a stream or ends it early."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from faqbot import keys
from faqbot.contracts import Reply
from faqbot.shared_state import shared_keys
from pipelines.bench.slack_standin import TEAM_ID, TOKEN
from tests.workers.slack.test_message_sinks import answer
from workers.slack.stream_sink import SlackStreamSink

CHANNEL, THREAD = "C0IT00009", "9.000001"
QUOTE = "Reset it in the portal [1]."


@pytest.fixture
def placeholder(slack_settings, slack):
    """The bot's placeholder in the question's thread, as the bot leaves it."""
    client = WebClient(token=TOKEN, base_url=slack.api_url)
    posted = client.chat_postMessage(channel=CHANNEL, thread_ts=THREAD, text="Searching…")
    reply = Reply(
        kind="slack",
        key=keys.placeholder("req9"),
        channel=CHANNEL,
        thread_ts=THREAD,
        question_ts=THREAD,
        user_id="U0ASKER01",
        team_id=TEAM_ID,
    )
    shared_keys(slack_settings).put(reply.key, f"{CHANNEL} {posted['ts']}", 60)
    return reply, posted["ts"]


def streamed(slack) -> dict:
    [message] = [m for m in slack.messages.values() if "streaming" in m]
    return message


def test_the_quote_is_streamed_and_the_stop_brings_sources_and_feedback(
    slack_settings, slack, placeholder
):
    reply, placeholder_ts = placeholder
    sink = SlackStreamSink(slack_settings, reply, "req9")
    sink.started()
    sink.status("reading", 3)
    sink.text("Reset it in")
    sink.text(QUOTE)
    sink.finished(answer(QUOTE))

    message = streamed(slack)
    assert message["text"] == QUOTE and message["streaming"] is False
    assert sink.location() == (CHANNEL, message["ts"])
    [start] = slack.called("chat.startStream")
    assert (start.params["thread_ts"], start.params["markdown_text"]) == (THREAD, "Reset it in")
    assert (start.params["recipient_team_id"], start.params["recipient_user_id"]) == (
        TEAM_ID,
        "U0ASKER01",
    )
    assert [c.params["markdown_text"] for c in slack.called("chat.appendStream")] == [
        " the portal [1]."
    ]
    tail = str(message["blocks"])
    assert "*Sources*" in tail and "answer_feedback" in tail and "escalate" in tail
    assert (CHANNEL, placeholder_ts) not in slack.messages  # the placeholder is gone
    assert not slack.called("chat.update")
    statuses = [c.params["status"] for c in slack.called("assistant.threads.setStatus")]
    assert statuses == ["Searching the knowledge base…", "Reading 3 sources…"]


def test_a_final_answer_that_is_not_the_quote_rewrites_the_streamed_message(
    slack_settings, slack, placeholder
):
    sink = SlackStreamSink(slack_settings, placeholder[0], "req9")
    sink.started()
    sink.text(QUOTE)
    sink.finished(answer("Use the self-service portal at id.example.com [1]."))
    message = streamed(slack)
    assert "self-service portal" in str(message["blocks"])  # the checked answer, whole
    [update] = slack.called("chat.update")
    assert update.params["ts"] == message["ts"]


def test_a_stream_slack_ended_early_still_gets_the_whole_answer(slack_settings, slack, placeholder):
    sink = SlackStreamSink(slack_settings, placeholder[0], "req9")
    sink.started()
    sink.text("Reset it in")
    slack.end_stream(*sink.location())  # five minutes passed, or the asker pressed stop
    sink.text(QUOTE)
    sink.finished(answer(QUOTE))
    message = streamed(slack)
    assert QUOTE in str(message["blocks"]) and "answer_feedback" in str(message["blocks"])


def test_where_slack_will_not_stream_the_placeholder_is_edited_instead(
    slack_settings, slack, placeholder
):
    reply, placeholder_ts = placeholder
    slack.fail("chat.startStream", status=200, error="method_not_supported")
    slack.fail("assistant.threads.setStatus", status=200, error="not_allowed")
    sink = SlackStreamSink(slack_settings, reply, "req9")
    sink.started()
    sink.status("reading", 2)  # refused once: not asked again
    sink.text(QUOTE)
    sink.finished(answer(QUOTE))
    assert sink.location() == (CHANNEL, placeholder_ts)
    assert "answer_feedback" in str(slack.messages[(CHANNEL, placeholder_ts)]["blocks"])
    assert len(slack.called("chat.startStream")) == 1
    assert len(slack.called("assistant.threads.setStatus")) == 1


def test_the_stand_in_refuses_a_channel_stream_without_its_recipient(slack):
    client = WebClient(token=TOKEN, base_url=slack.api_url)
    with pytest.raises(SlackApiError, match="missing_recipient_team_id"):
        client.chat_startStream(channel=CHANNEL, thread_ts=THREAD, recipient_user_id="U1")
    with pytest.raises(SlackApiError, match="missing_recipient_user_id"):
        client.chat_startStream(channel=CHANNEL, thread_ts=THREAD, recipient_team_id=TEAM_ID)
    started = client.chat_startStream(channel="D0DM00009", thread_ts=THREAD, markdown_text="a")
    client.chat_stopStream(channel="D0DM00009", ts=started["ts"])
    with pytest.raises(SlackApiError, match="message_not_in_streaming_state"):
        client.chat_appendStream(channel="D0DM00009", ts=started["ts"], markdown_text="b")


def test_a_redelivered_answer_replaces_the_dead_workers_half_streamed_message(
    slack_settings, slack, placeholder
):
    first = SlackStreamSink(slack_settings, placeholder[0], "req9")
    first.started()
    first.text("Reset it in")  # and then its worker is killed
    again = SlackStreamSink(slack_settings, placeholder[0], "req9")
    again.started()
    again.text(QUOTE)
    again.finished(answer(QUOTE))
    [message] = slack.thread(CHANNEL, THREAD).values()  # one message: the new answer
    assert message["text"] == QUOTE and "answer_feedback" in str(message["blocks"])


def test_sources_beyond_one_messages_blocks_go_on_in_the_thread(slack_settings, slack, placeholder):
    sink = SlackStreamSink(slack_settings, placeholder[0], "req9")
    sink.started()
    sink.text(QUOTE)
    sink.finished(answer(QUOTE, citations=60))
    message = streamed(slack)
    assert len(message["blocks"]) == 50 and not message["streaming"]
    [overflow] = [c for c in slack.called("chat.postMessage") if c.params.get("blocks")]
    assert overflow.params["thread_ts"] == THREAD
