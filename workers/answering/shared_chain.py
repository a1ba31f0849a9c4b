"""The answer chain of this process, built once: the model load takes seconds."""

from __future__ import annotations

from langchain_core.runnables import Runnable

from faqbot.settings import Settings
from workers.embedder import get_embedder
from workers.generation.engines import Generator, generator_for
from workers.generation.registry import answering_adapter
from workers.store import get_store


def chat_model_for(settings: Settings) -> Generator:
    """The engine with the adapter that should answer now: a newly promoted one answers the
    next question after the worker notices it (in-process engines keep the previous model
    cached, so a rollback is instant; a server is asked for the adapter by name)."""
    return generator_for(settings, answering_adapter(settings))


def answer_chain_for(settings: Settings) -> Runnable:
    from workers.answering.chain import build_answer_chain

    chat_model = chat_model_for(settings)
    return build_answer_chain(
        settings=settings,
        store=get_store(settings),
        embedder=get_embedder(settings.embedding_model, settings.embedding_batch_size),
        chat_model=chat_model,
        adapter=chat_model.adapter_id,
    )
