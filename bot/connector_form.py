"""The form `/faq-admin add <url>` opens for a website, a Git repository, Confluence, a Drive
folder or Notion: what the kind needs (depth and page count; branch and file glob; the
credential's name and the service's groups mapped to channels), who may see it, and how often
it is synced. Credentials never go through Slack: the form takes the name of a secret the
workers hold, never the secret."""

from __future__ import annotations

import json

from pydantic import ValidationError

from bot.ui import visibility_input
from faqbot.contracts import SourceSpec
from faqbot.settings import Settings
from faqbot.visibility import parse_group_channels

ADD_CONNECTOR_VIEW = "add_connector"
TITLES = {
    "git": "Add a Git repository",
    "website": "Add a website",
    "confluence": "Add from Confluence",
    "drive": "Add a Drive folder",
    "notion": "Add from Notion",
}
SYNC_CHOICES = (("1", "every hour"), ("6", "every 6 hours"), ("24", "daily"),
                ("168", "weekly"), ("0", "never"))  # fmt: skip


class FormError(Exception):
    """A field the admin must fix: shown under that field in the form."""

    def __init__(self, block_id: str, message: str):
        super().__init__(message)
        self.block_id = block_id


def connector_modal(kind: str, url: str, channels: list[str], settings: Settings) -> dict:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{url}*"}},
        *_fields(kind, settings),
        visibility_input(channels),
        {
            "type": "input",
            "block_id": "sync",
            "label": _plain("Sync"),
            "element": {
                "type": "static_select",
                "action_id": "hours",
                "options": [_option(value, label) for value, label in SYNC_CHOICES],
                "initial_option": _option("24", "daily"),
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": ADD_CONNECTOR_VIEW,
        "private_metadata": json.dumps({"kind": kind, "url": url}),
        "title": _plain(TITLES[kind]),
        "submit": _plain("Index"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


def _fields(kind: str, settings: Settings) -> list[dict]:
    if kind == "git":
        return _git_fields()
    if kind == "website":
        return _website_fields(settings)
    credential = _text_input("credential", "Credential", "the name of a secret on the workers")
    credential["optional"] = False
    fields = [credential]
    if kind != "notion":  # Notion shows an integration no permissions to map
        groups = _text_input("groups", "Who may read it there → channels",
                             "hr-team=C0HR00001; staff=public (needed if it is restricted)")  # fmt: skip
        groups["element"]["multiline"] = True
        fields.append(groups)
    return fields


def _git_fields() -> list[dict]:
    return [
        _text_input("branch", "Branch", "the repository's default branch"),
        _text_input("paths", "Files", "docs/*.md, *.txt (default: every Markdown and text file)"),
    ]


def _website_fields(settings: Settings) -> list[dict]:
    return [
        _number_input("depth", "Links to follow from this page", settings.crawl_depth, 0, 10),
        _number_input("max_pages", "Most pages", settings.crawl_max_pages, 1, 10_000),
    ]


def submitted(view: dict) -> tuple[str, SourceSpec, list[str]]:
    """The URL, how to read it, and its visibility, from a submitted form."""
    meta, values = json.loads(view["private_metadata"]), view["state"]["values"]
    names = ("branch", "paths", "depth", "max_pages", "credential")
    fields = {key: _value(values, key) for key in names}
    fields = {key: value for key, value in fields.items() if value not in (None, "")}
    try:
        fields["groups"] = parse_group_channels(_value(values, "groups"))
    except ValueError as exc:
        raise FormError("groups", str(exc)) from exc
    hours = values["sync"]["hours"]["selected_option"]["value"]
    try:
        spec = SourceSpec(kind=meta["kind"], sync_hours=float(hours), **fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise FormError(str(error["loc"][0]), error["msg"]) from exc
    channels = values.get("visibility", {}).get("channels", {}).get("selected_conversations")
    return meta["url"], spec, channels or ["public"]


def _value(values: dict, block_id: str) -> str | None:
    element = values.get(block_id, {}).get(block_id, {})
    value = element.get("value")
    return value.strip() if isinstance(value, str) else value


def _text_input(block_id: str, label: str, placeholder: str) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": _plain(label),
        "element": {
            "type": "plain_text_input",
            "action_id": block_id,
            "max_length": 200,
            "placeholder": _plain(placeholder),
        },
    }


def _number_input(block_id: str, label: str, initial: int, low: int, high: int) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": {
            "type": "number_input",
            "action_id": block_id,
            "is_decimal_allowed": False,
            "initial_value": str(initial),
            "min_value": str(low),
            "max_value": str(high),
        },
    }


def _option(value: str, label: str) -> dict:
    return {"text": _plain(label), "value": value}


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}
