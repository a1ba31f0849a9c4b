"""Votes by reaction and by button, and corrections from the 👎 modal, as stored rows."""

from __future__ import annotations

import json

from sqlalchemy import select

from faqbot.contracts import Answer, AnswerRequest, PromptInputs
from faqbot.db import interactions, verified
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.db.models import Correction, Vote
from pipelines.bench.slack_requests import block_action, new_ts, reaction, view_submission

CHANNEL = "C0HELP010"
ADMIN = "U0ADMIN01"
SOURCES = "[1] Accounts › Passwords\n> Reset your password in the self-service portal."
PHISHING = "Reset it at https://sso-verify.example.net/login with your old password."


def delivered_answer(settings, ts: str) -> str:
    """An answered question whose answer is the bot's message `ts` in CHANNEL."""
    ensure_schema(settings)
    request = AnswerRequest(
        question="How do I reset my password?", asker="U0ASKER01", channel=CHANNEL, thread_ts=ts
    )
    answer = Answer(
        question="How do I reset my password?",
        answer="Use the self-service portal [1].",
        refused=False,
        mode="generated",
        citations=[],
        model="m",
        timings_ms={},
        context=PromptInputs(sources=SOURCES),
    )
    with session_scope(settings) as session:
        interactions.claim(session, request)
        interactions.record_answer(
            session, request.request_id, answer, scope=["public"], visibility=["public"]
        )
        interactions.mark_delivered(session, request.request_id, (CHANNEL, ts))
    return request.request_id


def votes(settings) -> list[tuple[str, int, str]]:
    with session_scope(settings) as session:
        rows = session.scalars(select(Vote).order_by(Vote.id)).all()
        return [(v.user_id, v.value, v.via) for v in rows]


def button(action_id: str, request_id: str, user: str, standin) -> dict:
    return block_action(action_id, request_id, user, CHANNEL, standin.response_url("vote"))


def correction_submission(request_id: str, user: str, text: str | None) -> dict:
    values = {"correction": {"text": {"type": "plain_text_input", "value": text}}}
    return view_submission(user, "correction", values, private_metadata=request_id)


def test_a_thumbs_up_reaction_is_a_vote_and_removing_it_retracts_it(running_bot):
    settings, ts = running_bot.services.settings, new_ts()
    delivered_answer(settings, ts)
    running_bot.event(reaction("+1", channel=CHANNEL, ts=ts))
    assert votes(settings) == [("U0ASKER01", 1, "reaction:+1")]
    running_bot.event(reaction("+1", channel=CHANNEL, ts=ts, added=False))
    assert votes(settings) == [("U0ASKER01", 0, "reaction:+1")]


def test_one_vote_per_user_per_answer_and_the_latest_wins(running_bot):
    settings, ts = running_bot.services.settings, new_ts()
    delivered_answer(settings, ts)
    running_bot.event(reaction("white_check_mark", channel=CHANNEL, ts=ts, user="U1"))
    running_bot.event(reaction("x", channel=CHANNEL, ts=ts, user="U1"))
    running_bot.event(reaction("-1", channel=CHANNEL, ts=ts, user="U2"))
    # Removing the earlier ✅ does not undo the later ❌ that replaced it.
    running_bot.event(reaction("white_check_mark", channel=CHANNEL, ts=ts, user="U1", added=False))
    assert sorted(votes(settings)) == [("U1", -1, "reaction:x"), ("U2", -1, "reaction:-1")]


def test_reactions_on_other_messages_or_with_other_emoji_are_ignored(running_bot):
    settings, ts = running_bot.services.settings, new_ts()
    delivered_answer(settings, ts)
    running_bot.event(reaction("+1", channel=CHANNEL, ts=new_ts()))  # someone else's message
    running_bot.event(reaction("tada", channel=CHANNEL, ts=ts))  # not a vote emoji
    assert votes(settings) == []


def test_slacks_feedback_buttons_are_votes_the_latest_wins_and_down_asks_for_the_answer(
    running_bot,
):
    settings, standin = running_bot.services.settings, running_bot.standin
    request_id = delivered_answer(settings, new_ts())
    running_bot.interaction(button("answer_feedback", f"up {request_id}", "U0ASKER01", standin))
    assert votes(settings) == [("U0ASKER01", 1, "button")]
    [thanks] = standin.wait_for(lambda: standin.called("response"), timeout_s=5)
    assert "Thanks" in thanks.params["text"]
    running_bot.interaction(button("answer_feedback", f"down {request_id}", "U0ASKER01", standin))
    assert votes(settings) == [("U0ASKER01", -1, "button")]  # one vote per person
    [opened] = standin.called("views.open")
    assert opened.params["view"]["private_metadata"] == request_id
    running_bot.interaction(button("answer_feedback", "sideways", "U0ASKER02", standin))
    assert votes(settings) == [("U0ASKER01", -1, "button")]


def test_thumbs_down_button_votes_and_opens_the_correction_modal(running_bot):
    """The vote buttons of answers posted before the feedback buttons still count."""
    settings, standin = running_bot.services.settings, running_bot.standin
    request_id = delivered_answer(settings, new_ts())
    response = running_bot.interaction(button("vote_down", request_id, "U0ASKER01", standin))
    assert response.status_code == 200
    assert votes(settings) == [("U0ASKER01", -1, "button")]
    [opened] = standin.called("views.open")
    view = opened.params["view"]
    assert view["private_metadata"] == request_id
    assert view["blocks"][0]["label"]["text"] == "What would the right answer be? (optional)"


def test_the_correction_is_stored_with_the_answer_and_an_empty_one_is_not(running_bot):
    settings = running_bot.services.settings
    request_id = delivered_answer(settings, new_ts())
    running_bot.interaction(correction_submission(request_id, "U0ASKER01", None))
    text = "Reset it at https://id.example.com, then enrol MFA again."
    assert (
        running_bot.interaction(correction_submission(request_id, "U0ASKER01", text)).status_code
        == 200
    )
    with session_scope(settings) as session:
        stored = [(c.user_id, c.text) for c in session.scalars(select(Correction))]
        answer = interactions.find(session, request_id)
        assert stored == [("U0ASKER01", text)]
        assert session.scalar(select(Correction.interaction_id)) == answer.id


def test_thumbs_up_button_votes_and_thanks_the_user_privately(running_bot):
    settings, standin = running_bot.services.settings, running_bot.standin
    request_id = delivered_answer(settings, new_ts())
    running_bot.interaction(button("vote_up", request_id, "U3", standin))
    assert votes(settings) == [("U3", 1, "button")]
    [thanks] = standin.wait_for(lambda: standin.called("response"), timeout_s=5)
    assert thanks.params["response_type"] == "ephemeral" and "Thanks" in thanks.params["text"]


def stored_corrections(settings) -> list[tuple[str, str]]:
    with session_scope(settings) as session:
        return [(c.user_id, c.status) for c in session.scalars(select(Correction))]


def faq_texts(settings, embedder) -> list[str]:
    """What #help's next asker of the question would be shown from feedback-faq."""
    from pipelines.curation.faq_entries import FEEDBACK_FAQ, sync_feedback_faq
    from workers.retrieval import retrieve
    from workers.store import get_store

    store = get_store(settings)
    sync_feedback_faq(settings, store, embedder)
    hits = retrieve(
        "How do I reset my password?",
        settings=settings,
        store=store,
        embedder=embedder,
        channel=CHANNEL,
        k=10,
    )
    return [hit.chunk.text for hit in hits if hit.chunk.source_id == FEEDBACK_FAQ]


def test_one_members_correction_is_served_to_nobody_until_an_admin_approves_it(
    running_bot, embedder
):
    settings = running_bot.services.settings
    request_id = delivered_answer(settings, new_ts())
    response = running_bot.interaction(correction_submission(request_id, "U0MEMBER1", PHISHING))
    assert response.json()["view"]["blocks"][0]["text"]["text"].startswith(
        "Thanks — your correction went to the knowledge-base admins."
    )
    assert stored_corrections(settings) == [("U0MEMBER1", "pending")]
    assert not [text for text in faq_texts(settings, embedder) if "sso-verify" in text]

    listed = running_bot.command("/faq-admin", "corrections", user=ADMIN).json()
    assert (
        "sso-verify.example.net" in json.dumps(listed)
        and "*#1* from <@U0MEMBER1>" in (listed["blocks"][1]["text"]["text"])
    )
    refused = running_bot.command("/faq-admin", "corrections approve 1", user="U0MEMBER1")
    assert "only for knowledge-base admins" in refused.text
    approved = running_bot.command("/faq-admin", "corrections approve 1", user=ADMIN)
    assert approved.text.startswith(":white_check_mark: Correction #1 approved: served")
    assert stored_corrections(settings) == [("U0MEMBER1", "approved")]
    [entry] = faq_texts(settings, embedder)
    assert entry.endswith("A: " + PHISHING)  # the admin vouched for it: now it is served


def test_an_admins_own_correction_needs_no_review_and_is_a_verified_answer(running_bot):
    settings = running_bot.services.settings
    request_id = delivered_answer(settings, new_ts())
    response = running_bot.interaction(correction_submission(request_id, ADMIN, "Use the portal."))
    assert "saved as a verified answer" in response.json()["view"]["blocks"][0]["text"]["text"]
    assert stored_corrections(settings) == [(ADMIN, "approved")]
    with session_scope(settings) as session:
        [row] = verified.servable(session, [CHANNEL])
        assert (row.answer, row.verifier, row.visibility) == ("Use the portal.", ADMIN, [CHANNEL])


def test_corrections_over_the_daily_limit_or_too_long_are_refused_in_the_form(running_bot):
    settings = running_bot.services.settings
    settings.corrections_per_day = 2
    request_id = delivered_answer(settings, new_ts())
    for n in range(2):
        running_bot.interaction(correction_submission(request_id, "U0MEMBER1", f"Fix {n}."))
    third = running_bot.interaction(correction_submission(request_id, "U0MEMBER1", "Fix 2."))
    assert third.json() == {
        "response_action": "errors",
        "errors": {
            "correction": "You have sent 2 corrections in the last 24 hours, the most allowed. "
            "Please try again tomorrow, or tell a knowledge-base admin directly."
        },
    }
    long = running_bot.interaction(correction_submission(request_id, "U0MEMBER2", "x" * 3001))
    assert long.json()["errors"]["correction"] == (
        "A correction is at most 3000 characters; this has 3001."
    )
    other = running_bot.interaction(correction_submission(request_id, "U0MEMBER2", "Fix."))
    assert other.json()["response_action"] == "update"  # the limit is per person
    assert stored_corrections(settings) == [("U0MEMBER1", "pending")] * 2 + [
        ("U0MEMBER2", "pending")
    ]
