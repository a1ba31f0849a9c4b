"""The app's Messages tab through the real Bolt app: opening it sets the day's suggested
prompts, and the first time a welcome says what the bot knows and how to ask."""

from __future__ import annotations

import json

from faqbot import keys
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.db.models import KnowledgeSource
from pipelines.bench.slack_requests import new_ts

PROMPTS = [{"title": "How do I reset my password?", "message": "How do I reset my password?"}]


def opened(user: str = "U0NEW0001", tab: str = "messages") -> dict:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0NEW0001",
        "tab": tab,
        "event_ts": new_ts(),
    }


def test_opening_the_messages_tab_sets_prompts_and_welcomes_once(running_bot):
    settings, standin = running_bot.services.settings, running_bot.standin
    ensure_schema(settings)
    with session_scope(settings) as session:
        for source_id, visibility in (("handbook", ["public"]), ("finance", ["C0FIN0001"])):
            row = KnowledgeSource(id=source_id, kind="folder", location="/", visibility=visibility)
            session.add(row)
    running_bot.services.keys.put(keys.SUGGESTED_PROMPTS, json.dumps(PROMPTS), 60)

    running_bot.event(opened())
    [prompts] = standin.wait_for(
        lambda: standin.called("assistant.threads.setSuggestedPrompts"), timeout_s=5
    )
    assert prompts.params["prompts"] == PROMPTS and prompts.params["channel_id"] == "D0NEW0001"
    [welcome] = standin.wait_for(lambda: standin.called("chat.postMessage"), timeout_s=5)
    assert "*handbook*" in welcome.params["text"] and "finance" not in welcome.params["text"]
    assert "`/ask <question>`" in welcome.params["text"]

    running_bot.event(opened())  # again: prompts again, no second welcome
    running_bot.event(opened(tab="home"))  # another tab: nothing
    standin.wait_for(
        lambda: len(standin.called("assistant.threads.setSuggestedPrompts")) == 2, timeout_s=5
    )
    running_bot.drain()
    assert len(standin.called("chat.postMessage")) == 1
    assert len(standin.called("assistant.threads.setSuggestedPrompts")) == 2
