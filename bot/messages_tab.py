"""The app's Messages tab: when someone opens it, the suggested prompts (the questions people
asked most this month, computed each day by a worker) and, the first time, a short welcome
that says what the bot knows and how to ask."""

from __future__ import annotations

import json
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import BotServices
from faqbot import keys
from faqbot.db import sources
from faqbot.db.engine import session_scope
from faqbot.slack import escape
from faqbot.visibility import is_public

log = logging.getLogger("faqbot.bot")
PROMPTS_TITLE = "People often ask"
LISTED_SOURCES = 10


def on_opened(services: BotServices, client: WebClient, event: dict, set_prompts) -> None:
    if event.get("tab") != "messages" or not event.get("user"):
        return
    prompts = json.loads(services.keys.get(keys.SUGGESTED_PROMPTS) or "[]")
    try:
        if prompts and set_prompts:
            set_prompts(prompts=prompts, title=PROMPTS_TITLE)
        if services.keys.claim(keys.welcomed(event["user"]), "1", keys.WELCOMED_TTL_S):
            client.chat_postMessage(channel=event["channel"], text=welcome_text(services))
    except SlackApiError as exc:
        log.warning("Messages tab for %s: %s", event["user"], exc.response.get("error"))


def welcome_text(services: BotServices) -> str:
    """What the bot knows (the sources everyone may see) and the three ways to ask."""
    with session_scope(services.settings) as session:
        shown = [row for row in sources.all_sources(session) if is_public(row.visibility)]
    known = ", ".join(f"*{escape(row.id)}*" for row in shown[:LISTED_SOURCES])
    if len(shown) > LISTED_SOURCES:
        known += f" and {len(shown) - LISTED_SOURCES} more"
    knows = (
        f"I answer from the company's documents: {known}."
        if shown
        else ("I answer from the company's documents; none have been added yet.")
    )
    return (
        f":wave: Hi! {knows} Every answer cites its sources.\n"
        "• Ask me here, or mention me in a channel: `@faqbot how do I reset my password?`\n"
        "• `/ask <question>` anywhere gives an answer only you see\n"
        "• 👍 / 👎 on an answer tells me how I did; *Still need help?* asks the experts"
    )
