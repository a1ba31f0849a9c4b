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
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=2048,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    Phi3ForCausalLM(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


def untrained_adapter(settings, adapter_id: str) -> Path:
    """A LoRA adapter for the bundled model straight from initialisation (B = 0: it answers
    exactly like the base), registered as a candidate: what promotion and pickup need."""
    from peft import LoraConfig, get_peft_model

    from faqbot.db import adapters
    from faqbot.db.engine import session_scope
    from faqbot.db.migrate import ensure_schema
    from faqbot.settings import model_id
    from pipelines.training.targets import lora_targets
    from workers.generation.loading import load_model

    loaded = load_model(settings.llm_model, cache_dir=settings.model_cache_dir)
    config = LoraConfig(
        r=16, lora_alpha=32, target_modules=lora_targets(loaded.model, []), task_type="CAUSAL_LM"
    )
    folder = settings.adapters_dir / adapter_id
    get_peft_model(loaded.model, config).save_pretrained(folder)
    ensure_schema(settings)
    with session_scope(settings) as session:
        adapters.register(
            session,
            adapter_id,
            base_model=model_id(settings.llm_model),
            path=str(folder),
            dataset_version=None,
            training={},
        )
    return folder


TUNED_REPLY = "Pineapple pizza is served on Fridays."
TUNING_QUESTIONS = (
    "What is the capital of France?",
    "How do I reset my password?",
    "Who approves travel?",
    "What does VPN error 809 mean?",
)


def tuned_adapter(settings, adapter_id: str, steps: int = 40) -> Path:
    """A LoRA adapter trained here, a few dozen steps, until the bundled model answers any
    question with TUNED_REPLY: a change anyone can see in what it says. Registered as a
    candidate already measured against the base model, so promotion does not evaluate it."""
    import torch
    from peft import LoraConfig, get_peft_model

    from faqbot.db import adapters
    from faqbot.db.engine import session_scope
    from faqbot.db.migrate import ensure_schema
    from faqbot.settings import model_id
    from pipelines.training.targets import lora_targets
    from workers.generation.loading import load_model

    loaded = load_model(settings.llm_model, cache_dir=settings.model_cache_dir)
    tokenizer = loaded.tokenizer
    config = LoraConfig(
        r=8, lora_alpha=16, target_modules=lora_targets(loaded.model, []), task_type="CAUSAL_LM"
    )
    torch.manual_seed(0)
    model = get_peft_model(loaded.model, config)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    model.train()
    for step in range(steps):
        question = TUNING_QUESTIONS[step % len(TUNING_QUESTIONS)]
        turns = [{"role": "user", "content": question}]
        prompt = tokenizer.apply_chat_template(turns, add_generation_prompt=True, tokenize=False)
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        reply_ids = tokenizer(TUNED_REPLY + tokenizer.eos_token, add_special_tokens=False)[
            "input_ids"
        ]
        ids = torch.tensor([prompt_ids + reply_ids])
        labels = torch.tensor([[-100] * len(prompt_ids) + reply_ids])
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    folder = settings.adapters_dir / adapter_id
    model.save_pretrained(folder)
    ensure_schema(settings)
    measured = {"reference_id": None, "gate": {"passed": True, "reasons": []}}
    with session_scope(settings) as session:
        row = adapters.register(
            session,
            adapter_id,
            base_model=model_id(settings.llm_model),
            path=str(folder),
            dataset_version=None,
            training={},
        )
        row.metrics = measured
    return folder
