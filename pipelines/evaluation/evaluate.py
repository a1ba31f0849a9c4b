"""`faqbot eval`: an adapter and the one answering now (or the base model), side by side, on the
dataset's held-out split and on the golden set.

- eval split: the recorded prompts (question and the passages it was answered from) go to the
  model directly; the reference is the 👍 answer or the correction.
- golden set: each question goes through the whole answer chain (retrieval, generation, citation
  checks), as an employee would ask it.

Per answer: token F1 and ROUGE-L against the reference; citation accuracy (it cites, and only
what the reference cites / the expected documents); refusal correctness (it refuses exactly when
it should)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from faqbot.settings import Settings
from pipelines.evaluation.golden import GoldenQuestion
from pipelines.evaluation.metrics import rouge_l, token_f1

METRICS = ("token_f1", "rouge_l", "citation_accuracy", "refusal_correctness")
REFUSAL = re.compile(
    r"(?i)\b(?:don'?t|do not|doesn'?t|does not|can'?t|cannot) (?:know|cover|"
    r"answer)|\bnot (?:covered|in the (?:sources|knowledge base))"
)


def is_refusal(text: str) -> bool:
    return bool(REFUSAL.search(text))


def evaluate_model(
    settings: Settings,
    *,
    adapter_path: str | None,
    adapter_id: str | None,
    split_rows: list[dict],
    golden: list[GoldenQuestion],
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Scores one model (base + optional adapter); returns per-set and overall means."""
    from workers.generation.engines import generator_for

    # As the workers will run it; a server does not serve a candidate yet, so it is measured
    # in process.
    engine = "transformers" if settings.llm_engine == "openai" else None
    chat_model = generator_for(settings, adapter_path, engine=engine)
    label = adapter_id or "base model"
    scored = {"eval_split": [], "golden": []}
    for n, row in enumerate(split_rows, 1):
        scored["eval_split"].append(_score_split(chat_model, row))
        _tick(progress, f"{label}: eval split", n, len(split_rows))
    if golden:
        chain = _chain(settings, chat_model, adapter_id)
        for n, question in enumerate(golden, 1):
            scored["golden"].append(_score_golden(chain, question))
            _tick(progress, f"{label}: golden set", n, len(golden))
    everything = scored["eval_split"] + scored["golden"]
    return {
        "adapter": adapter_id,
        **{name: _means(rows) for name, rows in scored.items()},
        "overall": _means(everything),
    }


def _tick(progress, phase: str, done: int, total: int) -> None:
    if progress:
        progress(phase, done, total)


def _chain(settings: Settings, chat_model, adapter_id: str | None):
    from workers.answering.chain import build_answer_chain
    from workers.embedder import get_embedder
    from workers.store import get_store

    return build_answer_chain(
        settings=settings,
        store=get_store(settings),
        embedder=get_embedder(settings.embedding_model, settings.embedding_batch_size),
        chat_model=chat_model,
        adapter=adapter_id,
    )


def _score_split(chat_model, row: dict) -> dict:
    from workers.answering.citations import cited_numbers, sanitise
    from workers.generation.chat_model import chat_messages

    prediction = sanitise(str(chat_model.invoke(chat_messages(row["prompt"])).content))
    reference = row["completion"][-1]["content"]
    expected = set(cited_numbers(reference))
    cited = set(cited_numbers(prediction))
    refuses = is_refusal(reference)
    return _score(
        prediction,
        reference,
        citation_ok=None if refuses else bool(cited) and cited <= expected,
        refusal_ok=is_refusal(prediction) == refuses,
    )


def _score_golden(chain, question: GoldenQuestion) -> dict:
    from workers.answering.chain import answer_question

    answer = answer_question(chain, question.question)
    refused = answer.refused or is_refusal(answer.answer)
    documents = {Path(c.document).name for c in answer.citations}
    documents |= {c.source_id for c in answer.citations}
    citation_ok = None
    if not question.refuse and question.sources:
        citation_ok = bool(answer.citations) and documents & set(question.sources) != set()
    reference = None if question.refuse else question.answer  # a refusal has no wording to match
    return _score(
        answer.answer, reference, citation_ok=citation_ok, refusal_ok=refused == question.refuse
    )


def _score(
    prediction: str, reference: str | None, *, citation_ok: bool | None, refusal_ok: bool
) -> dict:
    return {
        "token_f1": None if reference is None else token_f1(prediction, reference),
        "rouge_l": None if reference is None else rouge_l(prediction, reference),
        "citation_accuracy": citation_ok,
        "refusal_correctness": refusal_ok,
    }


def _means(rows: list[dict]) -> dict:
    """Means per metric over the answers it applies to (citations: those that should cite;
    wording: those with a reference answer)."""
    result: dict = {"n": len(rows)}
    for metric in METRICS:
        values = [float(r[metric]) for r in rows if r[metric] is not None]
        result[metric] = round(sum(values) / len(values), 4) if values else None
    return result
