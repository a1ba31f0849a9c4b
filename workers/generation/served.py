"""The serving backend: a model server's OpenAI-compatible API (vLLM in production, llama.cpp's
server on CPUs) through LangChain's ChatOpenAI, streaming. The server batches the questions of
every worker; the promoted adapter is asked for by its id (vLLM serves LoRA adapters by name),
so a promotion changes what answers without restarting anything."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from langchain_openai import ChatOpenAI
from pydantic import PrivateAttr

from faqbot.errors import TransientError, first_line, masked_url
from faqbot.settings import Settings, model_id
from workers.generation.chat_model import token_usage
from workers.generation.loading import ModelUnavailable, adapter_name

ENGINE = "openai"


class ServerUnreachable(TransientError):
    """The model server did not answer: retried like any outage, then the question fails."""


class ServedChatModel(ChatOpenAI):
    """ChatOpenAI that says which model and adapter answer, and fails in one line."""

    base_model: str
    adapter_id: str | None = None
    adapter_path: str | None = None  # where the server loads it from, if it has to again
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
        except (openai.RateLimitError, openai.InternalServerError) as exc:  # busy: wait
            raise ServerUnreachable(
                f"{self._where()} is busy or failing ({first_line(exc)})"
            ) from exc
        except openai.NotFoundError as exc:
            if self.adapter_path:  # the server lost the adapter since: load it, try again
                self._checked = False
                raise ServerUnreachable(
                    f"{self._where()} no longer serves adapter {self.model_name!r}: loading it "
                    "again"
                ) from exc
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
        the name is checked against the server's list once, so a wrong one fails clearly. An
        adapter missing there (vLLM restarted, and forgot what it loaded) is loaded again."""
        server = self._server()
        names = server.models()
        if self.model_name not in names and self.adapter_path:
            server.publish(self.model_name, self.adapter_path)
        elif self.model_name not in names:
            raise ModelUnavailable(
                f"{self._where()} does not serve model {self.model_name!r} "
                f"(it serves: {', '.join(names) or 'nothing'})"
            )
        self._checked = True

    def _server(self) -> ModelServer:
        key = self.openai_api_key.get_secret_value() if self.openai_api_key else None
        return ModelServer(str(self.openai_api_base), key, float(self.request_timeout or 60))

    def _where(self) -> str:
        return f"the model server at {masked_url(str(self.openai_api_base))}"


def served_model(
    settings: Settings, adapter: str | None, *, max_new_tokens: int
) -> ServedChatModel:
    """Asks for the adapter (a directory) by its id when one answers, else for
    FAQBOT_LLM_MODEL. One client per process and name (its connections, and the check that
    the server serves the name)."""
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "unused"
    return _client(
        model_id(settings.llm_model),
        adapter,
        str(settings.llm_base_url),
        key,
        settings.llm_request_timeout_s,
        max_new_tokens,
    )


@lru_cache(maxsize=8)
def _client(
    base_model: str,
    adapter: str | None,
    base_url: str,
    api_key: str,
    timeout: float,
    max_new_tokens: int,
) -> ServedChatModel:
    adapter_id = adapter_name(adapter)
    return ServedChatModel(
        base_model=base_model,
        adapter_id=adapter_id,
        adapter_path=adapter,
        model=adapter_id or base_model,
        base_url=base_url,
        api_key=api_key,
        temperature=0.0,
        max_tokens=max_new_tokens,
        timeout=timeout,
        max_retries=1,
        streaming=True,
        stream_usage=True,
    )


def served_models(settings: Settings) -> list[str]:
    """The model names the server answers to (GET /models)."""
    return ModelServer.of(settings).models()


def publish_adapter(settings: Settings, adapter_id: str, path: str) -> str:
    """Makes the server answer to `adapter_id` before it is promoted; see ModelServer.publish."""
    return ModelServer.of(settings).publish(adapter_id, path)


@dataclass(frozen=True)
class ModelServer:
    """The server's own endpoints beside chat: its model list and vLLM's adapter loading."""

    base_url: str
    api_key: str | None
    timeout: float

    @classmethod
    def of(cls, settings: Settings) -> ModelServer:
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return cls(str(settings.llm_base_url), key, settings.llm_request_timeout_s)

    def models(self) -> list[str]:
        response = self._call("GET", "/models")
        if response.is_error:
            raise ModelUnavailable(
                f"{self._where()} answered GET /models with {response.status_code}"
            )
        return [entry.get("id") for entry in response.json().get("data", [])]

    def publish(self, adapter_id: str, path: str) -> str:
        """Already served (a llama.cpp server configured with it), or loaded now (vLLM's
        /load_lora_adapter, with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True). Returns which; a
        server that can do neither is an error, so a promotion never points workers at a
        name nobody serves."""
        if adapter_id in self.models():
            return "already served"
        body = {"lora_name": adapter_id, "lora_path": path}
        response = self._call("POST", "/load_lora_adapter", json=body)
        if response.status_code in (404, 405):
            raise ModelUnavailable(
                f"{self._where()} does not serve {adapter_id!r} and cannot load adapters at "
                "run time: start vLLM with --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING="
                f"True, or give llama.cpp's server a model aliased {adapter_id!r} with its LoRA "
                "GGUF (faqbot model-server does)"
            )
        if response.is_error:
            raise ModelUnavailable(
                f"{self._where()} could not load adapter {adapter_id!r}: "
                f"{first_line(Exception(response.text))}"
            )
        return "loaded"

    def _call(self, method: str, path: str, **options: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        url = f"{self.base_url.rstrip('/')}{path}"
        try:
            return httpx.request(method, url, headers=headers, timeout=self.timeout, **options)
        except httpx.HTTPError as exc:
            raise ServerUnreachable(
                f"{self._where()} did not answer ({first_line(exc)}): start it or fix "
                "FAQBOT_LLM_BASE_URL"
            ) from exc

    def _where(self) -> str:
        return f"the model server at {masked_url(self.base_url)}"
