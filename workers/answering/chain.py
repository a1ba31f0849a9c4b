"""The answer chain, in LCEL: retrieve → (refuse | prompt → chat model) → check citations."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.runnables import (
    Runnable,
    RunnableBranch,
    RunnableConfig,
    RunnableLambda,
    RunnablePassthrough,
)

from faqbot.settings import Settings
from workers.answering.citations import (
    citation,
    cited_numbers,
    drop_invalid_markers,
    sanitise,
)
from workers.answering.grounding import (
    extractive_answer,
    gather_evidence,
    relevance,
    supported_answer,
)
from workers.answering.prompt import (
    ANSWER_PROMPT,
    format_history,
    format_sources,
    retrieval_query,
    without_instructions,
)
from workers.answering.records import Answer
from workers.embedder import Embedder
from workers.retrieval import retrieve
from workers.store.base import Hit, KnowledgeStore, asker_labels

RELATED = 3


def build_answer_chain(
    *,
    settings: Settings,
    store: KnowledgeStore,
    embedder: Embedder,
    chat_model: BaseChatModel,
    adapter: str | None = None,
) -> Runnable:
    """Input: {"question", "labels", "history"}. Output: an `Answer`."""
    identity = {"model": getattr(chat_model, "model_id", type(chat_model).__name__),
                "adapter": adapter}  # fmt: skip
    generate = RunnableLambda(partial(_generate, ANSWER_PROMPT | chat_model))
    return (
        RunnableLambda(partial(_retrieve, settings=settings, store=store, embedder=embedder))
        | RunnableBranch(
            (lambda state: not state["grounded"],
             RunnableLambda(partial(_refuse, settings=settings, **identity))),
            RunnablePassthrough.assign(message=generate)
            | RunnableLambda(partial(_finalise, **identity, embedder=embedder,
                                     support=settings.support_threshold)),
        )
    )  # fmt: skip


def answer_question(
    chain: Runnable,
    question: str,
    *,
    channel: str | None = None,
    labels: list[str] | None = None,
    history: list[dict] | None = None,
    on_text: Callable[[str], None] | None = None,
) -> Answer:
    """Runs the chain; `on_text` gets the sanitised answer so far as tokens arrive. `history`:
    earlier {"question", "answer"} turns of the conversation, oldest first. `labels` (what the
    asker may see) defaults to public sources plus `channel`'s."""
    callbacks = [_TextSink(on_text)] if on_text else []
    inputs = {"question": question, "labels": labels or asker_labels(channel),
              "history": history or []}  # fmt: skip
    return chain.invoke(inputs, {"callbacks": callbacks})


def _retrieve(
    state: dict, *, settings: Settings, store: KnowledgeStore, embedder: Embedder
) -> dict:
    started = time.perf_counter()
    query = retrieval_query(state["question"], state.get("history") or [])
    vector = embedder.embed_query(query)
    hits = retrieve(
        query, settings=settings, store=store, embedder=embedder,
        labels=state["labels"], k=settings.answer_passages, vector=vector,
    )  # fmt: skip
    evidence = gather_evidence(hits, embedder)
    score = relevance(query, vector, hits, evidence)
    return {
        **state,
        "hits": hits,
        "vector": vector,
        "evidence": evidence,
        "relevance": score,
        "grounded": score >= settings.relevance_threshold,
        "started": started,
        "retrieve_ms": (time.perf_counter() - started) * 1000,
    }


def _generate(prompt_and_model: Runnable, state: dict, config: RunnableConfig) -> Any:
    """Streams (so `on_text` sees tokens from any chat model) and merges the chunks."""
    started = time.perf_counter()
    inputs = {"question": state["question"], **prompt_context(state)}
    message = None
    for chunk in prompt_and_model.stream(inputs, config):
        message = chunk if message is None else message + chunk
    message.response_metadata["generate_ms"] = (time.perf_counter() - started) * 1000
    return message


def _finalise(
    state: dict, *, model: str, adapter: str | None, embedder: Embedder, support: float
) -> Answer:
    hits: list[Hit] = state["hits"]
    message = state["message"]
    generated = drop_invalid_markers(postable(str(message.content)), len(hits))
    text = supported_answer(generated, state["evidence"], embedder, support)
    mode = "generated"
    if not text:  # nothing the model wrote is backed by a passage: quote the passages
        text, mode = sanitise(extractive_answer(state["vector"], state["evidence"])), "extractive"
    numbers = cited_numbers(text)
    usage = message.usage_metadata or {}
    return Answer(
        question=state["question"],
        answer=text,
        citations=[citation(n, hits[n - 1]) for n in numbers],
        related=[] if numbers else [citation(n, h) for n, h in enumerate(hits[:RELATED], 1)],
        refused=False,
        mode=mode,
        model=model,
        adapter=adapter,
        timings_ms=_timings(state, message.response_metadata.get("generate_ms", 0.0)),
        tokens={
            "prompt": usage.get("input_tokens", 0),
            "completion": usage.get("output_tokens", 0),
        },
        retrieved=_retrieved(hits),
        context=prompt_context(state),
    )


def postable(text: str) -> str:
    """What the model wrote, fit to show: no pings, no quotes of the instructions."""
    return without_instructions(sanitise(text))


def prompt_context(state: dict) -> dict[str, str]:
    return {"sources": format_sources(state["hits"]),
            "history": format_history(state.get("history") or [])}  # fmt: skip


def _refuse(state: dict, *, settings: Settings, model: str, adapter: str | None) -> Answer:
    """No passage is close enough: say so, and who to ask, without calling the model."""
    text = (
        "The knowledge base doesn't cover this, so I can't answer it reliably. "
        f"Please ask {settings.fallback_contact}."
    )
    return Answer(
        question=state["question"], answer=text, citations=[], refused=True, mode="refused",
        model=model,
        adapter=adapter, timings_ms=_timings(state, 0.0), retrieved=_retrieved(state["hits"]),
        context=prompt_context(state),
    )  # fmt: skip


def _retrieved(hits: list[Hit]) -> list[dict]:
    """What the prompt was built from, with each passage's visibility at the time: text derived
    from the answer is later shown only where all of them are visible."""
    return [
        {
            "chunk_id": h.chunk.chunk_id,
            "source_id": h.chunk.source_id,
            "score": round(float(h.score), 4),
            "visibility": list(h.chunk.visibility),
        }
        for h in hits
    ]


def _timings(state: dict, generate_ms: float) -> dict[str, float]:
    return {
        "retrieve": state["retrieve_ms"],
        "generate": generate_ms,
        "total": (time.perf_counter() - state["started"]) * 1000,
    }


class _TextSink(BaseCallbackHandler):
    """Collects streamed tokens and hands out the sanitised text so far."""

    def __init__(self, on_text: Callable[[str], None]):
        self.on_text = on_text
        self.text = ""

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.text += token
        self.on_text(postable(self.text))
