"""Buttons on answers: 👍 records a vote; 👎 records one and asks what the right answer was."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import feedback, ui
from bot.services import BotServices
from faqbot.slack import VOTE_DOWN, VOTE_UP

THANKS = "Thanks — your feedback helps the bot get better."


def register(app: App, services: BotServices) -> None:
    @app.action(VOTE_UP)
    def on_vote_up(ack: Ack, action: dict, body: dict, respond: Respond) -> None:
        ack()
        if feedback.on_button(services.settings, action["value"], body["user"]["id"], 1):
            respond(text=THANKS, response_type="ephemeral", replace_original=False)

    @app.action(VOTE_DOWN)
    def on_vote_down(ack: Ack, action: dict, body: dict, client: WebClient) -> None:
        ack()
        if feedback.on_button(services.settings, action["value"], body["user"]["id"], -1):
            client.views_open(
                trigger_id=body["trigger_id"], view=ui.correction_modal(action["value"])
            )
