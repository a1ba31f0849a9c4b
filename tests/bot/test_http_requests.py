"""The real Bolt app over HTTP: what Slack's requests turn into before any worker runs."""

from __future__ import annotations

import time

import httpx

from pipelines.bench.slack_requests import mention, message, new_ts
from pipelines.bench.slack_standin import BOT_USER_ID


def placeholders(bot, channel: str):
    return bot.standin.wait_for(
        lambda: bot.standin.called("chat.postMessage", channel=channel), timeout_s=10
    )


def test_health_endpoint_answers_for_probes(running_bot):
    response = httpx.get(f"{running_bot.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "mode": "http", "redis": "ok"}


def test_a_mention_is_acked_enqueued_and_gets_a_placeholder_in_its_thread(running_bot):
    event = mention("How do I fix VPN error 809?", channel="C0HELP001")
    response = running_bot.event(event)
    assert response.status_code == 200
    [task] = running_bot.queued()  # on the queue before Slack got its 200
    assert task["question"] == "How do I fix VPN error 809?"  # the bot's mention removed
    assert (task["channel"], task["thread_ts"], task["asker"]) == (
        "C0HELP001",
        event["ts"],
        "U0ASKER01",
    )
    assert task["reply"]["kind"] == "slack" and task["reply"]["thread_ts"] == event["ts"]
    [placeholder] = placeholders(running_bot, "C0HELP001")
    assert placeholder.params["thread_ts"] == event["ts"]
    assert placeholder.params["text"] == "Searching the knowledge base…"


def test_slack_retries_and_the_message_twin_of_a_mention_give_one_question(running_bot):
    event = mention("Where is the parental leave policy?", channel="C0HELP002")
    assert running_bot.event(event, event_id="Ev0RETRY1").status_code == 200
    retry = running_bot.event(
        event,
        event_id="Ev0RETRY1",
        **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    twin = message(event["text"], channel="C0HELP002", ts=event["ts"])
    assert retry.status_code == 200 and running_bot.event(twin).status_code == 200
    assert len(running_bot.queued()) == 1
    time.sleep(0.5)
    assert len(placeholders(running_bot, "C0HELP002")) == 1


def test_a_wrong_signature_or_a_stale_timestamp_is_refused_and_nothing_is_enqueued(running_bot):
    from pipelines.bench.slack_requests import event_body, signed_headers

    body = event_body(mention("Am I allowed in?", channel="C0HELP003"))
    forged = signed_headers(body, secret="not-the-secret")
    stale = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    for headers in (forged, stale):
        response = httpx.post(f"{running_bot.url}/slack/events", content=body, headers=headers)
        assert response.status_code == 401
    assert running_bot.queued() == []
    assert running_bot.standin.called("chat.postMessage") == []


def test_a_direct_message_is_a_question_answered_in_place(running_bot):
    event = message("what is the PTO carry-over limit?", channel="D0DIRECT1", channel_type="im")
    assert running_bot.event(event).status_code == 200
    [task] = running_bot.queued()
    assert task["channel"] == "D0DIRECT1" and task["thread_ts"] is None
    [placeholder] = placeholders(running_bot, "D0DIRECT1")
    assert placeholder.params.get("thread_ts") in (None, "")


def test_follow_ups_in_a_thread_the_bot_answered_need_no_mention(running_bot):
    first = mention("How do I request a new laptop?", channel="C0HELP004")
    running_bot.event(first)
    follow_up = message("and how long does it take?", channel="C0HELP004", thread_ts=first["ts"])
    elsewhere = message("lunch?", channel="C0HELP004", thread_ts=new_ts())
    running_bot.event(follow_up)
    running_bot.event(elsewhere)
    questions = [task["question"] for task in running_bot.queued()]
    assert questions == ["How do I request a new laptop?", "and how long does it take?"]
    assert running_bot.queued()[1]["thread_ts"] == first["ts"]


def test_an_empty_mention_gets_a_hint_and_no_task(running_bot):
    event = mention("", channel="C0HELP005")
    running_bot.event(event)
    [hint] = placeholders(running_bot, "C0HELP005")
    assert "Ask me a question" in hint.params["text"] and running_bot.queued() == []


def test_the_bots_own_and_other_bots_messages_are_ignored(running_bot):
    own = {**message("an answer", channel="D0DIRECT2", channel_type="im"), "user": BOT_USER_ID}
    other = {**message("beep", channel="D0DIRECT2", channel_type="im"), "bot_id": "B0OTHER"}
    edit = {
        **message("edited", channel="D0DIRECT2", channel_type="im"),
        "subtype": "message_changed",
    }
    for event in (own, other, edit):
        assert running_bot.event(event).status_code == 200
    assert running_bot.queued() == []


def test_ask_acks_an_ephemeral_placeholder_and_replies_on_the_response_url(running_bot):
    url = running_bot.standin.response_url("ask-1")
    response = running_bot.command("/ask", "who approves travel expenses?", response_url=url)
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    assert response.json()["text"].startswith("Searching the knowledge base…")
    [task] = running_bot.queued()
    assert task["question"] == "who approves travel expenses?"
    assert task["reply"]["response_url"] == url


def test_ask_without_a_question_explains_its_usage(running_bot):
    response = running_bot.command("/ask", "   ")
    assert "Usage: `/ask <question>`" in response.text and running_bot.queued() == []
