"""The generator protocol and its three engines, chosen by FAQBOT_LLM_ENGINE: transformers in
process (the embedded default), llama.cpp in process (GGUF, fast on CPUs), and a model server's
OpenAI-compatible API (vLLM). Each is built once per process and adapter."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from faqbot.settings import Settings

ENGINES = ("transformers", "llamacpp", "openai")


class Generator(Protocol):
    """What the answer chain asks of an engine: a LangChain chat model (`stream`, `invoke`)
    that names the model and the adapter answering, as answers record them."""

    adapter_id: str | None

    @property
    def engine(self) -> str: ...

    @property
    def model_id(self) -> str: ...

    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Iterator[Any]: ...

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any: ...


def generator_for(settings: Settings, adapter: str | None, engine: str | None = None) -> Generator:
    """The configured engine (or `engine`) with `adapter` (a peft directory) applied."""
    engine = engine or settings.llm_engine
    max_new = settings.llm_max_new_tokens
    if engine == "openai":
        from workers.generation.served import served_model

        return served_model(settings, adapter, max_new_tokens=max_new)
    if engine == "llamacpp":
        # Workers sharing a machine share its cores: FAQBOT_TORCH_THREADS says how.
        threads = settings.llm_threads or settings.torch_threads
        return llamacpp_model(
            settings.llm_model,
            settings.model_cache_dir,
            adapter,
            threads,
            settings.llm_context_tokens,
            max_new,
        )
    return transformers_model(
        settings.llm_model, settings.model_cache_dir, settings.llm_4bit, adapter, max_new
    )


def prepare_adapter(settings: Settings, adapter_id: str, path: str) -> None:
    """What promotion does for the configured engine: llama.cpp gets the adapter as a LoRA
    GGUF; a model server must serve it by its id (vLLM loads it at run time); transformers
    loads the peft directory itself."""
    if settings.llm_engine == "llamacpp":
        from workers.generation.loading import gguf_file
        from workers.generation.lora_gguf import convert_adapter

        convert_adapter(Path(path), gguf_file(settings.llm_model))
    elif settings.llm_engine == "openai":
        from workers.generation.served import publish_adapter

        publish_adapter(settings, adapter_id, path)


@lru_cache(maxsize=2)
def transformers_model(
    name: str, cache_dir: Path, four_bit: bool, adapter: str | None, max_new_tokens: int
):
    from workers.generation.chat_model import LocalChatModel
    from workers.generation.loading import load_model

    loaded = load_model(name, cache_dir=cache_dir, four_bit=four_bit, adapter=adapter)
    return LocalChatModel(loaded=loaded, max_new_tokens=max_new_tokens)


@lru_cache(maxsize=2)
def llamacpp_model(
    name: str,
    cache_dir: Path,
    adapter: str | None,
    threads: int | None,
    context: int,
    max_new_tokens: int,
):
    """The previous model stays cached beside the new one, so a rollback is instant."""
    from workers.generation.llamacpp import load_llamacpp
    from workers.generation.loading import adapter_name, gguf_file
    from workers.generation.lora_gguf import serving_conversion

    lora = serving_conversion(Path(adapter), gguf_file(name)) if adapter else None
    return load_llamacpp(
        name,
        cache_dir=cache_dir,
        lora=lora,
        adapter_id=adapter_name(adapter),
        threads=threads,
        context=context,
        max_new_tokens=max_new_tokens,
    )
