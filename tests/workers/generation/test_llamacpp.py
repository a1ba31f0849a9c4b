"""The fast CPU engine: llama.cpp runs the bundled GGUF in process, streams, cuts a prompt that
is too long instead of failing, and answers with the promoted adapter (converted to a LoRA
GGUF on promotion; a stale conversion is refused)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from faqbot.settings import BUNDLED_LLM
from tests.pipelines.training.tiny_models import TUNED_REPLY, tuned_adapter
from workers.answering.shared_chain import chat_model_for
from workers.generation.chat_model import QUESTION_MARKER
from workers.generation.engines import generator_for, llamacpp_model
from workers.generation.loading import ModelUnavailable, gguf_file
from workers.generation.lora_gguf import StaleConversion, converted_path
from workers.generation.registry import forget_answering_adapter

pytestmark = pytest.mark.slow

QUESTION = [
    SystemMessage(content="Answer in one sentence."),
    HumanMessage(content="What is the capital of France?"),
]
MARKER = TUNED_REPLY.split()[0]


@pytest.fixture
def fast(settings):
    forget_answering_adapter()
    llamacpp_model.cache_clear()
    return settings.model_copy(
        update={"llm_engine": "llamacpp", "llm_max_new_tokens": 24, "adapter_refresh_s": 0.0}
    )


def answer(settings) -> str:
    return str(chat_model_for(settings).invoke(QUESTION).content)


def test_the_bundled_gguf_answers_token_by_token(fast):
    model = generator_for(fast, None)
    chunks = list(model.stream(QUESTION))
    assert "Paris" in "".join(chunk.content for chunk in chunks)
    assert sum(bool(chunk.content) for chunk in chunks) > 3  # streamed, not one block
    first = next(chunk for chunk in chunks if chunk.content)
    assert first.usage_metadata["input_tokens"] > 10  # the prompt's size comes first
    assert (
        sum(chunk.usage_metadata["output_tokens"] for chunk in chunks if chunk.usage_metadata) > 3
    )
    assert (model.engine, model.model_id, model.adapter_id) == (
        "llamacpp",
        "SmolLM2-135M-Instruct",
        None,
    )


def test_a_prompt_longer_than_the_context_loses_its_sources_not_the_question(fast, caplog):
    small = fast.model_copy(update={"llm_context_tokens": 512})
    sources = "The cafeteria opens at nine and closes at five. " * 400
    message = HumanMessage(content=f"Sources:\n{sources}{QUESTION_MARKER}What is 2 + 2?")
    with caplog.at_level(logging.WARNING, logger="faqbot.worker"):
        text = generator_for(small, None).invoke([message]).content
    assert text and "the end of the sources cut" in caplog.text


def test_only_gguf_files_run_in_llamacpp(fast):
    other = fast.model_copy(update={"llm_model": "microsoft/Phi-3-mini-4k-instruct"})
    with pytest.raises(ModelUnavailable, match="runs GGUF files.*FAQBOT_LLM_MODEL"):
        generator_for(other, None)


def test_the_conversion_changes_llamacpp_as_the_adapter_changes_transformers(settings, tmp_path):
    """Same logits shift in both engines (q and k rows reordered as llama.cpp's layout needs:
    without it the correlation drops to about 0.96)."""
    import numpy as np
    import torch
    from llama_cpp import Llama
    from peft import LoraConfig, get_peft_model

    from workers.generation.loading import load_model
    from workers.generation.lora_gguf import convert_adapter

    cache = settings.model_cache_dir
    base = load_model(BUNDLED_LLM, cache_dir=cache)
    config = LoraConfig(
        r=8,
        lora_alpha=16,
        init_lora_weights=False,
        task_type="CAUSAL_LM",
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "up_proj"],
    )
    torch.manual_seed(0)
    get_peft_model(load_model(BUNDLED_LLM, cache_dir=cache).model, config).save_pretrained(
        tmp_path / "random"
    )
    adapted = load_model(BUNDLED_LLM, cache_dir=cache, adapter=str(tmp_path / "random"))
    ids = base.tokenizer("The quick brown fox jumps over the lazy dog near Paris.")["input_ids"]
    with torch.no_grad():
        shift = (
            adapted.model(torch.tensor([ids])).logits[0] - base.model(torch.tensor([ids])).logits[0]
        )
    lora = convert_adapter(tmp_path / "random", gguf_file(BUNDLED_LLM))

    def logits(lora_path):
        llama = Llama(
            model_path=str(gguf_file(BUNDLED_LLM)),
            lora_path=lora_path,
            n_ctx=256,
            logits_all=True,
            verbose=False,
        )
        llama.eval(ids)
        scores = np.array(llama.scores[: len(ids)])
        llama.close()
        return scores

    llama_shift = logits(str(lora)) - logits(None)
    assert np.corrcoef(shift.numpy().ravel(), llama_shift.ravel())[0, 1] > 0.99


def test_a_promoted_adapter_answers_and_a_rollback_takes_it_back(fast):
    from pipelines.evaluation.gate import promote, rollback

    before = answer(fast)
    folder = tuned_adapter(fast, "ad-tuned")
    promote(fast, "ad-tuned")
    assert converted_path(folder, gguf_file(BUNDLED_LLM)).is_file()  # converted on promotion
    tuned = answer(fast)
    assert MARKER in tuned and MARKER not in before
    assert chat_model_for(fast).adapter_id == "ad-tuned"
    rollback(fast)
    assert answer(fast) == before


def test_a_conversion_that_no_longer_matches_its_adapter_is_refused(fast):
    from safetensors.torch import load_file, save_file

    from pipelines.evaluation.gate import promote

    folder = tuned_adapter(fast, "ad-changed", steps=2)
    promote(fast, "ad-changed")
    weights = Path(folder) / "adapter_model.safetensors"
    save_file({name: tensor * 2 for name, tensor in load_file(weights).items()}, weights)
    with pytest.raises(StaleConversion, match="ad-changed: its llama.cpp conversion is stale"):
        chat_model_for(fast)
