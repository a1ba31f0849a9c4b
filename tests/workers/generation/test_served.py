"""The HTTP backend against a real OpenAI-compatible server on loopback (llama.cpp's, serving
the bundled GGUF): it streams, names what fails in one line, and answers with the promoted
adapter by name, which a rollback takes back."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from faqbot.settings import BUNDLED_LLM, model_id
from tests.pipelines.training.tiny_models import TUNED_REPLY, tuned_adapter
from workers.answering.shared_chain import chat_model_for
from workers.generation.engines import generator_for
from workers.generation.llama_server import ServedModel, llama_server
from workers.generation.loading import ModelUnavailable, gguf_file
from workers.generation.registry import forget_answering_adapter
from workers.generation.served import ServerUnreachable
from workers.tasks.policy import is_transient

pytestmark = pytest.mark.slow

QUESTION = [
    SystemMessage(content="Answer in one sentence."),
    HumanMessage(content="What is the capital of France?"),
]
BASE = ServedModel(model_id(BUNDLED_LLM), gguf_file(BUNDLED_LLM))


@pytest.fixture(scope="module")
def server():
    with llama_server([BASE]) as (url, _):
        yield url


def served(settings, url: str, **changes):
    forget_answering_adapter()
    update = {
        "llm_engine": "openai",
        "llm_base_url": url,
        "llm_max_new_tokens": 24,
        "adapter_refresh_s": 0.0,
        **changes,
    }
    return settings.model_copy(update=update)


def test_answers_stream_from_the_server(settings, server):
    model = generator_for(served(settings, server), None)
    chunks = list(model.stream(QUESTION))
    assert "Paris" in "".join(chunk.content for chunk in chunks)
    assert sum(bool(chunk.content) for chunk in chunks) > 3
    assert (
        sum(chunk.usage_metadata["output_tokens"] for chunk in chunks if chunk.usage_metadata) > 3
    )
    assert (model.engine, model.model_id) == ("openai", "SmolLM2-135M-Instruct")


def test_a_model_the_server_does_not_serve_fails_in_one_line(settings, server):
    model = generator_for(served(settings, server, llm_model="Phi-3-mini-4k-instruct"), None)
    with pytest.raises(ModelUnavailable) as error:
        model.invoke(QUESTION)
    assert str(error.value) == (
        f"the model server at {server} does not serve model 'Phi-3-mini-4k-instruct' "
        "(it serves: SmolLM2-135M-Instruct)"
    )


def test_a_server_that_is_down_fails_in_one_line_and_is_worth_retrying(settings):
    model = generator_for(served(settings, "http://127.0.0.1:1/v1"), None)
    with pytest.raises(ServerUnreachable) as error:
        model.invoke(QUESTION)
    assert "\n" not in str(error.value) and "127.0.0.1:1" in str(error.value)
    assert "FAQBOT_LLM_BASE_URL" in str(error.value) and is_transient(error.value)


def test_the_server_answers_with_the_promoted_adapter_by_name_until_a_rollback(settings):
    from pipelines.evaluation.gate import promote, rollback
    from workers.generation.lora_gguf import convert_adapter

    folder = tuned_adapter(settings, "ad-served")
    tuned = ServedModel("ad-served", BASE.model, convert_adapter(folder, BASE.model))
    marker = TUNED_REPLY.split()[0]
    with llama_server([BASE, tuned]) as (url, _):
        remote = served(settings, url)
        before = chat_model_for(remote).invoke(QUESTION).content
        promote(remote, "ad-served")
        after = chat_model_for(remote)
        assert after.model_name == "ad-served"
        assert marker in after.invoke(QUESTION).content and marker not in before
        rollback(remote)
        assert chat_model_for(remote).invoke(QUESTION).content == before


def test_promotion_is_refused_when_the_server_cannot_serve_the_adapter(settings, server):
    from faqbot.db import adapters
    from faqbot.db.engine import session_scope
    from pipelines.evaluation.gate import PromotionRefused, promote

    remote = served(settings, server)
    tuned_adapter(remote, "ad-unserved", steps=1)
    with pytest.raises(PromotionRefused, match="cannot load adapters at run time"):
        promote(remote, "ad-unserved")
    with session_scope(remote) as session:
        assert adapters.promoted(session) is None
