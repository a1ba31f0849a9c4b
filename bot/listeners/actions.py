"""Buttons on answers: 👍 records a vote; 👎 records one and asks what the right answer was
(Slack's feedback buttons, or the older vote buttons);
"Still need help?" hands the question to the channel's experts, and "Resolved" closes that;
an admin's Approve / Edit / Reject on `/faq-admin review`, and the actions on each gap of the
weekly report."""

from __future__ import annotations

import re

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import escalation, feedback, review, ui, verification
from bot.admin.auth import AdminCheck, refusal
from bot.services import BotServices
from faqbot.db.review_queue import APPROVE, REJECT
from faqbot.slack import (
    ESCALATE,
    FEEDBACK,
    GAP_ADD_SOURCE,
    GAP_ASK_EXPERTS,
    RESOLVE,
    VERIFIED_CONFIRM,
    VERIFIED_EDIT,
    VERIFIED_RETIRE,
    VOTE_DOWN,
    VOTE_UP,
)

THANKS = "Thanks — your feedback helps the bot get better."


def register(app: App, services: BotServices) -> None:
    def vote(request_id: str, value: int, body: dict, client: WebClient, respond) -> None:
        """One vote per person per answer (the latest wins); a 👎 also asks for the answer."""
        if not feedback.on_button(services.settings, request_id, body["user"]["id"], value):
            return
        if value > 0:
            respond(text=THANKS, response_type="ephemeral", replace_original=False)
        else:
            client.views_open(trigger_id=body["trigger_id"], view=ui.correction_modal(request_id))

    @app.action(FEEDBACK)
    def on_feedback(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond):
        """Slack's feedback buttons: the value says which, and of which answer."""
        ack()
        direction, _, request_id = (action.get("value") or "").partition(" ")
        value = {"up": 1, "down": -1}.get(direction)
        if value and request_id:
            vote(request_id, value, body, client, respond)

    @app.action(re.compile(f"^({VOTE_UP}|{VOTE_DOWN})$"))
    def on_vote(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond) -> None:
        """The buttons of answers posted before the feedback buttons."""
        ack()
        vote(action["value"], 1 if action["action_id"] == VOTE_UP else -1, body, client, respond)

    admins = AdminCheck(services.settings)

    @app.action(ESCALATE)
    def on_escalate(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond):
        ack()
        note = escalation.escalate(services.settings, client, action["value"], body["user"]["id"])
        respond(text=note, response_type="ephemeral", replace_original=False)

    @app.action(RESOLVE)
    def on_resolve(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond):
        ack()
        note = escalation.resolve(
            services.settings,
            client,
            action["value"],
            body["user"]["id"],
            lambda user: admins.allows(user, client),
        )
        respond(text=note, response_type="ephemeral", replace_original=False)

    @app.action(re.compile(f"^({VERIFIED_CONFIRM}|{VERIFIED_RETIRE})$"))
    def on_review(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond):
        ack()
        note = verification.review(
            services.settings,
            action["value"],
            body["user"]["id"],
            keep=action["action_id"] == VERIFIED_CONFIRM,
            is_admin=lambda user: admins.allows(user, client),
        )
        respond(text=note, replace_original=True)

    @app.action(VERIFIED_EDIT)
    def on_verified_edit(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond):
        ack()
        text = verification.editable_text(
            services.settings,
            action["value"],
            body["user"]["id"],
            lambda user: admins.allows(user, client),
        )
        if text is None:
            note = "Only the person who verified it, or an admin, can edit a served answer."
            respond(text=note, response_type="ephemeral", replace_original=False)
            return
        view = ui.review_edit_modal(
            action["value"], text, ui.VERIFIED_EDIT_VIEW, "Edit verified answer", "Save"
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(re.compile(f"^({ui.REVIEW_APPROVE}|{ui.REVIEW_REJECT})$"))
    def on_review_decision(ack: Ack, action: dict, body: dict, client: WebClient, respond):
        ack()
        decision = APPROVE if action["action_id"] == ui.REVIEW_APPROVE else REJECT
        note = review.decide(
            services.settings,
            action["value"],
            decision,
            body["user"]["id"],
            lambda user: admins.allows(user, client),
        )
        respond(text=note, response_type="ephemeral", replace_original=False)

    @app.action(ui.REVIEW_EDIT)
    def on_review_edit(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond):
        ack()
        if not admins.allows(body["user"]["id"], client):
            respond(text=review.NOT_ADMIN, response_type="ephemeral", replace_original=False)
            return
        text = review.text_to_edit(services.settings, action["value"])
        view = ui.review_edit_modal(action["value"], text)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(GAP_ADD_SOURCE)
    def on_gap_add_source(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        if not admins.allows(body["user"]["id"], client):
            respond(
                text=refusal(services.settings), response_type="ephemeral", replace_original=False
            )
            return
        client.views_open(trigger_id=body["trigger_id"], view=ui.add_source_modal())

    @app.action(GAP_ASK_EXPERTS)
    def on_gap_ask_experts(ack: Ack, action: dict, body: dict, client: WebClient, respond):
        """The gap's newest question, handed to its channel's experts in its own thread."""
        ack()
        user = body["user"]["id"]
        if not admins.allows(user, client):
            note = refusal(services.settings)
        else:
            note = escalation.escalate(services.settings, client, action["value"], user)
        respond(text=note, response_type="ephemeral", replace_original=False)
