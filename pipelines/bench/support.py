"""`faqbot bench support`: where to set FAQBOT_SUPPORT_THRESHOLD, the cosine a generated
sentence must reach with a passage sentence to replace the quote.

The configured model answers each question once with the check off. The check is then applied
to that same text at every bar, the way the chain applies it: generation stops at the first
sentence no passage backs, what came before it stands, and the quote stands when nothing did.
So one generation per question measures every bar. Token-F1 is reported for the tuning half
(the odd-numbered questions, where a bar may be chosen) and the held-out half apart; a turned
away sentence that says half or more of the reference's content words is a correct paraphrase
lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from faqbot.settings import Settings
from pipelines.bench.answer import BenchChain, bench_chain, reference_share
from pipelines.evaluation.metrics import token_f1
from pipelines.evaluation.question_sets import Query
from workers.answering.chain import answer_question
from workers.answering.evidence import gather_evidence
from workers.answering.grounding import best_support, split_claims, with_citation
from workers.retrieval import retrieve
from workers.store.base import asker_labels

BARS = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
PARAPHRASE_SHARE = 0.5  # of the reference's content words: a dropped sentence that said it


@dataclass
class Unchecked:
    """One answered question: the quote, and the model's sentences with each one's support
    (its best cosine with a passage sentence) and the passage that backs it best."""

    query: Query
    quote: str
    claims: list[str]
    support: list[float]
    passage: list[int]


def run_support_benchmark(
    dataset: str,
    settings: Settings,
    *,
    bars: tuple[float, ...] = BARS,
    limit: int | None = None,
    progress=None,
) -> dict:
    unchecked = settings.model_copy(update={"support_threshold": -1.0})
    with bench_chain(dataset, settings, progress, limit=limit, chain_settings=unchecked) as bench:
        rows = []
        for done, query in enumerate(bench.queries, 1):
            row = _unchecked(bench, query, settings)
            if row is not None:
                rows.append(row)
            if progress:
                progress("answering, check off", done, len(bench.queries))
    figures = {f"{bar:.2f}": at_bar(rows, bar) for bar in sorted(bars)}
    return {
        "dataset": bench.name,
        "model": bench.model,
        "questions": len(bench.queries),
        "answered": len(rows),
        "configured_bar": settings.support_threshold,
        "quote": at_bar(rows, float("inf")),
        "unchecked": at_bar(rows, float("-inf")),
        "bars": figures,
        "best_on_tuning": best_bar(figures),
    }


def _unchecked(bench: BenchChain, query: Query, settings: Settings) -> Unchecked | None:
    """The chain's answer with the check off; None when the question was refused (no bar
    changes a refusal)."""
    drafts: list[str] = []
    answer = answer_question(bench.chain, query.text, on_draft=drafts.append)
    if answer.refused:
        return None
    claims = split_claims(answer.answer) if answer.mode == "generated" else []
    if not claims:
        return Unchecked(query, drafts[0] if drafts else answer.answer, [], [], [])
    hits = retrieve(
        query.text,
        settings=settings,
        store=bench.store,
        embedder=bench.embedder,
        labels=asker_labels(None),
        k=settings.answer_passages,
    )
    evidence = gather_evidence(hits, bench.embedder)  # what the chain checked against
    scores, passages = best_support(claims, evidence, bench.embedder)
    return Unchecked(query, drafts[0] if drafts else "", claims, scores.tolist(), passages)


def posted(row: Unchecked, bar: float) -> tuple[str, str | None]:
    """What the asker would be shown at `bar`, and the sentence that stopped the model (None
    when none did): the sentences before the first unbacked one, each cited, or the quote."""
    kept: list[str] = []
    for claim, support, passage in zip(row.claims, row.support, row.passage, strict=True):
        if support < bar:
            return " ".join(kept) or row.quote, claim
        kept.append(with_citation(claim, passage))
    return " ".join(kept) or row.quote, None


def at_bar(rows: list[Unchecked], bar: float) -> dict:
    """Token-F1 (tuning half, held-out half, all), the share of answers the model's text
    replaced the quote in, and the turned-away sentences that said the reference."""
    f1 = {True: [], False: []}
    generated, dropped, correct = [], 0, 0
    for row in rows:
        text, stopped_at = posted(row, bar)
        f1[row.query.held_out].append(max(token_f1(text, g) for g in row.query.gold_answers))
        generated.append(text != row.quote)
        if stopped_at is not None:
            dropped += 1
            share = max(reference_share(stopped_at, g) for g in row.query.gold_answers)
            correct += share >= PARAPHRASE_SHARE
    return {
        "token_f1_tuning": _mean(f1[False]),
        "token_f1_held_out": _mean(f1[True]),
        "token_f1": _mean(f1[False] + f1[True]),
        "generated_rate": _mean(generated),
        "dropped": dropped,
        "dropped_saying_reference": correct,
    }


def best_bar(figures: dict[str, dict]) -> str | None:
    """The bar with the best token-F1 on the tuning half (the lowest of equals: it keeps
    more of the model's text); None without tuning questions."""
    scored = [(f["token_f1_tuning"], -float(b), b) for b, f in figures.items()]
    scored = [s for s in scored if s[0] is not None]
    return max(scored)[2] if scored else None


def _mean(values: list) -> float | None:
    return round(sum(map(float, values)) / len(values), 4) if values else None


def plot_support(result: dict, path: Path) -> None:
    """Token-F1 against the bar, tuning and held-out halves, with the quote alone as dashed
    lines, and the share of answers the model's text replaced on a second axis."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    bars = [float(b) for b in result["bars"]]
    figures = list(result["bars"].values())
    figure, f1_axis = plt.subplots(figsize=(7, 4))
    for key, label, colour in (
        ("token_f1_tuning", "tuning half", "tab:blue"),
        ("token_f1_held_out", "held-out half", "tab:orange"),
    ):
        values = [f[key] for f in figures]
        if any(v is not None for v in values):
            f1_axis.plot(bars, values, marker="o", color=colour, label=label)
        if result["quote"][key] is not None:
            f1_axis.axhline(result["quote"][key], color=colour, linestyle="--", linewidth=1)
    f1_axis.margins(y=0.15)  # the quote's lines sit at the edge otherwise
    f1_axis.set_xlabel("support bar (cosine)")
    f1_axis.set_ylabel("token-F1 (dashed: the quote alone)")
    share_axis = f1_axis.twinx()
    share_axis.plot(bars, [f["generated_rate"] for f in figures], color="grey", linestyle=":")
    share_axis.set_ylabel("answers the model's text replaced (dotted)")
    share_axis.set_ylim(0, 1)
    f1_axis.legend(loc="lower left")
    f1_axis.set_title(f"support bar: {result['dataset']} ({result['model']})")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
