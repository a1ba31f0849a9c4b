"""Bolt listeners, one module per kind of Slack request; each has `register(app, services)`."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events, shortcuts, views
from bot.services import BotServices


def register_all(app: App, services: BotServices) -> None:
    for module in (events, commands, actions, shortcuts, views):
        module.register(app, services)
