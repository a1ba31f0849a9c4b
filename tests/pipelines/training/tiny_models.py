"""A tiny random Phi-3 (Phi3Config, a few layers) for Phi-3's code paths without its weights."""

from __future__ import annotations

from pathlib import Path


def tiny_phi3(folder: Path, model_cache: Path) -> Path:
    """Saved like a hub checkpoint: config, safetensors, and a tokenizer (SmolLM2's, with
    Phi-3's chat template) so loading it goes through the same code as the real one."""
    import torch
    from transformers import AutoTokenizer, Phi3Config, Phi3ForCausalLM

    from workers.generation.loading import PHI3_CHAT_TEMPLATE, bundled_checkpoint

    if (folder / "config.json").is_file():
        return folder
    checkpoint, _ = bundled_checkpoint(model_cache)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    tokenizer.chat_template = PHI3_CHAT_TEMPLATE
    torch.manual_seed(0)
    config = Phi3Config(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=2048,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    Phi3ForCausalLM(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder
