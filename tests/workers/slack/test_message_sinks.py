"""How the workers' replies look in Slack and how they behave when Slack or the bot misbehaves:
escaped text, Slack's size limits, a missing placeholder, rate limits."""

from __future__ import annotations

import pytest

from faqbot import keys
from faqbot.contracts import Answer, Citation, IngestReport, Reply, Verification
from faqbot.errors import TransientError
from faqbot.shared_state import shared_keys
from pipelines.bench.slack_standin import TOKEN
from workers.slack import blocks as ui
from workers.slack import message_sinks


def answer(text: str = "Reset it in the portal [1].", citations: int = 1) -> Answer:
    cited = [
        Citation(
            n=n,
            source_id="hb",
            title=f"Guide <{n}> & co",
            document="guide.md",
            url="https://intra.example/guide?a=1&b=2",
            chunk_id=f"c{n}",
            snippet="Press <b>Reset</b> & wait",
        )
        for n in range(1, citations + 1)
    ]
    return Answer(
        question="How do I reset it?",
        answer=text,
        citations=cited,
        refused=False,
        mode="generated",
        model="microsoft/Phi-3-mini-4k-instruct",
        adapter="2026-11-20-a",
        timings_ms={},
    )


def test_text_from_documents_and_the_model_cannot_ping_or_inject_markup():
    result = answer("Ask <!channel> & <@U123> about <https://evil.example|this>")
    rendered = str(ui.answer_blocks(result, "r" * 32))
    assert "<!channel>" not in rendered and "<@U123>" not in rendered
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in rendered
    assert "<https://intra.example/guide?a=1&b=2|[1] Guide &lt;1&gt; &amp; co>" in rendered
    assert ">Press &lt;b&gt;Reset&lt;/b&gt; &amp; wait" in rendered


def test_the_answer_block_has_sources_a_footer_naming_model_and_adapter_and_its_buttons():
    blocks = ui.answer_blocks(answer(), "abcdef0123456789")
    kinds = [block["type"] for block in blocks]
    assert kinds == ["section", "divider", "section", "section", "context", "context_actions"] + [
        "actions"
    ]
    assert blocks[2]["text"]["text"] == "*Sources*"
    footer = blocks[4]["elements"][0]["text"]
    assert "microsoft/Phi-3-mini-4k-instruct" in footer and "2026-11-20-a" in footer
    assert "`abcdef01`" in footer
    [feedback] = blocks[5]["elements"]  # Slack's own 👍 / 👎
    assert (feedback["type"], feedback["action_id"]) == ("feedback_buttons", "answer_feedback")
    assert feedback["positive_button"]["value"] == "up abcdef0123456789"
    assert feedback["negative_button"]["value"] == "down abcdef0123456789"
    assert [(b["action_id"], b["value"]) for b in blocks[6]["elements"]] == [
        ("escalate", "abcdef0123456789")
    ]


def test_long_answers_are_split_within_slacks_limits():
    long_text = " ".join(["The VPN & the proxy <both> need a restart."] * 400)  # ~17,000 chars
    blocks = ui.answer_blocks(answer(long_text, citations=60), "r" * 32)
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    messages = ui.split_messages(blocks)
    assert len(messages) == 2 and all(len(m) <= 50 for m in messages)
    joined = " ".join(b["text"]["text"] for b in blocks[:7] if b["type"] == "section")
    assert "&amp;" in joined and "&am " not in joined  # never cut inside an escape


def test_the_worker_edits_the_bots_placeholder_and_posts_overflow_in_the_thread(
    slack_settings, slack
):
    from slack_sdk import WebClient

    posted = WebClient(token=TOKEN, base_url=slack.api_url).chat_postMessage(
        channel="C0IT00001", thread_ts="1.000001", text="Searching the knowledge base…"
    )
    reply = Reply(
        kind="slack", key=keys.placeholder("req1"), channel="C0IT00001", thread_ts="1.000001"
    )
    shared_keys(slack_settings).put(reply.key, f"C0IT00001 {posted['ts']}", 60)
    sink = message_sinks.SlackMessageSink(slack_settings, reply, "req1", "answer")
    sink.started()
    sink.text("Reset it in")
    sink.finished(answer(citations=60))
    assert sink.location() == ("C0IT00001", posted["ts"])
    final = slack.messages[("C0IT00001", posted["ts"])]
    assert len(final["blocks"]) == 50
    [overflow] = [c for c in slack.called("chat.postMessage") if c.params.get("blocks")]
    assert overflow.params["thread_ts"] == "1.000001"


def test_when_the_bot_never_posted_a_placeholder_the_worker_posts_its_own(
    slack_settings, slack, monkeypatch
):
    monkeypatch.setattr(message_sinks, "PLACEHOLDER_WAIT_S", 0.2)
    reply = Reply(kind="slack", key=keys.placeholder("req2"), channel="C0IT00002", thread_ts="2.0")
    sink = message_sinks.SlackMessageSink(slack_settings, reply, "req2", "answer")
    sink.finished(answer())
    [own] = slack.called("chat.postMessage", channel="C0IT00002")
    assert own.params["thread_ts"] == "2.0"
    assert "answer_feedback" in str(slack.messages[sink.location()]["blocks"])
    # The bot's late placeholder then loses: the key already names the worker's message.
    assert shared_keys(slack_settings).get(reply.key) == " ".join(sink.location())


def test_a_failure_replaces_the_placeholder_with_an_apology_and_a_reference(
    slack_settings, slack, monkeypatch
):
    monkeypatch.setattr(message_sinks, "PLACEHOLDER_WAIT_S", 0)
    reply = Reply(kind="slack", key=keys.placeholder("req3"), channel="C0IT00003")
    sink = message_sinks.SlackMessageSink(slack_settings, reply, "req3", "answer")
    sink.failed("the knowledge store is unreachable", reference="req3abcd")
    text = slack.messages[sink.location()]["text"]
    assert text.startswith(":warning: Sorry") and "`req3abcd`" in text


def test_an_askers_apology_names_no_internals_and_the_log_has_them(
    slack_settings, slack, monkeypatch, caplog
):
    monkeypatch.setattr(message_sinks, "PLACEHOLDER_WAIT_S", 0)
    reply = Reply(kind="slack", key=keys.placeholder("req5"), channel="C0IT00005")
    sink = message_sinks.SlackMessageSink(slack_settings, reply, "req5", "answer")
    detail = "StoreUnavailable: Could not connect to Weaviate at http://weaviate:8080"
    sink.failed(detail, reference="req5abcd")
    text = slack.messages[sink.location()]["text"]
    assert text == (
        ":warning: Sorry, I couldn't finish this. Reference `req5abcd` — please "
        "try again in a few minutes."
    )
    assert "req5abcd" in caplog.text and "http://weaviate:8080" in caplog.text


def test_an_admins_job_report_says_what_failed(slack_settings, slack, monkeypatch):
    monkeypatch.setattr(message_sinks, "PLACEHOLDER_WAIT_S", 0)
    reply = Reply(kind="slack", key=keys.placeholder("req6"), channel="U0ADMIN01")
    sink = message_sinks.SlackMessageSink(slack_settings, reply, "req6", "report")
    sink.failed("the folder has no files", reference="req6abcd")
    assert "(the folder has no files)" in slack.messages[sink.location()]["text"]


def test_streamed_text_is_escaped_in_the_fallback_too(slack_settings, slack, monkeypatch):
    monkeypatch.setattr(message_sinks, "PLACEHOLDER_WAIT_S", 0)
    reply = Reply(kind="slack", key=keys.placeholder("req7"), channel="C0IT00007")
    sink = message_sinks.SlackMessageSink(slack_settings, reply, "req7", "answer")
    sink.text("Use <tel:+19005550100|IT desk> & <b>reset</b>")
    [update] = slack.called("chat.update")
    assert (
        update.params["text"]
        == "Use &lt;tel:+19005550100|IT desk&gt; &amp; &lt;b&gt;reset&lt;/b&gt;"
    )


def test_slack_rate_limits_on_the_final_edit_become_a_retry_after_slacks_wait(
    slack_settings, slack, monkeypatch
):
    monkeypatch.setattr(message_sinks, "PLACEHOLDER_WAIT_S", 0)
    reply = Reply(kind="slack", key=keys.placeholder("req4"), channel="C0IT00004")
    sink = message_sinks.SlackMessageSink(slack_settings, reply, "req4", "answer")
    sink.started()
    slack.fail("chat.update", times=3, status=429, retry_after=0)  # more than the client retries
    with pytest.raises(TransientError) as raised:
        sink.finished(answer())
    assert raised.value.retry_after == 0 or raised.value.retry_after is None
    sink.finished(answer())  # the task's retry: delivered
    assert "answer_feedback" in str(slack.messages[sink.location()]["blocks"])


def test_ingestion_reports_reach_the_admin_as_text():
    report = IngestReport(source_id="parking-1a2b3c", files=1, chunks=3, changed=1, skipped=2,
                          seconds=1.2, errors=["a.pdf: <bad> file"])  # fmt: skip
    text, blocks = message_sinks.rendered(report, "r")
    assert text.startswith(
        ":white_check_mark: Source `parking-1a2b3c`: 1 files read, 3 chunks indexed (1 "
        "documents new or changed), 0 unchanged, 0 removed, 2 left out as restricted in 1.2 s."
    )
    assert "a.pdf: &lt;bad&gt; file" in text and blocks[0]["type"] == "section"


def test_a_verified_answer_says_who_verified_it_and_when_it_may_be_out_of_date():
    badge = Verification(verified_answer_id=7, verifier="U0EXPERT1", verified_on="2026-12-01")
    fresh = answer().model_copy(update={"mode": "verified", "verification": badge})
    stale = fresh.model_copy(
        update={"verification": badge.model_copy(update={"out_of_date": True})}
    )
    first = ui.answer_blocks(fresh, "r" * 32)[0]["elements"][0]["text"]
    assert first == ":white_check_mark: Verified by <@U0EXPERT1> on 2026-12-01"
    assert "may be out of date" in ui.answer_blocks(stale, "r" * 32)[0]["elements"][0]["text"]


def test_lists_and_tables_are_drawn_as_markdown_and_plain_answers_as_sections():
    listed = answer("Do this:\n1. Open the portal [1].\n2. Press *Reset* <now>.")
    [body, *_] = ui.answer_blocks(listed, "r" * 32)
    assert body == {
        "type": "markdown",
        "text": "Do this:\n1. Open the portal [1].\n2. Press *Reset* &lt;now&gt;.",
    }
    table = answer("| Error | Fix |\n|---|---|\n| 809 | Use TLS [1] |")
    assert ui.answer_blocks(table, "r" * 32)[0]["type"] == "markdown"
    plain = answer("Reset it in the portal - it takes a minute [1].")
    assert ui.answer_blocks(plain, "r" * 32)[0]["type"] == "section"
    long_list = answer("\n".join(f"- step {n} of many" for n in range(800)))  # over 12,000
    assert ui.answer_blocks(long_list, "r" * 32)[0]["type"] == "section"
