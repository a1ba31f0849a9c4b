"""Adapters llama.cpp cannot serve are refused in one line, and leave no file behind."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from faqbot.settings import BUNDLED_LLM
from workers.generation.loading import ModelUnavailable, gguf_file
from workers.generation.lora_gguf import convert_adapter

LAYER = "base_model.model.model.layers.0.self_attn.q_proj"


def adapter(folder, tensors: dict, **config):
    folder.mkdir()
    settings = {"peft_type": "LORA", "lora_alpha": 16, "r": 4, **config}
    (folder / "adapter_config.json").write_text(json.dumps(settings))
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    return folder


def pair(layer: str) -> dict:
    return {
        f"{layer}.lora_A.weight": np.zeros((4, 576), dtype=np.float32),
        f"{layer}.lora_B.weight": np.zeros((576, 4), dtype=np.float32),
    }


@pytest.mark.parametrize(
    ("config", "tensors", "reason"),
    [
        ({"use_dora": True}, pair(LAYER), "DoRA and rsLoRA have no llama.cpp form"),
        ({"peft_type": "IA3"}, pair(LAYER), "a IA3 adapter, llama.cpp serves LoRA only"),
        ({}, pair("base_model.model.model.layers.0.mystery"), "has no llama.cpp tensor"),
        ({}, {f"{LAYER}.lora_A.weight": np.zeros((4, 576), np.float32)}, "but no"),
    ],
    ids=["dora", "not-lora", "unknown-layer", "half-a-pair"],
)
def test_an_adapter_llamacpp_cannot_serve_is_one_line(tmp_path, config, tensors, reason):
    folder = adapter(tmp_path / "ad-bad", tensors, **config)
    with pytest.raises(ModelUnavailable, match=reason) as error:
        convert_adapter(folder, gguf_file(BUNDLED_LLM))
    assert "\n" not in str(error.value)
    assert sorted(path.name for path in folder.iterdir()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
    ]


def test_an_unreadable_config_is_one_line(tmp_path):
    folder = adapter(tmp_path / "ad-broken", pair(LAYER))
    (folder / "adapter_config.json").write_text("{not json")
    with pytest.raises(ModelUnavailable, match="ad-broken: unreadable adapter_config.json"):
        convert_adapter(folder, gguf_file(BUNDLED_LLM))
