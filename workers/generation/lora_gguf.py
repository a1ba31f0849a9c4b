"""A peft LoRA adapter as a llama.cpp LoRA GGUF, so the llama.cpp engine (in process, or its
server) answers with the promoted adapter. Converted on promotion, beside the adapter; the
file records which adapter weights and which base model it was made from, and a conversion
that no longer matches either is refused, never served."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from workers.generation.loading import ModelUnavailable

ADAPTER_WEIGHTS = "adapter_model.safetensors"
_PEFT_PREFIX = "base_model.model."
_SOURCE_KEY = "faqbot.adapter.sha256"
_BASE_KEY = "faqbot.base_model"
# Architectures whose GGUF conversion reorders the rows of q and k for its rotary layout
# (llama.cpp's convert_hf_to_gguf does so for Llama-style models): B's rows follow.
_PERMUTED_QK = {"llama"}


class StaleConversion(ModelUnavailable):
    """The adapter's GGUF was made from other weights or for another base model."""


def converted_path(adapter: Path, base_gguf: Path) -> Path:
    return Path(adapter) / f"lora-{base_gguf.stem}.gguf"


def convert_adapter(adapter: Path, base_gguf: Path) -> Path:
    """Writes the adapter's LoRA GGUF for `base_gguf` (f32: LoRA tensors are small) and returns
    its path; a current conversion is kept as it is."""
    adapter, target = Path(adapter), converted_path(adapter, base_gguf)
    source = _weights_digest(adapter)
    if target.is_file() and _recorded(target) == (source, base_gguf.name):
        return target
    config = _lora_config(adapter)
    architecture, heads, kv_heads, blocks = _base_shape(base_gguf)
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    try:
        _write(
            partial,
            adapter,
            config,
            architecture,
            heads,
            kv_heads,
            blocks,
            source=source,
            base=base_gguf.name,
        )
        partial.replace(target)
    finally:  # a failed conversion leaves nothing behind; a current one stays as it was
        partial.unlink(missing_ok=True)
    return target


def serving_conversion(adapter: Path, base_gguf: Path) -> Path:
    """The conversion to serve: made now if the adapter was promoted before the engine ran
    (a missing file), refused if it no longer matches the adapter's weights or the base model
    (the adapter was changed in place after the gate measured it, or the model changed)."""
    target = converted_path(adapter, base_gguf)
    if not target.is_file():
        return convert_adapter(adapter, base_gguf)
    if _recorded(target) != (_weights_digest(Path(adapter)), base_gguf.name):
        raise StaleConversion(
            f"adapter {Path(adapter).name}: its llama.cpp conversion is stale "
            "(the adapter's weights or the base model changed since it was "
            "promoted): retrain and promote, or roll back"
        )
    return target


def _weights_digest(adapter: Path) -> str:
    weights = adapter / ADAPTER_WEIGHTS
    if not weights.is_file():
        raise ModelUnavailable(f"adapter {adapter.name}: no {ADAPTER_WEIGHTS} in {adapter}")
    digest = hashlib.sha256()
    with weights.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _lora_config(adapter: Path) -> dict:
    try:
        config = json.loads((adapter / "adapter_config.json").read_text())
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"adapter {adapter.name}: unreadable adapter_config.json") from exc
    if config.get("peft_type") != "LORA":
        raise ModelUnavailable(
            f"adapter {adapter.name}: a {config.get('peft_type')} adapter, "
            "llama.cpp serves LoRA only"
        )
    if config.get("use_dora") or config.get("use_rslora"):
        raise ModelUnavailable(f"adapter {adapter.name}: DoRA and rsLoRA have no llama.cpp form")
    return config


def _base_shape(base_gguf: Path) -> tuple[str, int, int, int]:
    from gguf import GGUFReader

    fields = GGUFReader(base_gguf).fields
    architecture = _text(fields["general.architecture"])
    number = lambda key: int(fields[f"{architecture}.{key}"].parts[-1][0])
    heads = number("attention.head_count")
    kv_heads = (
        number("attention.head_count_kv")
        if f"{architecture}.attention.head_count_kv" in fields
        else heads
    )
    return architecture, heads, kv_heads, number("block_count")


def _recorded(target: Path) -> tuple[str, str] | None:
    from gguf import GGUFReader

    try:
        fields = GGUFReader(target).fields
        return _text(fields[_SOURCE_KEY]), _text(fields[_BASE_KEY])
    except (KeyError, ValueError, OSError):
        return None


def _text(field) -> str:
    return bytes(field.parts[-1]).decode()


def _write(
    target: Path,
    adapter: Path,
    config: dict,
    architecture: str,
    heads: int,
    kv_heads: int,
    blocks: int,
    *,
    source: str,
    base: str,
) -> None:
    import gguf
    from safetensors.numpy import load_file

    arch = next(key for key, name in gguf.MODEL_ARCH_NAMES.items() if name == architecture)
    names = gguf.get_tensor_name_map(arch, blocks)
    writer = gguf.GGUFWriter(target, architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    writer.add_string(_SOURCE_KEY, source)
    writer.add_string(_BASE_KEY, base)
    for name, a, b in _pairs(load_file(adapter / ADAPTER_WEIGHTS)):
        gguf_name = names.get_name(name, try_suffixes=(".weight",))
        if gguf_name is None:
            raise ModelUnavailable(f"adapter {adapter.name}: {name} has no llama.cpp tensor")
        if architecture in _PERMUTED_QK and name.endswith(("q_proj.weight", "k_proj.weight")):
            b = _permute_rows(b, heads if "q_proj" in name else kv_heads)
        writer.add_tensor(f"{gguf_name}.lora_a", a.astype("float32"))
        writer.add_tensor(f"{gguf_name}.lora_b", b.astype("float32"))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _pairs(tensors: dict):
    """(base weight name, A, B) per adapted layer, A as [rank, in] and B as [out, rank]: the
    layouts llama.cpp reads as its lora_a and lora_b."""
    for key in sorted(tensors):
        if not key.endswith(".lora_A.weight"):
            continue
        layer = key.removeprefix(_PEFT_PREFIX).removesuffix(".lora_A.weight")
        b_key = key.replace(".lora_A.weight", ".lora_B.weight")
        if b_key not in tensors:
            raise ModelUnavailable(f"adapter weights hold {key} but no {b_key}")
        yield f"{layer}.weight", tensors[key], tensors[b_key]


def _permute_rows(weights, heads: int):
    rows = weights.shape[0]
    return (
        weights.reshape(heads, 2, rows // heads // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )
