"""The message shortcut "Add to knowledge base": an admin indexes a thread where someone
already answered the question, as a source visible in that thread's channel."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.admin import subcommands as admin
from bot.admin.auth import AdminCheck, refusal
from bot.services import BotServices
from faqbot.contracts import SourceSpec
from faqbot.slack import ADD_THREAD
from faqbot.source_kinds import thread_target


def register(app: App, services: BotServices) -> None:
    admins = AdminCheck(services.settings)

    @app.shortcut(ADD_THREAD)
    def on_add_thread(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        user, channel = body["user"]["id"], body["channel"]["id"]
        message = body["message"]
        target = thread_target(channel, message.get("thread_ts") or message["ts"])
        if not admins.allows(user, client):
            admin.record(services, user, "add", target, "refused")
            respond(text=refusal(services.settings), response_type="ephemeral")
            return
        call = admin.AdminCall(services, client, user, [target])
        reply = admin.queue_source(call, target, SourceSpec(kind="slack-thread"), [channel])
        admin.record(services, user, "add", target, "ok", kind="slack-thread")
        respond(text=reply["text"], response_type="ephemeral", replace_original=False)
