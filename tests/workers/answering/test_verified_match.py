"""Serving a verified answer: a paraphrase of its question gets it; a different question on
the same topic, which a document in the knowledge base answers better, goes to the chain."""

from __future__ import annotations

import pytest

from faqbot.db import verified
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from pipelines.evaluation.corpora import index_answers
from workers.answering.verified import verified_answer
from workers.store import get_store
from workers.store.base import PUBLIC

CHANNEL = "C0MAPS001"
VERIFIED_QUESTION = "Can I link to a specific location on Google Maps?"
VERIFIED_ANSWER = (
    "Yes: right-click the place, choose 'Share', and copy the link; it opens the map at that "
    "latitude and longitude."
)
KB_ANSWER = (
    "Google Maps routes can have more than one destination: ask for directions, then press "
    "'Add stop' below the destination for each further one, and drag them to reorder."
)


@pytest.fixture
def maps_channel(settings, embedder):
    index_answers([KB_ANSWER], settings, get_store(settings), embedder)
    ensure_schema(settings)
    with session_scope(settings) as session:
        verified.verify(
            session,
            question=VERIFIED_QUESTION,
            answer=VERIFIED_ANSWER,
            author="U0EXPERT1",
            verifier="U0EXPERT1",
            visibility=[CHANNEL],
            review_days=90,
        )
    return settings


def ask(settings, embedder, question: str):
    return verified_answer(settings, question, [PUBLIC, CHANNEL], embedder)


def test_a_paraphrase_of_the_verified_question_is_served_its_answer(maps_channel, embedder):
    served = ask(
        maps_channel, embedder, "How do I share a link to a particular place in Google Maps?"
    )
    assert served is not None and served.mode == "verified"
    assert served.answer == VERIFIED_ANSWER and served.verification.verifier == "U0EXPERT1"


def test_a_question_a_document_answers_better_goes_to_the_chain(maps_channel, embedder):
    question = "Can I have more than one destination on Google Maps?"
    assert ask(maps_channel, embedder, question) is None
    # Without the knowledge base's competing passage, the same question would have matched.
    alone = maps_channel.model_copy(update={"verified_kb_weight": 0.0})
    assert ask(alone, embedder, question) is not None
