"""Which linear layers LoRA adapts. Phi-3 fuses its projections (`qkv_proj`, `gate_up_proj`), so
the target list of a Llama recipe (`q_proj`, `k_proj`, …) would silently match only `o_proj` and
`down_proj` there: a target that matches nothing is an error here, never a skip."""

from __future__ import annotations

# By `config.model_type`; anything else must name its targets (FAQBOT_LORA_TARGET_MODULES).
DEFAULT_TARGETS = {
    "phi3": ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],
    "llama": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "mistral": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "qwen2": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
}


class TargetModulesError(ValueError):
    """The configured LoRA targets do not fit the model; the message lists what it has."""


def lora_targets(model, configured: list[str]) -> list[str]:
    """The targets to use: `configured`, or the default for the model's architecture; each must
    name at least one linear layer of the model."""
    model_type = model.config.model_type
    targets = configured or DEFAULT_TARGETS.get(model_type)
    layers = linear_layer_names(model)
    if not targets:
        raise TargetModulesError(
            f"no default LoRA targets for a {model_type!r} model: set FAQBOT_LORA_TARGET_MODULES "
            f"to some of its linear layers ({', '.join(sorted(layers))})"
        )
    missing = [t for t in targets if t not in layers]
    if missing:
        raise TargetModulesError(
            f"LoRA target {', '.join(missing)} matches no module of this {model_type!r} model "
            f"(its linear layers: {', '.join(sorted(layers))})"
        )
    return list(targets)


def linear_layer_names(model) -> set[str]:
    """Last name components of the model's linear layers (4-bit ones included), lm_head aside."""
    import torch

    names = set()
    for name, module in model.named_modules():
        leaf = name.rsplit(".", 1)[-1]
        if leaf != "lm_head" and (
            isinstance(module, torch.nn.Linear)
            or type(module).__name__ in ("Linear4bit", "Linear8bitLt")
        ):
            names.add(leaf)
    return names
