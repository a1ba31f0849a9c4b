"""`/faq-admin review` through the real Bolt app: corrections and 👍 answers waiting, each with
Approve / Edit / Reject; an approved correction is served as a verified answer in its channel,
and nobody but an admin can decide."""

from __future__ import annotations

import json

from faqbot.db import feedback, verified
from faqbot.db.engine import session_scope
from faqbot.db.models import AuditEntry
from pipelines.bench.slack_requests import block_action, new_ts, view_submission
from tests.bot.test_feedback import (
    ADMIN,
    CHANNEL,
    PHISHING,
    correction_submission,
    delivered_answer,
    stored_corrections,
)


def served(settings) -> list[tuple[str, str, str]]:
    """What the channel's next asker could be given as a verified answer."""
    with session_scope(settings) as session:
        return [(r.answer, r.author, r.verifier) for r in verified.servable(session, [CHANNEL])]


def press(running_bot, action_id: str, value: str, user: str) -> str:
    """Presses a review button; the one-line note the presser is shown."""
    standin = running_bot.standin
    url = standin.response_url(f"review-{new_ts()}")
    running_bot.interaction(block_action(action_id, value, user, CHANNEL, url))
    path = url.removeprefix(standin.base)
    [reply] = standin.wait_for(
        lambda: [c for c in standin.called("response") if c.path == path], timeout_s=5
    )
    return reply.params["text"]


def review_buttons(message: dict) -> list[tuple[str, str]]:
    return [
        (element["action_id"], element["value"])
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_a_members_correction_is_served_only_once_an_admin_approves_it_in_review(running_bot):
    settings = running_bot.services.settings
    request_id = delivered_answer(settings, new_ts())
    running_bot.interaction(correction_submission(request_id, "U0MEMBER1", PHISHING))
    assert stored_corrections(settings) == [("U0MEMBER1", "pending")] and served(settings) == []

    listed = running_bot.command("/faq-admin", "review", user=ADMIN).json()
    assert "Correction *#1* from <@U0MEMBER1>" in json.dumps(listed, ensure_ascii=False)
    assert review_buttons(listed) == [
        ("review_approve", "correction:1"),
        ("review_edit", "correction:1"),
        ("review_reject", "correction:1"),
    ]
    refused = press(running_bot, "review_approve", "correction:1", "U0MEMBER1")
    assert refused == "Only knowledge-base admins can review corrections and answers."
    assert served(settings) == []

    approved = press(running_bot, "review_approve", "correction:1", ADMIN)
    assert approved.startswith(":white_check_mark: Correction #1 approved: served from now on")
    assert served(settings) == [(PHISHING, "U0MEMBER1", ADMIN)]
    nothing = running_bot.command("/faq-admin", "review", user=ADMIN)
    assert nothing.text == "Nothing is waiting for review."  # a text-only ack is plain text

    rejected = press(running_bot, "review_reject", "correction:1", ADMIN)
    assert "rejected" in rejected and "is retired" in rejected
    assert served(settings) == [] and stored_corrections(settings) == [("U0MEMBER1", "rejected")]
    with session_scope(settings) as session:
        actions = [a.action for a in session.query(AuditEntry).order_by(AuditEntry.id)]
    assert [a for a in actions if a.startswith("review.")] == ["review.approve", "review.reject"]


def test_an_admin_edits_a_liked_answer_and_the_edit_is_served(running_bot):
    settings, standin = running_bot.services.settings, running_bot.standin
    request_id = delivered_answer(settings, new_ts())
    with session_scope(settings) as session:
        answer = feedback.by_request(session, request_id)
        for voter in ("U1", "U2"):
            feedback.cast(session, answer, voter, 1, feedback.BUTTON)
        answer_id = answer.id

    listed = running_bot.command("/faq-admin", "review", user=ADMIN).json()
    assert f"*Answer #{answer_id}* · 👍 2 in <#{CHANNEL}>" in listed["blocks"][1]["text"]["text"]
    key = f"answer:{answer_id}"
    running_bot.interaction(block_action("review_edit", key, ADMIN, CHANNEL, "http://unused"))
    [opened] = standin.wait_for(lambda: standin.called("views.open"), timeout_s=5)
    form = opened.params["view"]  # sent as JSON
    assert form["private_metadata"] == key
    assert form["blocks"][0]["element"]["initial_value"] == "Use the self-service portal [1]."

    edited = "Reset it in the self-service portal at https://id.example.com."
    values = {"answer": {"text": {"type": "plain_text_input", "value": edited}}}
    response = running_bot.interaction(
        view_submission(ADMIN, "review_edit", values, private_metadata=key)
    ).json()
    assert response["response_action"] == "update"
    assert "approved as you edited it" in response["view"]["blocks"][0]["text"]["text"]
    assert served(settings) == [(edited, ADMIN, ADMIN)]
    with session_scope(settings) as session:
        from faqbot.db.reviews import marks

        assert marks(session) == {answer_id: "approved"}


def test_an_empty_edit_is_refused_in_the_form_and_a_bad_key_changes_nothing(running_bot):
    settings = running_bot.services.settings
    delivered_answer(settings, new_ts())
    values = {"answer": {"text": {"type": "plain_text_input", "value": "  "}}}
    response = running_bot.interaction(
        view_submission(ADMIN, "review_edit", values, private_metadata="correction:1")
    ).json()
    assert response == {
        "response_action": "errors",
        "errors": {"answer": "Write the answer to approve."},
    }
    note = press(running_bot, "review_approve", "correction:99", ADMIN)
    assert note == ":warning: correction 99: no such correction; nothing was changed."
    note = press(running_bot, "review_approve", "bogus", ADMIN)
    assert note == (
        ":warning: review item 'bogus': not a correction or answer number; nothing was changed."
    )
    assert served(settings) == []
