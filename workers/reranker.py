"""The cross-encoder reranker: reads (question, passage) together and scores how well the
passage answers it, to reorder the first stage's candidates. Built once per process."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from workers.store.base import Hit

MANIFEST = "reranker.json"  # written beside the weights by `faqbot reranker train`
DEFAULT_MAX_LENGTH = 256


class RerankerUnavailable(RuntimeError):
    """The configured reranker cannot be loaded; the message says why and how to fix it."""


def _checked(path: Path) -> Path:
    """The directory, if it holds a 1-logit sequence classifier; one clear line if not."""
    fix = "train one with `faqbot reranker train` or unset FAQBOT_RERANKER_PATH"
    if not path.is_dir():
        raise RerankerUnavailable(f"reranker {path}: no such directory; {fix}")
    config_file = path / "config.json"
    if not config_file.is_file():
        raise RerankerUnavailable(f"reranker {path}: not a cross-encoder (no config.json); {fix}")
    config = json.loads(config_file.read_text())
    architectures = config.get("architectures") or []
    labels = len(config.get("id2label") or {"0": None})
    if labels != 1 or not any(a.endswith("ForSequenceClassification") for a in architectures):
        raise RerankerUnavailable(
            f"reranker {path}: not a cross-encoder (needs a 1-logit sequence classifier, found "
            f"{', '.join(architectures) or 'no architecture'} with {labels} labels); {fix}"
        )
    return path


def minmax(scores: np.ndarray) -> np.ndarray:
    span = float(scores.max() - scores.min()) if len(scores) else 0.0
    return (scores - scores.min()) / span if span else np.ones_like(scores)


class Reranker:
    """Scores pairs in batches of similar length; `rerank` reorders hits, keeping each chunk."""

    def __init__(
        self,
        model,
        tokenizer,
        *,
        max_length: int = DEFAULT_MAX_LENGTH,
        batch_size: int = 32,
        name: str = "",
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size
        self.name = name

    @classmethod
    def load(cls, path: Path, batch_size: int = 32) -> Reranker:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from workers.embedder import quiet_transformers

        path = _checked(Path(path))
        quiet_transformers()
        manifest_file = path / MANIFEST
        manifest = json.loads(manifest_file.read_text()) if manifest_file.is_file() else {}
        try:
            tokenizer = AutoTokenizer.from_pretrained(path)
            model = AutoModelForSequenceClassification.from_pretrained(path)
        except (OSError, ValueError) as exc:
            first_line = str(exc).strip().splitlines()[0]
            raise RerankerUnavailable(
                f"reranker {path}: could not be loaded ({first_line})"
            ) from exc
        return cls(
            model.eval(),
            tokenizer,
            batch_size=batch_size,
            name=str(path),
            max_length=int(manifest.get("max_length", DEFAULT_MAX_LENGTH)),
        )

    def score(self, query: str, passages: list[str]) -> np.ndarray:
        """One logit per passage: higher means it answers `query` better."""
        import torch

        scores = np.zeros(len(passages), dtype=np.float32)
        order = sorted(range(len(passages)), key=lambda i: len(passages[i]), reverse=True)
        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                inputs = self.tokenizer(
                    [query] * len(batch),
                    [passages[i] for i in batch],
                    padding=True,
                    truncation="longest_first",
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                scores[batch] = self.model(**inputs).logits[:, 0].float().numpy()
        self.model.train(was_training)
        return scores

    def rerank(self, query: str, hits: list[Hit], first_stage_weight: float = 0.0) -> list[Hit]:
        """The hits best first by weight·first-stage + (1 − weight)·cross-encoder score, each
        min-max normalised over these hits; the returned score is that blend."""
        if not hits:
            return []
        scores = self.score(query, [hit.chunk.search_text for hit in hits])
        blended = first_stage_weight * minmax(np.array([h.score for h in hits], np.float32))
        blended = blended + (1.0 - first_stage_weight) * minmax(scores)
        order = sorted(range(len(hits)), key=lambda i: -blended[i])
        return [replace(hits[i], score=float(blended[i])) for i in order]


@lru_cache(maxsize=2)
def get_reranker(path: str, batch_size: int = 32) -> Reranker:
    """One reranker per process: loading it takes seconds and ~90 MB."""
    return Reranker.load(Path(path), batch_size)
