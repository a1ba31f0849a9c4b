"""The answer chain of this process, built once: the model load takes seconds."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from langchain_core.runnables import Runnable

from faqbot.settings import Settings
from workers.embedder import get_embedder
from workers.generation.chat_model import LocalChatModel
from workers.generation.loading import load_model
from workers.generation.registry import answering_adapter
from workers.store import get_store


@lru_cache(maxsize=2)
def get_chat_model(
    name: str, cache_dir: Path, four_bit: bool, adapter: str | None, max_new_tokens: int
) -> LocalChatModel:
    loaded = load_model(name, cache_dir=cache_dir, four_bit=four_bit, adapter=adapter)
    return LocalChatModel(loaded=loaded, max_new_tokens=max_new_tokens)


def chat_model_for(settings: Settings) -> LocalChatModel:
    """The model with the adapter that should answer now: a newly promoted one is loaded on the
    next question after the worker notices it (the previous model stays cached, so a rollback
    is instant)."""
    return get_chat_model(
        settings.llm_model, settings.model_cache_dir, settings.llm_4bit,
        answering_adapter(settings), settings.llm_max_new_tokens,
    )  # fmt: skip


def answer_chain_for(settings: Settings) -> Runnable:
    from workers.answering.chain import build_answer_chain

    chat_model = chat_model_for(settings)
    return build_answer_chain(
        settings=settings,
        store=get_store(settings),
        embedder=get_embedder(settings.embedding_model, settings.embedding_batch_size),
        chat_model=chat_model,
        adapter=chat_model.loaded.adapter_id,
    )
