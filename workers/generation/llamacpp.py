"""The fast CPU engine: llama.cpp (through llama-cpp-python) running a GGUF file in process,
with the promoted adapter's LoRA GGUF. Decoding on a CPU is bound by memory bandwidth, and a
4-bit GGUF reads a sixth of what fp32 weights do per token."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from pydantic import ConfigDict, Field

from faqbot.errors import first_line
from faqbot.settings import model_id
from workers.generation.chat_model import (
    StreamingChatModel,
    chat_turns,
    fit_prompt,
    prompt_budget,
    token_usage,
)
from workers.generation.loading import ModelUnavailable, gguf_file

log = logging.getLogger("faqbot.worker")
ENGINE = "llamacpp"


class LlamaCppChatModel(StreamingChatModel):
    """Greedy decoding like the transformers engine; the prompt is the model's own chat
    template (read from the GGUF), cut to the context the same way."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    llama: Any
    tokenizer: Any  # the GGUF's tokenizer in transformers: its chat template, and prompt cuts
    served_model: str
    adapter_id: str | None = None
    context: int = 4096
    max_new_tokens: int = 200
    repetition_penalty: float = 1.15
    min_new_tokens: int = 0  # benchmarks time fixed-length answers; workers leave it at 0
    ends: list[int] | None = None  # the end-of-generation tokens, once min_new_tokens needs them
    load_seconds: float = 0.0
    lock: Any = Field(default_factory=threading.Lock)  # one llama.cpp context per model

    @property
    def _llm_type(self) -> str:
        return "faqbot-llamacpp"

    @property
    def model_id(self) -> str:
        return self.served_model

    @property
    def engine(self) -> str:
        return ENGINE

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        tokens = self.prompt_tokens(messages)
        produced, shown = 0, False
        with self.lock:
            stream = self.llama.create_completion(
                tokens,
                max_tokens=self.max_new_tokens,
                temperature=0.0,
                repeat_penalty=self.repetition_penalty,
                stop=stop,
                stream=True,
                logits_processor=self._no_end_before(len(tokens) + self.min_new_tokens),
            )
            try:
                for part in stream:
                    piece = part["choices"][0]["text"]
                    produced += 1
                    if not piece:
                        continue
                    # The prompt's size comes with the first text, so a caller that stops
                    # early (the answer chain does, at an unsupported sentence) still has it.
                    usage = None if shown else token_usage(len(tokens), 0)
                    shown = True
                    chunk = ChatGenerationChunk(
                        message=AIMessageChunk(content=piece, usage_metadata=usage)
                    )
                    if run_manager:
                        run_manager.on_llm_new_token(piece, chunk=chunk)
                    yield chunk
            finally:  # the caller stopped early: llama.cpp stops at the next token
                stream.close()
        usage = token_usage(0 if shown else len(tokens), produced)
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))

    def _no_end_before(self, length: int):
        """Keeps end-of-generation tokens out until the sequence is `length` tokens long."""
        if not self.min_new_tokens:
            return None
        from llama_cpp import LogitsProcessorList

        if self.ends is None:  # scanning the vocabulary once per model, not per answer
            self.ends = end_tokens(self.llama)
        ends = self.ends

        def hold(input_ids, scores):
            if len(input_ids) < length:
                scores[ends] = -float("inf")
            return scores

        return LogitsProcessorList([hold])

    def prompt_tokens(self, messages: list[BaseMessage]) -> list[int]:
        """The chat-templated prompt as llama.cpp tokens, within the context less the answer's
        room (the sources are cut first, as in the transformers engine)."""
        budget = prompt_budget(self.context, self.max_new_tokens)
        turns = fit_prompt(chat_turns(messages), self.tokenizer, budget)
        prompt = self.tokenizer.apply_chat_template(
            turns, add_generation_prompt=True, tokenize=False
        )
        tokens = self.llama.tokenize(prompt.encode(), add_bos=False, special=True)
        if budget is not None and len(tokens) > budget:
            log.warning("the instructions alone exceed the model's context: kept %d", budget)
            tokens = tokens[-budget:]
        return tokens


def load_llamacpp(
    name: str,
    *,
    cache_dir: Path,
    lora: Path | None = None,
    adapter_id: str | None = None,
    threads: int | None = None,
    context: int = 4096,
    max_new_tokens: int = 200,
) -> LlamaCppChatModel:
    """`name`'s GGUF file in llama.cpp, with `lora` (a LoRA GGUF) applied when given."""
    started = time.perf_counter()
    path = gguf_file(name)
    llama_class = _llama_class()
    threads = threads or os.cpu_count() or 1
    options: dict[str, Any] = {
        "n_ctx": context,
        "n_threads": threads,
        "n_threads_batch": threads,
        "verbose": False,
    }
    if lora is not None:
        options["lora_path"] = str(lora)
    try:
        llama = llama_class(model_path=str(path), **options)
    except (ValueError, RuntimeError) as exc:
        raise ModelUnavailable(f"llama.cpp could not load {path.name}: {first_line(exc)}") from exc
    atexit.register(llama.close)  # before the interpreter tears down what its __del__ needs
    context = min(context, llama.n_ctx())
    return LlamaCppChatModel(
        llama=llama,
        tokenizer=gguf_tokenizer(path, cache_dir),
        served_model=model_id(name),
        adapter_id=adapter_id,
        context=context,
        max_new_tokens=max_new_tokens,
        load_seconds=time.perf_counter() - started,
    )


def end_tokens(llama) -> list[int]:
    """Every token that ends generation (llama.cpp's end-of-generation set: EOS, EOT, ...)."""
    import llama_cpp

    vocab = llama._model.vocab
    return [t for t in range(llama.n_vocab()) if llama_cpp.llama_vocab_is_eog(vocab, t)]


def gguf_tokenizer(path: Path, cache_dir: Path):
    """The GGUF's tokenizer in transformers, saved once to the model cache (reading it out of
    the GGUF takes seconds)."""
    from transformers import AutoTokenizer

    saved = cache_dir / "tokenizers" / f"{path.stem}-{path.stat().st_size}"
    if (saved / "tokenizer_config.json").is_file():
        return AutoTokenizer.from_pretrained(saved)
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    partial = saved.with_name(f"{saved.name}.partial-{os.getpid()}")
    tokenizer.save_pretrained(partial)
    try:
        partial.rename(saved)
    except OSError:
        pass  # another process saved it first
    return tokenizer


def _llama_class():
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ModelUnavailable(
            "the llama.cpp engine needs llama-cpp-python: pip install -e '.[fast]' (it compiles "
            "llama.cpp, about 5 minutes), or set FAQBOT_LLM_ENGINE=transformers"
        ) from exc
    return Llama
