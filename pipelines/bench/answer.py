"""`faqbot bench answer`: the whole answer chain on a dataset, as BENCHMARK.md describes.

Citation hit rate: at least one cited passage belongs to the gold document (thread). Token-F1:
SQuAD-normalised, against the best-matching gold answer; reference words: the share of that
answer's content words the bot's answer contains. Recall@5: the answer-bearing passage (the
sample and long-document sets) or a gold answer (StackFAQ) among the five passages retrieved.
Off-topic questions (the sample's off-topic set) should be refused. Time to the first text is
when the asker first sees an answer (the cited quote), time to the final answer when it is
complete; both, and tokens/s, are measured on this machine.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faqbot.contracts import Answer
from faqbot.settings import Settings
from pipelines.evaluation.corpora import index_longdocs, index_sample, index_stackfaq
from pipelines.evaluation.metrics import token_f1
from pipelines.evaluation.question_sets import (
    Query,
    load_longdocs_questions,
    load_offtopic_questions,
    load_sample_questions,
    load_stackfaq,
    spread,
)
from workers.answering.chain import answer_question, build_answer_chain
from workers.answering.terms import content_words
from workers.embedder import Embedder, get_embedder
from workers.store.base import KnowledgeStore

if TYPE_CHECKING:
    from langchain_core.runnables import Runnable


def run_answer_benchmark(
    dataset: str, settings: Settings, *, limit: int | None = None, progress=None
) -> dict:
    with bench_chain(dataset, settings, progress, limit=limit) as bench:
        queries = bench.queries
        recall = _recall_at_5(
            queries, settings, bench.store, bench.embedder, passages=bench.name != "stackfaq"
        )
        answers = _run(bench.chain, [q.text for q in queries], progress, "in scope")
        offtopic = _run(bench.chain, load_offtopic_questions(), progress, "off topic")
        unseen = _run(
            bench.chain, load_offtopic_questions(held_out=True), progress, "off topic, held out"
        )
    summary = summarise_answers(queries, answers, offtopic, unseen)
    return {"dataset": bench.name, "recall_at_5": recall, **summary, "model": bench.model}


@dataclass
class BenchChain:
    """A dataset indexed into a fresh temporary store, and the answer chain over it."""

    chain: Runnable
    store: KnowledgeStore
    embedder: Embedder
    model: str
    queries: list[Query]  # spread over the set when limited
    name: str


@contextmanager
def bench_chain(
    dataset: str,
    settings: Settings,
    progress=None,
    *,
    limit: int | None = None,
    chain_settings: Settings | None = None,
) -> Iterator[BenchChain]:
    """The chain with the configured model over `dataset` (see `indexed_questions`), built
    with `chain_settings` where the run changes a setting of the chain; the store is removed
    afterwards."""
    from workers.answering.shared_chain import chat_model_for
    from workers.store.lance import LanceKnowledgeStore

    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    chat_model = chat_model_for(settings)
    with tempfile.TemporaryDirectory(prefix="faqbot-bench-") as tmp, progress or nullcontext():
        store = LanceKnowledgeStore(Path(tmp))
        queries, name = indexed_questions(dataset, settings, store, embedder, progress)
        chain = build_answer_chain(
            settings=chain_settings or settings,
            store=store,
            embedder=embedder,
            chat_model=chat_model,
        )
        yield BenchChain(chain, store, embedder, chat_model.model_id, spread(queries, limit), name)


def indexed_questions(
    dataset: str, settings: Settings, store, embedder, progress=None
) -> tuple[list[Query], str]:
    """Indexes `dataset` ('sample', 'longdocs' or a StackFAQ folder) into `store`; returns its
    in-scope questions (StackFAQ's test split) and the dataset's name."""
    if dataset == "sample":
        index_sample(settings, store, embedder, progress)
        return load_sample_questions(), "sample"
    if dataset == "longdocs":
        index_longdocs(settings, store, embedder, progress)
        return load_longdocs_questions(), "longdocs"
    data = load_stackfaq(Path(dataset))
    index_stackfaq(data, settings, store, embedder, progress)
    return [q for q in data.queries if q.split == "test"], "stackfaq"


def _recall_at_5(queries: list[Query], settings, store, embedder, *, passages: bool) -> float:
    """Share of questions with an answering passage among the five retrieved."""
    from workers.retrieval import retrieve

    found = []
    for query in queries:
        hits = retrieve(query.text, settings=settings, store=store, embedder=embedder, k=5)
        found.append(
            any(
                query.answers(h.chunk) if passages else h.chunk.doc_key in query.relevant
                for h in hits
            )
        )
    return _mean(found)


def _run(chain, questions: list[str], progress, label: str) -> list[Answer]:
    answers = []
    for done, question in enumerate(questions, 1):
        answers.append(answer_question(chain, question))
        if progress:
            progress(label, done, len(questions))
    return answers


def summarise_answers(
    queries: list[Query],
    answers: list[Answer],
    offtopic: list[Answer],
    offtopic_held_out: list[Answer] = (),
) -> dict:
    """`_held_out` rates count only questions no threshold was tuned on."""
    unseen = [a for q, a in zip(queries, answers, strict=True) if q.held_out]
    answered = [(q, a) for q, a in zip(queries, answers, strict=True) if not a.refused]
    totals = [a.timings_ms["total"] for a in answers]
    firsts = [a.timings_ms.get("first_text", a.timings_ms["total"]) for a in answers]
    # Every answer the model ran for; tokens/s only from those whose token count is known (a
    # generation stopped at an unbacked sentence reports its prompt, not its output).
    generated = [a for a in answers if a.timings_ms["generate"] > 0]
    counted = [a for a in generated if a.tokens.get("completion", 0) > 0]
    dropped_correct = [_says_reference(q, s) for q, a in answered for s in a.dropped]
    tokens = sum(a.tokens.get("completion", 0) for a in counted)
    seconds = sum(a.timings_ms["generate"] for a in counted) / 1000
    return {
        "questions": len(queries),
        "citation_hit_rate": _mean([_cites_gold(q, a) for q, a in answered]),
        "refusal_rate": _mean([a.refused for a in answers]),
        "refusal_rate_held_out": _mean([a.refused for a in unseen]),
        "offtopic_refusal_rate": _mean([a.refused for a in offtopic]),
        "offtopic_refusal_rate_held_out": _mean([a.refused for a in offtopic_held_out]),
        "token_f1": _mean(
            [max(token_f1(a.answer, g) for g in q.gold_answers) for q, a in answered]
        ),
        "reference_words": _mean([_best_share(q, a) for q, a in answered]),
        "extractive_rate": _mean([a.mode == "extractive" for _, a in answered]),
        # How often the support check turned generated text away, and how often what it
        # turned away said the reference answer (half its content words or more).
        "support_dropped_rate": _mean([bool(a.dropped) for _, a in answered]),
        "dropped_correct_rate": _mean(dropped_correct),
        "generated_rate": _mean([a.mode == "generated" for _, a in answered]),
        "first_text_p50_ms": _percentile(firsts, 50),
        "first_text_p95_ms": _percentile(firsts, 95),
        "p50_ms": _percentile(totals, 50),
        "p95_ms": _percentile(totals, 95),
        "retrieve_p50_ms": _median([a.timings_ms["retrieve"] for a in answers]),
        "generate_p50_ms": _median([a.timings_ms["generate"] for a in generated]),
        "tokens_per_s": round(tokens / seconds, 2) if seconds else 0.0,
    }


def _best_share(query: Query, answer: Answer) -> float:
    return max(reference_share(answer.answer, gold) for gold in query.gold_answers)


def _says_reference(query: Query, sentence: str) -> bool:
    return max(reference_share(sentence, gold) for gold in query.gold_answers) >= 0.5


def reference_share(answer: str, reference: str) -> float:
    """The share of the reference's content words that the answer contains."""
    wanted = set(content_words(reference))
    return len(wanted & set(content_words(answer))) / len(wanted) if wanted else 0.0


def _percentile(values: list[float], q: int) -> float:
    return round(float(np.percentile(values, q)), 1) if values else 0.0


def _cites_gold(query: Query, answer: Answer) -> bool:
    return bool({c.document for c in answer.citations} & query.relevant)


def _mean(values: list) -> float:
    return round(sum(map(float, values)) / len(values), 4) if values else 0.0


def _median(values: list[float]) -> float:
    return round(float(np.median(values)), 1) if values else 0.0


RATES = (
    "recall_at_5",
    "citation_hit_rate",
    "token_f1",
    "reference_words",
    "generated_rate",
    "refusal_rate",
    "refusal_rate_held_out",
    "offtopic_refusal_rate",
    "offtopic_refusal_rate_held_out",
)
LATENCIES = ("first_text_p50_ms", "p50_ms", "p95_ms")


def plot_answer_comparison(before: dict, after: dict, path: Path) -> None:
    """Bars of each rate, and of time to the first text and to the final answer, before and
    after: the figures a user judges answers by, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, (rates, times) = plt.subplots(1, 2, figsize=(12, 4), width_ratios=(3, 1))
    width = 0.38
    for offset, label, figures in ((-width / 2, "before", before), (width / 2, "after", after)):
        values = [float(figures.get(m) or 0.0) for m in RATES]
        rates.bar_label(
            rates.bar([i + offset for i in range(len(RATES))], values, width, label=label),
            fmt="%.2f",
            fontsize=7,
        )
        seconds = [float(figures.get(m) or 0.0) / 1000 for m in LATENCIES]
        times.bar_label(
            times.bar([i + offset for i in range(len(LATENCIES))], seconds, width, label=label),
            fmt="%.1f",
            fontsize=7,
        )
    rates.set_xticks(
        range(len(RATES)), [m.replace("_", " ") for m in RATES], rotation=20, fontsize=8
    )
    rates.set_ylim(0, 1.1)
    rates.legend()
    times.set_xticks(
        range(len(LATENCIES)), ["first text p50", "final p50", "final p95"], fontsize=8
    )
    times.set_ylabel("seconds")
    rates.set_title(f"answers: {after.get('dataset')} ({after.get('model')})")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
