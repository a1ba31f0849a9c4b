"""A LangChain chat model over a local transformers model, streaming token by token."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from threading import Event, Thread
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from workers.generation.loading import LoadedModel, context_window

GENERATE_THREAD = "faqbot-generate"
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
# The answer prompt's last line (workers/answering/prompt.py): what comes before it, the
# thread's history and the sources, is what is cut when the prompt is too long for the model.
QUESTION_MARKER = "\n\nQuestion: "
_MAX_CUTS = 4  # a cut re-tokenized can be a token or two off; a few tries always settle it

log = logging.getLogger("faqbot.worker")


def token_usage(input_tokens: int, output_tokens: int) -> dict:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


def collected(chunks: Iterator[ChatGenerationChunk]) -> ChatResult:
    """A whole reply from its streamed chunks, token counts added up."""
    message = AIMessageChunk(content="")
    for chunk in chunks:
        message += chunk.message
    reply = AIMessage(content=message.content, usage_metadata=message.usage_metadata)
    return ChatResult(generations=[ChatGeneration(message=reply)])


def chat_turns(messages: list[BaseMessage]) -> list[dict]:
    """LangChain messages as the role/content turns chat templates take."""
    return [{"role": _ROLES.get(m.type, "user"), "content": m.content} for m in messages]


def chat_messages(turns: list[dict]) -> list[BaseMessage]:
    """Role/content turns (a dataset's prompt) back as LangChain messages."""
    from langchain_core.messages import HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[turn["role"]](content=turn["content"]) for turn in turns]


class StreamingChatModel(BaseChatModel):
    """An in-process engine: it implements `_stream`; `invoke` collects that stream."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Streams internally, so callbacks see every token even through `invoke`."""
        return collected(self._stream(messages, stop, run_manager, **kwargs))


class LocalChatModel(StreamingChatModel):
    """Greedy decoding (answers should not vary run to run); the chat template is the model's."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    loaded: LoadedModel
    max_new_tokens: int = 200
    repetition_penalty: float = 1.15  # small models loop under greedy decoding without it
    min_new_tokens: int = 0  # benchmarks time fixed-length answers; workers leave it at 0

    @property
    def _llm_type(self) -> str:
        return "faqbot-local-transformers"

    @property
    def model_id(self) -> str:
        return self.loaded.model_id

    @property
    def adapter_id(self) -> str | None:
        return self.loaded.adapter_id

    @property
    def engine(self) -> str:
        return "transformers"

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        tokenizer, model = self.loaded.tokenizer, self.loaded.model
        inputs = self._encode(messages)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        options = dict(
            **inputs,
            streamer=streamer,
            max_new_tokens=self.max_new_tokens,
            do_sample=False,
            repetition_penalty=self.repetition_penalty,
            min_new_tokens=self.min_new_tokens,
            pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
        )
        cancelled = Event()
        options["stopping_criteria"] = StoppingCriteriaList([_StopWhenSet(cancelled)])
        failure: list[BaseException] = []
        worker = Thread(
            target=_generate_into,
            args=(model, options, streamer, failure),
            daemon=True,
            name=GENERATE_THREAD,
        )
        worker.start()
        produced, prompt_tokens = "", int(inputs["input_ids"].shape[1])
        try:
            for piece in streamer:
                if not piece:
                    continue
                # The prompt's size comes with the first piece, so a caller that stops early
                # (the answer chain does at an unsupported sentence) still has it.
                usage = None if produced else token_usage(prompt_tokens, 0)
                produced += piece
                chunk = ChatGenerationChunk(
                    message=AIMessageChunk(content=piece, usage_metadata=usage)
                )
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk
        finally:  # the caller stopped early (time limit, error): stop generating too
            cancelled.set()
            worker.join()
        if failure:  # generation broke: say so, never hand back a silently cut answer
            raise failure[0]
        output_tokens = len(tokenizer(produced, add_special_tokens=False)["input_ids"])
        usage = token_usage(0 if produced else prompt_tokens, output_tokens)
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))

    def _encode(self, messages: list[BaseMessage]) -> dict:
        """The prompt as model inputs, cut to what the model's context leaves after room for
        the answer: a longer one would be cut by nothing, or fail, mid-generation."""
        tokenizer = self.loaded.tokenizer
        budget = prompt_budget(context_window(self.loaded), self.max_new_tokens)
        turns = chat_turns(messages)
        inputs = _template(tokenizer, turns)
        if budget is None or inputs["input_ids"].shape[1] <= budget:  # the usual case: one pass
            return {name: value.to(self.loaded.model.device) for name, value in inputs.items()}
        inputs = _template(tokenizer, fit_prompt(turns, tokenizer, budget))
        if inputs["input_ids"].shape[1] > budget:
            log.warning("the instructions alone exceed the model's context: kept %d", budget)
            inputs = {name: value[:, -budget:] for name, value in inputs.items()}
        return {name: value.to(self.loaded.model.device) for name, value in inputs.items()}


def _template(tokenizer, turns: list[dict]) -> dict:
    return tokenizer.apply_chat_template(
        turns, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )


def prompt_budget(context: int | None, max_new_tokens: int) -> int | None:
    """Tokens a prompt may take: the context less the answer's room, but never under half
    of it (a huge FAQBOT_LLM_MAX_NEW_TOKENS must not leave no room for the question)."""
    if context is None:
        return None
    return max(context - max_new_tokens, context // 2)


def fit_prompt(turns: list[dict], tokenizer, budget: int | None) -> list[dict]:
    """`turns` within `budget` tokens of chat template, with a warning when they had to be
    cut. The last user turn loses the end of what precedes its question (the lowest-ranked
    sources first); only when that is not enough, its own beginning. The system turn and the
    question stay whole."""
    size = prompt_size(turns, tokenizer)
    users = [index for index, turn in enumerate(turns) if turn["role"] == "user"]
    if budget is None or size <= budget or not users:
        return turns
    index, content = users[-1], turns[users[-1]]["content"]
    body, marker, question = content.rpartition(QUESTION_MARKER)
    fitted, fitted_size, cut = turns, size, ""
    if marker:
        keep_question = lambda kept: kept + marker + question
        fitted, fitted_size = _shrink(turns, index, body, keep_question, tokenizer, budget, "start")
        cut = "the end of the sources"
    if fitted_size > budget:
        fitted, fitted_size = _shrink(turns, index, content, str, tokenizer, budget, "end")
        cut = "the start of the user's message"
    log.warning(
        "prompt of %d tokens is longer than the %d the model's context leaves: %s cut, %d left",
        size,
        budget,
        cut,
        fitted_size,
    )
    return fitted


def prompt_size(turns: list[dict], tokenizer) -> int:
    encoded = tokenizer.apply_chat_template(turns, add_generation_prompt=True, return_dict=True)
    return len(encoded["input_ids"])


def _shrink(
    turns: list[dict],
    index: int,
    text: str,
    compose: Callable[[str], str],
    tokenizer,
    budget: int,
    keep: str,
) -> tuple[list[dict], int]:
    """`turns` with turn `index` as `compose(text)`, `text` cut token by token from the
    end (keep="start") or the beginning (keep="end") until the prompt fits or it is gone."""
    for attempt in range(_MAX_CUTS + 1):
        fitted = [*turns[:index], {**turns[index], "content": compose(text)}, *turns[index + 1 :]]
        size = prompt_size(fitted, tokenizer)
        if size <= budget or not text or attempt == _MAX_CUTS:
            break
        text = _without_tokens(text, size - budget, tokenizer, keep)
    return fitted, size


def _without_tokens(text: str, count: int, tokenizer, keep: str) -> str:
    """`text` less `count` of its tokens, cut where a token starts so no word is mangled."""
    if not tokenizer.is_fast:  # no offsets: cut the same share of characters
        share = count / max(1, len(tokenizer(text, add_special_tokens=False)["input_ids"]))
        cut = min(len(text), int(len(text) * share) + 1)
        return text[: len(text) - cut] if keep == "start" else text[cut:]
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    starts = [start for start, _ in offsets["offset_mapping"]]
    if count >= len(starts):
        return ""
    if keep == "start":
        return text[: starts[len(starts) - count]].rstrip()
    return text[starts[count] :].lstrip()


def _generate_into(model, options: dict, streamer, failure: list[BaseException]) -> None:
    """Runs generation in its own thread; an exception is kept for the reader and the stream
    is closed, or the reader would wait for tokens forever."""
    try:
        model.generate(**options)
    except BaseException as exc:  # noqa: BLE001 - re-raised in the reading thread
        failure.append(exc)
        streamer.end()


class _StopWhenSet:
    """Ends generation at the next token once the consumer has gone (a soft time limit hit
    the task), so the worker's CPU is free for the next question."""

    def __init__(self, event: Event):
        self.event = event

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        return torch.full(
            (input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device
        )
