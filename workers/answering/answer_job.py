"""One question, end to end, as the answer task runs it: claim the interaction, answer with
streaming to the reply sink, store the answer, deliver it. Safe to run twice for one request."""

from __future__ import annotations

from faqbot.contracts import Answer, AnswerRequest, Delivery
from faqbot.db import interactions
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.settings import Settings
from faqbot.visibility import combined
from workers.answering.chain import answer_question
from workers.answering.shared_chain import answer_chain_for
from workers.answering.verified import verified_answer
from workers.embedder import get_embedder
from workers.retrieval import question_labels
from workers.sinks import ReplySink


def answer_request(request: AnswerRequest, *, settings: Settings, sink: ReplySink) -> Delivery:
    ensure_schema(settings)
    with session_scope(settings) as session:
        claim = interactions.claim(session, request)
    if claim.action == "done":  # a redelivery of a question already answered and delivered
        return Delivery(request_id=request.request_id, status="already-delivered")
    if claim.action == "deliver":
        with session_scope(settings) as session:
            answer = interactions.stored_answer(interactions.find(session, request.request_id))
    else:
        answer = _answer(request, settings, sink)
    sink.finished(answer)
    with session_scope(settings) as session:
        interactions.mark_delivered(session, request.request_id, sink.location())
    return Delivery(
        request_id=request.request_id,
        status="delivered",
        attempts=claim.attempts,
        refused=answer.refused,
    )


def _answer(request: AnswerRequest, settings: Settings, sink: ReplySink) -> Answer:
    sink.started()
    labels = question_labels(
        settings, channel=request.channel, asker=request.asker, private=request.private
    )
    with session_scope(settings) as session:
        history = interactions.thread_history(
            session, request, settings.thread_context_turns, labels
        )
    answer = None if history else _verified(settings, request.question, labels)
    if answer is None:
        chain = answer_chain_for(settings)
        # The cited quote is shown as soon as retrieval has found it; the model's text replaces
        # it only once a passage backs it (the final answer), so half-written text is never shown.
        answer = answer_question(
            chain,
            request.question,
            labels=labels,
            history=history,
            on_draft=_shown_in(sink, settings, request.request_id),
            on_status=sink.status,
        )
    built_from = [passage.visibility for passage in answer.retrieved]
    built_from += [turn.visibility for turn in history]
    with session_scope(settings) as session:
        interactions.record_answer(
            session, request.request_id, answer, scope=labels, visibility=combined(built_from)
        )
    return answer


def _shown_in(sink: ReplySink, settings: Settings, request_id: str):
    """Hands the draft to the sink, and records the message it is shown in (a stream is a
    new message): reactions on an answer still being written count as votes."""
    recorded = None

    def show(text: str) -> None:
        nonlocal recorded
        sink.text(text)
        where = sink.location()
        if where and where != recorded:
            with session_scope(settings) as session:
                interactions.record_reply(session, request_id, where)
            recorded = where

    return show


def _verified(settings: Settings, question: str, labels: list[str]) -> Answer | None:
    """A follow-up (with a thread's history) is about that thread: it goes to the chain."""
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    return verified_answer(settings, question, labels, embedder)


def fail_request(
    request: AnswerRequest, reason: str, *, settings: Settings, sink: ReplySink
) -> None:
    """The question stays on record as failed, and whoever waits hears so, with a reference."""
    try:
        with session_scope(settings) as session:
            interactions.mark_failed(session, request, reason)
    finally:
        sink.failed(reason, reference=request.request_id[:8])
