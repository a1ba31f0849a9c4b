"""Experts per channel (/faq-admin experts) and "Still need help?": the hand-over in the thread,
once per question, and who may mark it resolved. Through the real Bolt app."""

from __future__ import annotations

from sqlalchemy import select

from faqbot.contracts import Answer, AnswerRequest
from faqbot.db import interactions, verified
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.db.models import AuditEntry, Correction, Escalation, VerifiedAnswer
from pipelines.bench.slack_requests import block_action, new_ts, reaction, view_submission

ADMIN, ASKER, EXPERT, GROUPIE = "U0ADMIN01", "U0ASKER01", "U0EXPERT1", "U0GROUPIE"
HELP, OTHER = "C0HELP010", "C0OTHER01"
QUESTION = "Why does the printer on floor 3 say 'held job'?"


def delivered(settings, channel: str = HELP, private: bool = False) -> str:
    """A refused question whose reply is the bot's message in `channel`'s thread."""
    ensure_schema(settings)
    thread = new_ts()
    request = AnswerRequest(
        question=QUESTION, asker=ASKER, channel=channel, thread_ts=thread, private=private
    )
    refusal = Answer(
        question=QUESTION,
        answer="The knowledge base doesn't cover this.",
        citations=[],
        refused=True,
        mode="refused",
        model="m",
        timings_ms={},
    )
    with session_scope(settings) as session:
        interactions.claim(session, request)
        scope = [channel]
        interactions.record_answer(session, request.request_id, refusal, scope=scope, visibility=[])
        interactions.mark_delivered(session, request.request_id, (channel, new_ts()))
    return request.request_id


def press(bot, action_id: str, request_id: str, user: str, channel: str = HELP) -> str:
    """Presses the button and returns the ephemeral note the presser got."""
    before = len(bot.standin.called("response"))
    url = bot.standin.response_url("button")
    bot.interaction(block_action(action_id, request_id, user, channel, url))
    notes = bot.standin.wait_for(lambda: bot.standin.called("response")[before:], timeout_s=5)
    return notes[0].params["text"]


def admin(bot, text: str) -> str:
    """The reply's text: Bolt sends a bare text reply as plain text, one with blocks as JSON."""
    response = bot.command("/faq-admin", text, user=ADMIN)
    is_json = response.headers["content-type"].startswith("application/json")
    return response.json()["text"] if is_json else response.text


def thread_posts(bot, channel: str = HELP) -> list[dict]:
    return [call.params for call in bot.standin.called("chat.postMessage", channel=channel)]


def test_admins_name_a_channels_experts_and_the_change_is_audited(running_bot):
    added = admin(running_bot, f"experts <#{HELP}|help> <@{EXPERT}|ann> <!subteam^S0PRINT|@it>")
    assert f"<!subteam^S0PRINT> <@{EXPERT}> will be asked in <#{HELP}>" in added
    assert "nothing changed" in admin(running_bot, f"experts <#{HELP}> <@{EXPERT}>")
    listing = admin(running_bot, "experts list")
    assert f"<#{HELP}>: <!subteam^S0PRINT> <@{EXPERT}>" in listing
    assert "Removed 1 experts" in admin(running_bot, f"experts remove <#{HELP}> <@{EXPERT}>")
    assert f"<#{HELP}>: <!subteam^S0PRINT>" in admin(running_bot, "experts")
    with session_scope(running_bot.services.settings) as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert actions.count("admin.experts") == 5


def test_bad_experts_input_is_one_line_and_changes_nothing(running_bot):
    cases = {
        f"experts <#{HELP}>": "usage: `/faq-admin experts #channel",
        "experts #help <@U0EXPERT1>": "`#help` is not a channel",
        f"experts <#{HELP}> ann": "`ann` is not a person or user group",
    }
    for text, reason in cases.items():
        reply = admin(running_bot, text)
        assert reply.startswith(":warning:") and reason in reply and "\n" not in reply, text
    assert "No channel has experts yet" in admin(running_bot, "experts list")


def test_still_need_help_tags_the_experts_in_the_thread_once(running_bot):
    admin(running_bot, f"experts <#{HELP}> <@{EXPERT}> <!subteam^S0PRINT>")
    request_id = delivered(running_bot.services.settings)
    assert "asked the channel's experts" in press(running_bot, "escalate", request_id, ASKER)
    [posted] = thread_posts(running_bot)
    assert posted["text"].startswith(f"<!subteam^S0PRINT> <@{EXPERT}>: <@{ASKER}> still needs")
    assert "held job" in posted["text"] and posted["thread_ts"]
    assert "already been handed" in press(running_bot, "escalate", request_id, "U0SOMEONE")
    assert len(thread_posts(running_bot)) == 1
    assert "1 questions waiting for an expert" in admin(running_bot, "escalations")


def test_a_channel_without_experts_names_the_fallback_contact(running_bot):
    request_id = delivered(running_bot.services.settings, channel=OTHER)
    note = press(running_bot, "escalate", request_id, ASKER, channel=OTHER)
    assert running_bot.services.settings.fallback_contact in note
    [posted] = thread_posts(running_bot, OTHER)
    assert posted["text"].startswith(running_bot.services.settings.fallback_contact)


def test_a_private_answer_is_not_posted_where_others_see_it(running_bot):
    request_id = delivered(running_bot.services.settings, channel="D0ASKER01", private=True)
    note = press(running_bot, "escalate", request_id, ASKER, channel="D0ASKER01")
    assert "Only you saw this answer" in note
    assert running_bot.standin.called("chat.postMessage") == []
    with session_scope(running_bot.services.settings) as session:
        assert session.scalar(select(Escalation)) is None


def test_only_the_asker_the_experts_or_an_admin_may_mark_it_resolved(running_bot):
    running_bot.standin.usergroups["S0PRINT"] = [GROUPIE]
    admin(running_bot, f"experts <#{HELP}> <!subteam^S0PRINT>")
    request_id = delivered(running_bot.services.settings)
    press(running_bot, "escalate", request_id, ASKER)
    assert "Only the person who asked" in press(
        running_bot, "resolve_escalation", request_id, "U0STRANGE"
    )
    assert "Marked resolved" in press(running_bot, "resolve_escalation", request_id, GROUPIE)
    assert "already marked resolved" in press(running_bot, "resolve_escalation", request_id, ADMIN)
    [update] = running_bot.standin.called("chat.update")
    assert update.params["text"].startswith(f":white_check_mark: Resolved by <@{GROUPIE}>")
    with session_scope(running_bot.services.settings) as session:
        row = session.scalar(select(Escalation))
        assert (row.status, row.resolved_by) == ("resolved", GROUPIE)
    assert "No questions are waiting" in admin(running_bot, "escalations")


def test_a_hand_over_slack_refused_is_not_recorded_and_can_be_tried_again(running_bot):
    request_id = delivered(running_bot.services.settings)
    running_bot.standin.fail("chat.postMessage", status=200, error="not_in_channel")
    assert "couldn't post in the thread (not_in_channel)" in press(
        running_bot, "escalate", request_id, ASKER
    )
    assert "I've asked" in press(running_bot, "escalate", request_id, ASKER)


def verified_rows(settings) -> list[VerifiedAnswer]:
    with session_scope(settings) as session:
        return session.scalars(select(VerifiedAnswer)).all()


def test_only_an_experts_reply_marked_by_an_expert_or_admin_becomes_a_verified_answer(
    running_bot,
):
    settings, standin = running_bot.services.settings, running_bot.standin
    admin(running_bot, f"experts <#{HELP}> <@{EXPERT}>")
    request_id = delivered(settings)
    press(running_bot, "escalate", request_id, ASKER)
    [handover] = thread_posts(running_bot)
    thread = handover["thread_ts"]
    guess = standin.user_says(HELP, "Maybe restart it?", user="U0GUESSER", thread_ts=thread)
    fix = standin.user_says(HELP, "Tap your badge at the printer.", user=EXPERT, thread_ts=thread)
    for ts, user in ((guess, EXPERT), (fix, "U0STRANGE"), (fix, EXPERT)):  # the last one counts
        running_bot.event(reaction("white_check_mark", channel=HELP, ts=ts, user=user))
    [saved] = standin.wait_for(lambda: verified_rows(settings), timeout_s=10)
    assert (saved.answer, saved.author, saved.verifier) == (
        "Tap your badge at the printer.",
        EXPERT,
        EXPERT,
    )
    assert saved.question == QUESTION and saved.visibility == [HELP]
    running_bot.event(reaction("white_check_mark", channel=HELP, ts=fix, user=ADMIN))  # again
    assert len(verified_rows(settings)) == 1
    with session_scope(settings) as session:
        assert session.scalar(select(Escalation.status)) == "resolved"
    assert any("Saved as verified answer" in p["text"] for p in thread_posts(running_bot))


def test_the_verifier_confirms_or_retires_an_answer_due_for_review(running_bot):
    settings = running_bot.services.settings
    ensure_schema(settings)
    with session_scope(settings) as session:
        ids = [
            verified.verify(
                session,
                question=f"question {n}",
                answer="answer",
                author=EXPERT,
                verifier=EXPERT,
                visibility=[HELP],
                review_days=1,
            )[0].id
            for n in range(2)
        ]
    keep, drop = (str(i) for i in ids)
    assert "Only the person who verified it" in press(running_bot, "verified_confirm", keep, ASKER)
    assert "stays; next review on" in press(running_bot, "verified_confirm", keep, EXPERT)
    assert "is retired" in press(running_bot, "verified_retire", drop, ADMIN)
    assert "no longer served" in press(running_bot, "verified_confirm", drop, EXPERT)
    with session_scope(settings) as session:
        assert [row.question for row in verified.servable(session, [HELP])] == ["question 0"]


def test_the_verifier_edits_an_answer_due_for_review_and_the_edit_is_served(running_bot):
    settings, standin = running_bot.services.settings, running_bot.standin
    ensure_schema(settings)
    with session_scope(settings) as session:
        row, _ = verified.verify(
            session,
            question=QUESTION,
            answer="Tap your badge.",
            author=EXPERT,
            verifier=EXPERT,
            visibility=[HELP],
            review_days=0,
        )
        answer_id = str(row.id)
    assert "Only the person who verified it" in press(
        running_bot, "verified_edit", answer_id, ASKER
    )
    running_bot.interaction(block_action("verified_edit", answer_id, EXPERT, "D0EXPERT1", "x"))
    [opened] = standin.wait_for(lambda: standin.called("views.open"), timeout_s=5)
    assert opened.params["view"]["blocks"][0]["element"]["initial_value"] == "Tap your badge."
    values = {"answer": {"text": {"type": "plain_text_input", "value": "Tap your new badge."}}}
    form = view_submission(EXPERT, "verified_edit", values, private_metadata=answer_id)
    note = running_bot.interaction(form).json()["view"]["blocks"][0]["text"]["text"]
    assert note.startswith(f":pencil2: Verified answer #{answer_id} is served as you edited it")
    with session_scope(settings) as session:
        [served] = verified.servable(session, [HELP])
        assert served.answer == "Tap your new badge." and not verified.is_due_for_review(served)
        assert session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == (
            "answer.edit"
        )


def test_an_experts_correction_is_a_verified_answer_and_a_members_waits_for_review(running_bot):
    settings = running_bot.services.settings
    running_bot.standin.usergroups["S0PRINT"] = [GROUPIE]
    admin(running_bot, f"experts <#{HELP}> <!subteam^S0PRINT>")
    for user, text in ((GROUPIE, "Tap your badge at the printer."), ("U0MEMBER1", "Kick it.")):
        values = {"correction": {"text": {"type": "plain_text_input", "value": text}}}
        form = view_submission(user, "correction", values, private_metadata=delivered(settings))
        running_bot.interaction(form)
    with session_scope(settings) as session:
        [row] = verified.servable(session, [HELP])
        statuses = sorted(session.scalars(select(Correction.status)).all())
    assert (row.answer, row.author, row.visibility) == (
        "Tap your badge at the printer.",
        GROUPIE,
        [HELP],
    )
    assert statuses == ["approved", "pending"]  # the member's waits, and is not served


def test_the_weekly_reports_gap_actions_are_for_admins_and_hand_the_question_over(running_bot):
    """ "Ask experts" on a gap hands its newest question to the channel's experts, in the
    question's own thread; "Add a source" opens the upload form. Nobody else may press them."""
    admin(running_bot, f"experts <#{HELP}> <@{EXPERT}>")
    request_id = delivered(running_bot.services.settings)
    refused = press(running_bot, "gap_ask_experts", request_id, ASKER, channel="C0ADMINS1")
    assert "only for knowledge-base admins" in refused and not thread_posts(running_bot)

    press(running_bot, "gap_ask_experts", request_id, ADMIN, channel="C0ADMINS1")
    [handover] = thread_posts(running_bot)
    assert handover["text"].startswith(f"<@{EXPERT}>: <@{ADMIN}> still needs help")

    running_bot.interaction(block_action("gap_add_source", "add", ADMIN, "C0ADMINS1", "http://x"))
    [form] = running_bot.standin.wait_for(lambda: running_bot.standin.called("views.open"), 5)
    assert form.params["view"]["callback_id"] == "add_source"  # sent as JSON
