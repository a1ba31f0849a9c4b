"""Slash commands: /ask (an answer only the asker sees) and /faq-admin."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import ui
from bot.admin import subcommands as admin
from bot.admin.auth import AdminCheck, refusal
from bot.admin.parsing import AdminInputError, parse
from bot.questions import HINT, PLACEHOLDER, not_queued, record_taken, screen
from bot.services import BotServices
from faqbot.contracts import ANSWER, AnswerRequest, Reply
from faqbot.slack import escape


def register(app: App, services: BotServices) -> None:
    admins = AdminCheck(services.settings)

    @app.command("/ask")
    def on_ask(ack: Ack, command: dict) -> None:
        question = " ".join((command.get("text") or "").split())
        notice = screen(services, command["user_id"], question)
        if notice:  # the ack is Slack's answer to the command itself: no post, always sent
            ack(ui.ask_usage() if notice.kind == HINT and not question else notice.text)
            return
        request = AnswerRequest(
            question=question,
            asker=command["user_id"],
            channel=command.get("channel_id"),
            private=True,
        )
        request.reply = Reply(kind="slack", response_url=command["response_url"])
        try:
            services.dispatcher.submit(ANSWER, request)
        except Exception as exc:  # noqa: BLE001 - whatever the queue's failure, the asker hears
            ack(response_type="ephemeral", text=not_queued(services, request, exc))
            return
        record_taken(services, request)
        ack(response_type="ephemeral", text=f"{PLACEHOLDER}\n>{escape(question)}")

    @app.command("/faq-admin")
    def on_admin(ack: Ack, command: dict, client: WebClient) -> None:
        user, text = command["user_id"], command.get("text") or ""
        if not admins.allows(user, client):
            admin.record(services, user, "command", text, "refused")
            ack(refusal(services.settings))
            return
        try:
            parsed = parse(text)
        except AdminInputError as exc:
            admin.record(services, user, "command", text, "invalid", reason=str(exc))
            ack(f":warning: {exc}")
            return
        ack(**admin.run(services, client, user, parsed, command.get("trigger_id")))
