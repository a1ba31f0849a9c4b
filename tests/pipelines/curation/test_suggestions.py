"""The Messages tab's suggested prompts: the most asked questions of the month, one per
paraphrase cluster, only those several people asked in channels and that public sources
answered."""

from __future__ import annotations

import datetime as dt
import json

from faqbot import keys
from faqbot.shared_state import shared_keys
from pipelines.curation.suggestions import popular_questions, refresh_suggested_prompts
from tests.pipelines.curation.feedback_rows import answered

NOW = dt.datetime.now(dt.UTC)


def asked(settings, question: str, asker: str, **kw) -> None:
    from faqbot.db.engine import session_scope
    from faqbot.db.models import Interaction

    interaction_id = answered(settings, question, **kw)
    with session_scope(settings) as session:
        session.get(Interaction, interaction_id).asker = asker


def test_the_most_asked_public_questions_become_prompts(settings, embedder):
    for n, question in enumerate(
        ["How do I fix VPN error 809?", "VPN error 809, what do I do?", "Fixing VPN error 809"]
    ):
        asked(settings, question, f"U{n}")
    asked(settings, "How many vacation days do I get?", "U1")
    asked(settings, "How many vacation days do I get per year?", "U2")
    asked(settings, "Where is the office gym?", "U1")  # one person: not a prompt
    asked(settings, "Where is the office gym located?", "U1")
    asked(settings, "What is our bonus pool?", "U1", visibility=["C0FIN0001"])
    asked(settings, "What is the bonus pool this year?", "U2", visibility=["C0FIN0001"])
    asked(settings, "My payslip, mail it to bob@acme.com", "U1", private=True)
    asked(settings, "My payslip, mail it to me at bob@acme.com", "U2", private=True)
    asked(settings, "How do I book a room?", "U1", at=NOW - dt.timedelta(days=40))
    asked(settings, "How can I book a meeting room?", "U2", at=NOW - dt.timedelta(days=40))

    prompts = popular_questions(settings, embedder, now=NOW)
    assert len(prompts) == 2
    assert "VPN error 809" in prompts[0] and "vacation days" in prompts[1]

    refresh_suggested_prompts(settings, embedder)
    stored = json.loads(shared_keys(settings).get(keys.SUGGESTED_PROMPTS))
    assert [p["message"] for p in stored] == prompts
    assert all(len(p["title"]) <= 75 for p in stored)


def test_no_questions_no_prompts(settings, embedder):
    from faqbot.db.migrate import ensure_schema

    ensure_schema(settings)
    assert popular_questions(settings, embedder, now=NOW) == []
