"""Answer workers follow the registry: a promoted adapter answers the next question without a
restart, a rollback takes it out again, and every answer records which adapter produced it."""

from __future__ import annotations

import pytest

from faqbot.contracts import AnswerRequest
from faqbot.db import adapters, interactions
from faqbot.db.engine import session_scope
from tests.pipelines.evaluation.test_evaluate import knowledge_base
from tests.pipelines.training.tiny_models import untrained_adapter
from workers.answering.answer_job import answer_request
from workers.generation.registry import forget_answering_adapter
from workers.sinks import NullSink

pytestmark = pytest.mark.slow


def answered_by(settings, question: str) -> str | None:
    request = AnswerRequest(question=question, asker="U0ASKER01", channel="C0HELP001")
    answer_request(request, settings=settings, sink=NullSink())
    with session_scope(settings) as session:
        return interactions.find(session, request.request_id).adapter


def test_a_promoted_adapter_answers_the_next_question_and_a_rollback_removes_it(settings, embedder):
    from pipelines.evaluation.gate import rollback

    settings = settings.model_copy(update={"llm_max_new_tokens": 16, "adapter_refresh_s": 0.01})
    knowledge_base(settings, embedder)
    forget_answering_adapter()
    assert answered_by(settings, "What does VPN error 809 mean?") is None

    untrained_adapter(settings, "ad-live")
    with session_scope(settings) as session:
        adapters.promote(session, adapters.get(session, "ad-live"))
    assert answered_by(settings, "What does VPN error 809 mean at a hotel?") == "ad-live"

    rollback(settings)
    assert answered_by(settings, "Is VPN error 809 about UDP ports?") is None
