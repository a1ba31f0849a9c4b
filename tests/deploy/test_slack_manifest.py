"""The Slack app manifest asks for exactly what the bot listens to and calls."""

from __future__ import annotations

from pathlib import Path

import yaml
from slack_bolt import App

from bot.listeners import register_all
from bot.services import BotServices
from faqbot.settings import Settings

MANIFEST = Path(__file__).parents[2] / "deploy" / "slack" / "manifest.yml"
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
    "app_home_opened": None,  # needs no scope of its own
}
CALL_SCOPES = {
    "assistant:write",
    "chat:write",
    "commands",
    "files:read",
    "files:write",
    "usergroups:read",
}


def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def handlers(tmp_path) -> set[str]:
    """The names of the listener functions the bot registers."""
    app = App(token="xoxb-unused", signing_secret="unused", token_verification_enabled=False)
    settings = Settings(_env_file=None, data_dir=tmp_path)
    register_all(app, BotServices(settings, dispatcher=None, keys=None))
    return {listener.ack_function.__name__ for listener in app._listeners}


def test_the_manifest_subscribes_to_every_event_and_scope_the_bot_uses_and_no_more():
    settings = manifest()["settings"]
    events = set(settings["event_subscriptions"]["bot_events"])
    assert events == set(EVENT_SCOPES)
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == {scope for scope in EVENT_SCOPES.values() if scope} | CALL_SCOPES
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True


def test_the_manifest_declares_the_slash_commands_the_bot_handles(tmp_path):
    commands = {c["command"]: c for c in manifest()["features"]["slash_commands"]}
    assert set(commands) == {"/ask", "/faq-admin"}
    assert commands["/faq-admin"]["should_escape"] is True  # channel IDs, not names
    assert {
        "on_ask",
        "on_admin",
        "on_mention",
        "on_message",
        "on_reaction_added",
        "on_reaction_removed",
        "on_feedback",
        "on_vote",
        "on_app_home_opened",
    } <= handlers(tmp_path)
