"""The Bolt app: one per bot process, with the listeners registered."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.listeners import register_all
from bot.services import BotServices
from faqbot.slack import web_client

log = logging.getLogger("faqbot.bot")


class SlackSetupError(RuntimeError):
    """The bot cannot talk to Slack as configured (a missing or refused token or secret)."""


def build_app(services: BotServices) -> App:
    """Listeners run before Bolt answers (process_before_response): for a command that means
    its task is on the queue before Slack hears back. Signatures are verified in front of Bolt
    (bot/server.py) because events reach it later, from the inbox; Socket Mode needs none."""
    settings = services.settings
    socket_mode = settings.slack_app_token is not None
    if not socket_mode and settings.slack_signing_secret is None:
        raise SlackSetupError(
            "FAQBOT_SLACK_SIGNING_SECRET is not set: HTTP mode cannot verify Slack's requests "
            "(or set FAQBOT_SLACK_APP_TOKEN for Socket Mode)"
        )
    try:
        client = web_client(settings)
        app = App(
            client=client,
            signing_secret=None
            if socket_mode
            else settings.slack_signing_secret.get_secret_value(),
            request_verification_enabled=False,
            process_before_response=True,
            logger=logging.getLogger("faqbot.bolt"),
        )
    except ValueError as exc:
        raise SlackSetupError(str(exc)) from exc
    except (BoltError, SlackApiError) as exc:
        reason = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)
        raise SlackSetupError(f"Slack refused the bot token ({reason})") from exc
    register_all(app, services)
    return app
