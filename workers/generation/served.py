"""The serving backend: a model server's OpenAI-compatible API (vLLM in production, llama.cpp's
server on CPUs) through LangChain's ChatOpenAI, streaming. The server batches the questions of
every worker; the promoted adapter is asked for by its id (vLLM serves LoRA adapters by name),
so a promotion changes what answers without restarting anything."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from langchain_openai import ChatOpenAI
from pydantic import PrivateAttr

from faqbot.errors import TransientError, first_line, masked_url
from faqbot.settings import Settings, model_id
from workers.generation.chat_model import token_usage
from workers.generation.loading import ModelUnavailable

ENGINE = "openai"


class ServerUnreachable(TransientError):
    """The model server did not answer: retried like any outage, then the question fails."""


class ServedChatModel(ChatOpenAI):
    """ChatOpenAI that says which model and adapter answer, and fails in one line."""

    base_model: str
    adapter_id: str | None = None
    _checked: bool = PrivateAttr(False)

    @property
    def model_id(self) -> str:
        return self.base_model

    @property
    def engine(self) -> str:
        return ENGINE

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        import openai

        if not self._checked:
            self._check_served()
        pieces, usage_seen = 0, False
        try:
            for chunk in super()._stream(*args, **kwargs):
                pieces += bool(chunk.message.content)
                usage_seen = usage_seen or chunk.message.usage_metadata is not None
                yield chunk
        except openai.APIConnectionError as exc:  # also a timeout
            raise ServerUnreachable(
                f"{self._where()} did not answer ({first_line(exc)}): start "
                "it or fix FAQBOT_LLM_BASE_URL"
            ) from exc
        except openai.NotFoundError as exc:
            raise ModelUnavailable(
                f"{self._where()} does not serve model {self.model_name!r} ({first_line(exc)})"
            ) from exc
        except openai.APIStatusError as exc:
            raise ModelUnavailable(
                f"{self._where()} refused the request for {self.model_name!r}: {first_line(exc)}"
            ) from exc
        if not usage_seen:  # llama.cpp's server sends none: count what came (a token a piece)
            usage = token_usage(0, pieces)
            yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))

    def _get_request_payload(self, *args: Any, **kwargs: Any) -> dict:
        """OpenAI renamed max_tokens to max_completion_tokens; llama.cpp's server reads only the
        old name (and would write on), vLLM reads both."""
        payload = super()._get_request_payload(*args, **kwargs)
        if "max_completion_tokens" in payload:
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        return payload

    def _check_served(self) -> None:
        """Some servers (llama.cpp's) answer an unknown model name with their default model:
        the name is checked against the server's list once, so a wrong one fails clearly."""
        names = _listed_models(str(self.openai_api_base), self.openai_api_key, self.request_timeout)
        if self.model_name not in names:
            raise ModelUnavailable(
                f"{self._where()} does not serve model {self.model_name!r} "
                f"(it serves: {', '.join(names) or 'nothing'})"
            )
        self._checked = True

    def _where(self) -> str:
        return f"the model server at {masked_url(str(self.openai_api_base))}"


def served_model(
    settings: Settings, adapter_id: str | None, *, max_new_tokens: int
) -> ServedChatModel:
    """Asks for the adapter by its id when one answers, else for FAQBOT_LLM_MODEL."""
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "unused"
    return ServedChatModel(
        base_model=model_id(settings.llm_model),
        adapter_id=adapter_id,
        model=adapter_id or model_id(settings.llm_model),
        base_url=settings.llm_base_url,
        api_key=key,
        temperature=0.0,
        max_tokens=max_new_tokens,
        timeout=settings.llm_request_timeout_s,
        max_retries=1,
        streaming=True,
        stream_usage=True,
    )


def served_models(settings: Settings) -> list[str]:
    """The model names the server answers to (GET /models)."""
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return _listed_models(str(settings.llm_base_url), key, settings.llm_request_timeout_s)


def _listed_models(base_url: str, api_key: Any, timeout: Any) -> list[str]:
    secret = api_key.get_secret_value() if hasattr(api_key, "get_secret_value") else api_key
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    url = f"{base_url.rstrip('/')}/models"
    try:
        response = httpx.get(url, headers=headers, timeout=timeout or 60.0)
    except httpx.HTTPError as exc:
        raise ServerUnreachable(
            f"the model server at {masked_url(base_url)} did not answer "
            f"({first_line(exc)}): start it or fix FAQBOT_LLM_BASE_URL"
        ) from exc
    if response.is_error:
        raise ModelUnavailable(
            f"the model server at {masked_url(base_url)} answered GET /models "
            f"with {response.status_code}"
        )
    return [entry.get("id") for entry in response.json().get("data", [])]


def publish_adapter(settings: Settings, adapter_id: str, path: str) -> str:
    """Makes the server answer to `adapter_id` before it is promoted: already served (a
    llama.cpp server configured with it), or loaded now (vLLM's /load_lora_adapter, with
    VLLM_ALLOW_RUNTIME_LORA_UPDATING=True). Returns how; a server that can do neither is an
    error, so a promotion never points workers at a name nobody serves."""
    if adapter_id in served_models(settings):
        return "already served"
    response = _post(settings, "/load_lora_adapter", {"lora_name": adapter_id, "lora_path": path})
    if response.status_code in (404, 405):
        raise ModelUnavailable(
            f"the model server does not serve {adapter_id!r} and cannot load adapters at run "
            "time: start vLLM with --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True, or "
            f"give llama.cpp's server a model aliased {adapter_id!r} with its LoRA GGUF"
        )
    if response.is_error:
        raise ModelUnavailable(
            f"the model server could not load adapter {adapter_id!r}: "
            f"{first_line(Exception(response.text))}"
        )
    return "loaded"


def _post(settings: Settings, path: str, body: dict) -> httpx.Response:
    url = f"{str(settings.llm_base_url).rstrip('/')}{path}"
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        return httpx.post(url, json=body, headers=headers, timeout=settings.llm_request_timeout_s)
    except httpx.HTTPError as exc:
        raise ServerUnreachable(
            f"the model server at {masked_url(url)} did not answer ({first_line(exc)})"
        ) from exc
