"""A LangChain chat model over a local transformers model, streaming token by token."""

from __future__ import annotations

from collections.abc import Iterator
from threading import Event, Thread
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from workers.generation.loading import LoadedModel

GENERATE_THREAD = "faqbot-generate"
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def chat_turns(messages: list[BaseMessage]) -> list[dict]:
    """LangChain messages as the role/content turns chat templates take."""
    return [{"role": _ROLES.get(m.type, "user"), "content": m.content} for m in messages]


def chat_messages(turns: list[dict]) -> list[BaseMessage]:
    """Role/content turns (a dataset's prompt) back as LangChain messages."""
    from langchain_core.messages import HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[turn["role"]](content=turn["content"]) for turn in turns]


class LocalChatModel(BaseChatModel):
    """Greedy decoding (answers should not vary run to run); the chat template is the model's."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    loaded: LoadedModel
    max_new_tokens: int = 200
    repetition_penalty: float = 1.15  # small models loop under greedy decoding without it

    @property
    def _llm_type(self) -> str:
        return "faqbot-local-transformers"

    @property
    def model_id(self) -> str:
        return self.loaded.model_id

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Streams internally, so callbacks see every token even through `invoke`."""
        text, usage = "", None
        for chunk in self._stream(messages, stop, run_manager, **kwargs):
            text += chunk.message.content
            usage = chunk.message.usage_metadata or usage
        message = AIMessage(content=text, usage_metadata=usage)
        return ChatResult(generations=[ChatGeneration(message=message)])

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
            **inputs, streamer=streamer, max_new_tokens=self.max_new_tokens, do_sample=False,
            repetition_penalty=self.repetition_penalty,
            pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
        )  # fmt: skip
        cancelled = Event()
        options["stopping_criteria"] = StoppingCriteriaList([_StopWhenSet(cancelled)])
        failure: list[BaseException] = []
        worker = Thread(target=_generate_into, args=(model, options, streamer, failure),
                        daemon=True, name=GENERATE_THREAD)  # fmt: skip
        worker.start()
        produced = ""
        try:
            for piece in streamer:
                if not piece:
                    continue
                produced += piece
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk
        finally:  # the caller stopped early (time limit, error): stop generating too
            cancelled.set()
        worker.join()
        if failure:  # generation broke: say so, never hand back a silently cut answer
            raise failure[0]
        prompt_tokens = int(inputs["input_ids"].shape[1])
        output_tokens = len(tokenizer(produced, add_special_tokens=False)["input_ids"])
        usage = {
            "input_tokens": prompt_tokens,
            "output_tokens": output_tokens,
            "total_tokens": prompt_tokens + output_tokens,
        }
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))

    def _encode(self, messages: list[BaseMessage]) -> dict:
        return self.loaded.tokenizer.apply_chat_template(
            chat_turns(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(self.loaded.model.device)


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

        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool,
                          device=input_ids.device)  # fmt: skip
