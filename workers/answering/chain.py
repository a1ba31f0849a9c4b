"""The answer chain, in LCEL: retrieve → (refuse | quote, then prompt → chat model → check).

The extractive answer (the passage sentences that answer the question, cited) is ready as soon
as retrieval is: it is handed out at once as a draft (`on_draft`), and the model's text
replaces it only if a passage backs it. The model reads a window of the evidence, not whole
passages, and stops at its first sentence that no passage backs: text that would be thrown
away is not generated."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.callbacks.manager import dispatch_custom_event
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.runnables import (
    Runnable,
    RunnableBranch,
    RunnableConfig,
    RunnableLambda,
)

from faqbot.contracts import Answer, PromptInputs, RetrievedPassage, Turn
from faqbot.settings import Settings
from workers.answering.calibration import refusal_threshold
from workers.answering.chain_state import Generation, Question, Retrieved
from workers.answering.citations import (
    citation,
    cited_numbers,
    drop_invalid_markers,
    sanitise,
)
from workers.answering.evidence import gather_evidence
from workers.answering.grounding import (
    claim_supported,
    complete_claims,
    relevance,
    supported_answer,
)
from workers.answering.prompt import (
    ANSWER_PROMPT,
    format_evidence,
    format_history,
    format_sources,
    retrieval_query,
    without_instructions,
)
from workers.answering.selection import evidence_window, extractive_answer, score_sentences
from workers.embedder import Embedder
from workers.retrieval import retrieve
from workers.store.base import Hit, KnowledgeStore, asker_labels

RELATED = 3
DRAFT_EVENT = "faqbot_draft"
STATUS_EVENT = "faqbot_status"  # {"state": "reading", "sources": n} | {"state": "writing"}


def build_answer_chain(
    *,
    settings: Settings,
    store: KnowledgeStore,
    embedder: Embedder,
    chat_model: BaseChatModel,
    adapter: str | None = None,
) -> Runnable:
    """Input: a `Question`. Output: an `Answer`."""
    identity = {
        "model": getattr(chat_model, "model_id", type(chat_model).__name__),
        "adapter": adapter,
    }
    generate = RunnableLambda(
        partial(
            _generate,
            ANSWER_PROMPT | chat_model,
            embedder=embedder,
            support=settings.support_threshold,
        )
    )
    return RunnableLambda(
        partial(_retrieve, settings=settings, store=store, embedder=embedder)
    ) | RunnableBranch(
        (
            lambda state: not state.grounded,
            RunnableLambda(partial(_refuse, settings=settings, **identity)),
        ),
        generate
        | RunnableLambda(
            partial(_finalise, **identity, embedder=embedder, support=settings.support_threshold)
        ),
    )


def answer_question(
    chain: Runnable,
    question: str,
    *,
    channel: str | None = None,
    labels: list[str] | None = None,
    history: list[Turn] | None = None,
    on_text: Callable[[str], None] | None = None,
    on_draft: Callable[[str], None] | None = None,
    on_status: Callable[[str, int], None] | None = None,
) -> Answer:
    """Runs the chain; `on_draft` gets the cited extractive answer as soon as retrieval has
    found one, `on_text` the sanitised model text so far as tokens arrive, `on_status` what
    it does next ("reading", with the number of documents; "writing"). `history`: earlier
    turns of the conversation, oldest first. `labels` (what the asker may see) defaults to
    public sources plus `channel`'s."""
    hooks = (on_text, on_draft, on_status)
    callbacks = [_TextSink(*hooks)] if any(hooks) else []
    asked = Question(question, labels or asker_labels(channel), history or [])
    return chain.invoke(asked, {"callbacks": callbacks})


def answer_prompt(
    question: str, *, settings: Settings, store: KnowledgeStore, embedder: Embedder
) -> list | None:
    """The messages the model reads for `question` (public sources), or None when it would be
    refused without asking the model: what `faqbot bench generate` runs every engine on."""
    retrieval = RunnableLambda(
        partial(_retrieve, settings=settings, store=store, embedder=embedder)
    )
    state = retrieval.invoke(Question(question, asker_labels(None)))
    if not state.grounded:
        return None
    return ANSWER_PROMPT.format_messages(question=question, **prompt_context(state).model_dump())


def _retrieve(
    asked: Question,
    config: RunnableConfig,
    *,
    settings: Settings,
    store: KnowledgeStore,
    embedder: Embedder,
) -> Retrieved:
    started = time.perf_counter()
    query = retrieval_query(asked.question, asked.history)
    vector = embedder.embed_query(query)
    hits = retrieve(
        query,
        settings=settings,
        store=store,
        embedder=embedder,
        labels=asked.labels,
        k=settings.answer_passages,
        vector=vector,
    )
    evidence = gather_evidence(hits, embedder)
    score = relevance(query, vector, hits, evidence)
    grounded = bool(evidence.units) and score >= refusal_threshold(
        settings, store, embedder, asked.labels
    )
    retrieve_ms = (time.perf_counter() - started) * 1000
    draft, window = "", []
    if grounded:
        documents = len({hit.chunk.doc_key for hit in hits})
        dispatch_custom_event(
            STATUS_EVENT, {"state": "reading", "sources": documents}, config=config
        )
        scored = score_sentences(query, vector, evidence, embedder)
        draft = sanitise(extractive_answer(evidence, scored))
        if draft:
            dispatch_custom_event(DRAFT_EVENT, {"text": draft}, config=config)
        window = evidence_window(evidence, scored, settings.evidence_words)
    return Retrieved(
        asked=asked,
        query=query,
        vector=vector,
        hits=hits,
        evidence=evidence,
        window=window,
        draft=draft,
        relevance=score,
        grounded=grounded,
        started=started,
        retrieve_ms=retrieve_ms,
        first_text_ms=(time.perf_counter() - started) * 1000 if draft else None,
    )


def _generate(
    prompt_and_model: Runnable,
    state: Retrieved,
    config: RunnableConfig,
    *,
    embedder: Embedder,
    support: float,
) -> Retrieved:
    """Streams (so `on_text` sees tokens from any chat model) and stops at the first complete
    sentence that no passage backs: nothing after it could be kept."""
    started = time.perf_counter()
    dispatch_custom_event(STATUS_EVENT, {"state": "writing"}, config=config)
    inputs = {"question": state.asked.question, **prompt_context(state).model_dump()}
    message, kept, dropped = None, [], []
    stream = prompt_and_model.stream(inputs, config)
    try:
        for chunk in stream:
            message = chunk if message is None else message + chunk
            for claim in complete_claims(postable(str(message.content)))[len(kept) :]:
                if not claim_supported(claim, state.evidence, embedder, support):
                    dropped.append(claim)
                    break
                kept.append(claim)
            if dropped:
                break
    finally:
        stream.close()
    text = " ".join(kept) if dropped else postable(str(message.content) if message else "")
    usage = (message.usage_metadata if message else None) or {}
    generation = Generation(
        text=text,
        dropped=dropped,
        prompt_tokens=usage.get("input_tokens", 0),
        completion_tokens=usage.get("output_tokens", 0),
        generate_ms=(time.perf_counter() - started) * 1000,
    )
    return replace(state, generation=generation)


def _finalise(
    state: Retrieved, *, model: str, adapter: str | None, embedder: Embedder, support: float
) -> Answer:
    hits, generation = state.hits, state.generation
    generated = drop_invalid_markers(generation.text, len(hits))
    text, unsupported = supported_answer(generated, state.evidence, embedder, support)
    dropped = generation.dropped + unsupported
    mode = "generated"
    if not text:  # nothing the model wrote is backed by a passage: the quote stands
        text, mode = state.draft, "extractive"
    numbers = cited_numbers(text)
    return Answer(
        question=state.asked.question,
        answer=text,
        citations=[citation(n, hits[n - 1]) for n in numbers],
        related=[] if numbers else [citation(n, h) for n, h in enumerate(hits[:RELATED], 1)],
        refused=False,
        mode=mode,
        model=model,
        adapter=adapter,
        timings_ms=_timings(state, generation.generate_ms),
        tokens={"prompt": generation.prompt_tokens, "completion": generation.completion_tokens},
        retrieved=_retrieved(hits),
        context=prompt_context(state),
        dropped=dropped,
    )


def postable(text: str) -> str:
    """What the model wrote, fit to show: no pings, no quotes of the instructions."""
    return without_instructions(sanitise(text))


def prompt_context(state: Retrieved) -> PromptInputs:
    """The sources as the model reads them: the evidence window when there is one."""
    sources = (
        format_evidence(state.hits, state.evidence, state.window)
        if state.window
        else format_sources(state.hits)
    )
    return PromptInputs(sources=sources, history=format_history(state.asked.history))


def _refuse(state: Retrieved, *, settings: Settings, model: str, adapter: str | None) -> Answer:
    """No passage is close enough: say so, and who to ask, without calling the model."""
    text = (
        "The knowledge base doesn't cover this, so I can't answer it reliably. "
        f"Please ask {settings.fallback_contact}."
    )
    return Answer(
        question=state.asked.question,
        answer=text,
        citations=[],
        refused=True,
        mode="refused",
        model=model,
        adapter=adapter,
        timings_ms=_timings(state, 0.0),
        retrieved=_retrieved(state.hits),
        context=prompt_context(state),
    )


def _retrieved(hits: list[Hit]) -> list[RetrievedPassage]:
    return [
        RetrievedPassage(
            chunk_id=h.chunk.chunk_id,
            source_id=h.chunk.source_id,
            score=round(float(h.score), 4),
            visibility=list(h.chunk.visibility),
        )
        for h in hits
    ]


def _timings(state: Retrieved, generate_ms: float) -> dict[str, float]:
    """`first_text`: when the draft was ready (or, without one, the final answer)."""
    total = (time.perf_counter() - state.started) * 1000
    first = state.first_text_ms
    return {
        "retrieve": state.retrieve_ms,
        "generate": generate_ms,
        "first_text": total if first is None else first,
        "total": total,
    }


class _TextSink(BaseCallbackHandler):
    """Hands out the draft when it is ready, the sanitised model text so far, and what the
    chain does next."""

    def __init__(self, on_text, on_draft, on_status=None):
        self.on_text, self.on_draft, self.on_status = on_text, on_draft, on_status
        self.text = ""

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        if self.on_text:
            self.text += token
            self.on_text(postable(self.text))

    def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
        if name == DRAFT_EVENT and self.on_draft:
            self.on_draft(data["text"])
        elif name == STATUS_EVENT and self.on_status:
            self.on_status(data["state"], data.get("sources", 0))
