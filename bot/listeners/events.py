"""Events: @mentions, DMs and follow-ups in threads the bot answered become questions;
reactions on the bot's answers become votes, and ✅ on an expert's reply a verified answer;
opening the app's Messages tab shows suggested prompts."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot import feedback, messages_tab, verification
from bot.admin.auth import AdminCheck
from bot.questions import is_followed_thread, take_message
from bot.services import BotServices

log = logging.getLogger("faqbot.bot")


def register(app: App, services: BotServices) -> None:
    @app.event("app_mention")
    def on_mention(event: dict, client: WebClient, context: BoltContext) -> None:
        take_message(services, client, event, bot_user_id=context.bot_user_id, direct=False)

    @app.event("message")
    def on_message(event: dict, client: WebClient, context: BoltContext) -> None:
        if event.get("subtype") or event.get("bot_id"):
            return  # edits, joins, other bots' and our own messages
        if event.get("channel_type") == "im":
            take_message(services, client, event, bot_user_id=context.bot_user_id, direct=True)
        elif is_followed_thread(services, event):
            take_message(services, client, event, bot_user_id=context.bot_user_id, direct=False)

    admins = AdminCheck(services.settings)

    @app.event("reaction_added")
    def on_reaction_added(event: dict, client: WebClient) -> None:
        """A vote on the bot's answer, or ✅ on an expert's reply in a handed-over thread."""
        if feedback.on_reaction(services.settings, event, added=True) is None:
            verification.on_reaction(
                services.settings, client, event, lambda user: admins.allows(user, client)
            )

    @app.event("reaction_removed")
    def on_reaction_removed(event: dict) -> None:
        feedback.on_reaction(services.settings, event, added=False)

    @app.event("app_home_opened")
    def on_app_home_opened(event: dict, client: WebClient, context: BoltContext) -> None:
        """The Messages tab: suggested prompts, and a welcome the first time."""
        messages_tab.on_opened(services, client, event, context.get("set_suggested_prompts"))
