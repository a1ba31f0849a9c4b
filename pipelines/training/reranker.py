"""`faqbot reranker train`: a cross-encoder from the bundled MiniLM, trained on StackFAQ dev
questions (optionally with liked answers) against hard negatives from today's retrieval.

A group is one question, passages that answer it and passages the current retrieval ranks
high that do not. Each step draws one positive and `negatives` negatives per group; the loss
is a softmax over the group (`listwise`) or binary cross-entropy on each pair (`bce`)."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from faqbot.settings import BUNDLED_EMBEDDER, Settings
from pipelines.evaluation.metrics import summarise
from pipelines.evaluation.question_sets import Query, StackFAQ, spread
from workers.reranker import MANIFEST, Reranker
from workers.store.base import Hit

CANDIDATE_CHUNKS = 40  # first-stage chunks kept per question: enough for 10 distinct documents
LOSSES = ("listwise", "bce")


class RerankerTrainingError(RuntimeError):
    """Training cannot start (no data, bad options); the message says why."""


@dataclass
class Group:
    query: str
    positives: list[str]  # passage texts that answer the query
    negatives: list[str]  # high-ranked passages that do not, hardest first


@dataclass
class RerankerRun:
    path: Path
    base_model: str
    data: dict
    loss: str
    epochs: int
    steps: int
    negatives: int
    max_length: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    dev: dict = field(default_factory=dict)
    created_at: str = ""

    def to_json(self) -> dict:
        return {**asdict(self), "path": str(self.path)}


def base_checkpoint(name: str = BUNDLED_EMBEDDER) -> str:
    """The transformer directory of the embedder's checkpoint (what the cross-encoder starts
    from: its encoder weights, with a new 1-logit head)."""
    from workers.embedder import _model_path

    return _model_path(name)


def split_dev_threads(queries: list[Query]) -> tuple[list[Query], list[Query]]:
    """Dev queries of every other dev thread, in file order: (train, held out). For choosing
    settings without touching test, and without scoring on what was trained on."""
    threads = sorted({q.relevant for q in queries}, key=lambda r: min(int(k[1:]) for k in r))
    held = {r for n, r in enumerate(threads) if n % 2 == 1}
    return [q for q in queries if q.relevant not in held], [
        q for q in queries if q.relevant in held
    ]


def first_stage(
    queries: list[Query],
    settings: Settings,
    store,
    embedder,
    progress=None,
    label: str = "first stage",
) -> list[list[Hit]]:
    """Today's retrieval (no reranker) for each query: CANDIDATE_CHUNKS chunks, best first."""
    from workers.retrieval import retrieve

    plain = settings.model_copy(update={"reranker_path": None})
    results = []
    for done, query in enumerate(queries, 1):
        vector = embedder.embed_query(query.text)
        results.append(
            retrieve(
                query.text,
                settings=plain,
                store=store,
                embedder=embedder,
                k=CANDIDATE_CHUNKS,
                vector=vector,
            )
        )
        if progress:
            progress(label, done, len(queries))
    return results


def stackfaq_groups(
    queries: list[Query], candidates: list[list[Hit]], store, depth: int = 30
) -> list[Group]:
    """Positives: every chunk of the query's thread's answers; negatives: the first `depth`
    first-stage chunks from other threads."""
    groups = []
    for query, hits in zip(queries, candidates, strict=True):
        positives = [h.chunk.search_text for h in store.chunks_of("stackfaq", set(query.relevant))]
        negatives = [
            h.chunk.search_text for h in hits[:depth] if h.chunk.doc_key not in query.relevant
        ]
        if positives and negatives:
            groups.append(Group(query.text, positives, negatives))
    return groups


_SOURCE = re.compile(r"^\[(\d+)\] [^\n]*\n((?:> [^\n]*(?:\n|$))+)", re.MULTILINE)


def feedback_groups(candidates, *, min_voters: int = 1) -> list[Group]:
    """Liked answers from the interaction log (`pipelines.curation.candidates`): the question,
    with the passages its answer cited (all it was shown when it cited none) as positives.
    Negatives are left empty for `with_negatives` to fill from retrieval. Only answers the
    dataset build would train on count (public passages, enough distinct 👍)."""
    from pipelines.curation.candidates import CORRECTED, POSITIVE
    from workers.answering.citations import cited_numbers

    groups = []
    for candidate in candidates:
        if candidate.training_rule(False, min_voters) not in (POSITIVE, CORRECTED):
            continue
        shown = {
            int(n): "\n".join(line[2:] for line in body.splitlines())
            for n, body in _SOURCE.findall(candidate.context.get("sources", ""))
        }
        cited = [shown[n] for n in cited_numbers(candidate.answer) if n in shown]
        if positives := cited or list(shown.values()):
            groups.append(Group(candidate.question, positives, []))
    return groups


def with_negatives(
    groups: list[Group], settings: Settings, store, embedder, depth: int = 30
) -> list[Group]:
    """Groups without negatives get the top `depth` retrieved passages that are not among
    their positives (for feedback groups, which know no relevance beyond what was liked)."""
    from workers.retrieval import retrieve

    plain = settings.model_copy(update={"reranker_path": None})
    for group in groups:
        if not group.negatives:
            hits = retrieve(group.query, settings=plain, store=store, embedder=embedder, k=depth)
            known = {text.strip() for text in group.positives}
            group.negatives = [
                h.chunk.search_text for h in hits if h.chunk.text.strip() not in known
            ]
    return [g for g in groups if g.positives and g.negatives]


def train_cross_encoder(
    groups: list[Group],
    *,
    base: str,
    epochs: int = 1,
    loss: str = "listwise",
    negatives: int = 3,
    max_length: int = 128,
    groups_per_step: int = 8,
    learning_rate: float = 1e-4,
    head_learning_rate: float = 1e-3,
    freeze_layers: int = 0,
    seed: int = 0,
    progress=None,
):
    """Fine-tunes `base` with a new 1-logit head; returns (Reranker, per-step losses)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from workers.embedder import quiet_transformers

    if loss not in LOSSES:
        raise RerankerTrainingError(f"loss {loss!r}: choose {' or '.join(LOSSES)}")
    if not groups:
        raise RerankerTrainingError("no training groups: no question has a positive and a negative")
    quiet_transformers()
    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    _freeze(model, freeze_layers)
    trainable = [p for p in model.parameters() if p.requires_grad]
    head = [p for name, p in model.named_parameters() if p.requires_grad and _is_head(name)]
    body = [p for name, p in model.named_parameters() if p.requires_grad and not _is_head(name)]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": learning_rate}, {"params": head, "lr": head_learning_rate}],
        weight_decay=0.01,
    )
    steps_per_epoch = -(-len(groups) // groups_per_step)
    total = steps_per_epoch * epochs
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup + 1)))
    )
    model.train()
    losses: list[float] = []
    for _ in range(epochs):
        order = list(range(len(groups)))
        rng.shuffle(order)
        for start in range(0, len(order), groups_per_step):
            batch = [
                _draw(groups[i], negatives, rng) for i in order[start : start + groups_per_step]
            ]
            value = _step(model, tokenizer, batch, loss, max_length)
            value.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(round(value.item(), 4))
            if progress:
                progress("train reranker", len(losses), total)
    model.eval()
    return Reranker(model, tokenizer, max_length=max_length), losses


def _is_head(name: str) -> bool:
    """The new 1-logit classifier and the pooler under it: they start far from useful, so
    they learn faster than the encoder."""
    return name.startswith("classifier") or ".pooler." in name


def _freeze(model, layers: int) -> None:
    """Freezes the embeddings and the lowest `layers` encoder layers (0: train everything)."""
    if layers <= 0:
        return
    encoder = model.base_model
    for parameter in encoder.embeddings.parameters():
        parameter.requires_grad = False
    for layer in encoder.encoder.layer[:layers]:
        for parameter in layer.parameters():
            parameter.requires_grad = False


def _draw(group: Group, negatives: int, rng: random.Random) -> tuple[str, list[str]]:
    """(query, [positive, negative…]): one positive, negatives drawn from the hard ones."""
    drawn = rng.sample(group.negatives, min(negatives, len(group.negatives)))
    return group.query, [rng.choice(group.positives), *drawn]


def _step(model, tokenizer, batch, loss: str, max_length: int):
    import torch

    queries = [q for q, passages in batch for _ in passages]
    passages = [p for _, ps in batch for p in ps]
    inputs = tokenizer(
        queries,
        passages,
        padding=True,
        truncation="longest_first",
        max_length=max_length,
        return_tensors="pt",
    )
    logits = model(**inputs).logits[:, 0]
    sizes = [len(ps) for _, ps in batch]
    if loss == "bce":
        labels = torch.cat([torch.eye(1, n)[0] for n in sizes])
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
    parts = torch.split(logits, sizes)
    return torch.stack(
        [
            torch.nn.functional.cross_entropy(p[None], torch.zeros(1, dtype=torch.long))
            for p in parts
        ]
    ).mean()


def cross_encoder_scores(
    reranker: Reranker,
    queries: list[Query],
    candidates: list[list[Hit]],
    depth: int,
    progress=None,
    label: str = "rerank",
) -> list:
    """The cross-encoder's score of each query's first `depth` candidates (scored once, so
    blends and depths up to `depth` are compared without scoring again)."""
    scores = []
    for done, (query, hits) in enumerate(zip(queries, candidates, strict=True), 1):
        scores.append(reranker.score(query.text, [h.chunk.search_text for h in hits[:depth]]))
        if progress:
            progress(label, done, len(queries))
    return scores


def reranked_figures(
    queries: list[Query], candidates: list[list[Hit]], scores: list, depth: int, weight: float
) -> dict:
    """nDCG@10, MRR@10, hit@5 of documents after reranking the first `depth` candidates
    with first-stage weight `weight`, as `retrieve` does."""
    import numpy as np

    from workers.reranker import minmax

    rankings = []
    for query, hits, ce in zip(queries, candidates, scores, strict=True):
        top = hits[:depth]
        first = minmax(np.array([h.score for h in top], np.float32))
        blended = weight * first + (1 - weight) * minmax(np.asarray(ce[:depth]))
        order = sorted(range(len(top)), key=lambda i: -blended[i])
        reranked = [top[i] for i in order] + hits[depth:]
        rankings.append((_documents(reranked), query.relevant))
    return summarise(rankings, (5,))


def first_stage_figures(queries: list[Query], candidates: list[list[Hit]]) -> dict:
    return summarise([(_documents(h), q.relevant) for q, h in zip(queries, candidates)], (5,))


def _documents(hits: list[Hit]) -> list[str]:
    return list(dict.fromkeys(h.chunk.doc_key.split("#", 1)[0] for h in hits))


def train_reranker(
    data: StackFAQ,
    out: Path,
    settings: Settings,
    *,
    epochs: int = 1,
    loss: str = "listwise",
    negatives: int = 3,
    max_length: int = 128,
    hold_out: bool = False,
    extra_groups: list[Group] | None = None,
    depths: tuple[int, ...] = (10, 20),
    weights: tuple[float, ...] = (0.0, 0.5, 0.7),
    freeze_layers: int = 3,
    scored_queries: int = 100,
    progress=None,
    data_label: str = "stackfaq",
) -> RerankerRun:
    """Indexes StackFAQ in a temporary store, trains on its dev threads (with `hold_out`,
    every other dev thread only, the rest scored), and saves the model, its tokenizer and a
    manifest in `out`. Dev figures are for each candidate depth and blend weight: on the
    held-out threads with `hold_out`, else on the threads trained on (optimistic), for at
    most `scored_queries` of them spread over the threads (on 2 cores a question's 20
    candidates take 1-3 s to score)."""
    from pipelines.evaluation.corpora import index_stackfaq
    from workers.embedder import get_embedder
    from workers.store.lance import LanceKnowledgeStore

    if loss not in LOSSES:
        raise RerankerTrainingError(f"loss {loss!r}: choose {' or '.join(LOSSES)}")
    if out.exists() and any(out.iterdir()):
        raise RerankerTrainingError(f"{out} is not empty: give a new directory for the reranker")
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    dev = [q for q in data.queries if q.split == "dev"]
    if not dev:
        raise RerankerTrainingError("the dataset has no dev questions (even threads)")
    train_queries, scored = split_dev_threads(dev) if hold_out else (dev, dev)
    scored = spread(scored, scored_queries)
    with tempfile.TemporaryDirectory(prefix="faqbot-rerank-") as tmp:
        store = LanceKnowledgeStore(Path(tmp))
        index_stackfaq(data, settings, store, embedder, progress)
        candidates = first_stage(dev, settings, store, embedder, progress)
        by_text = {id(q): hits for q, hits in zip(dev, candidates, strict=True)}
        groups = stackfaq_groups(train_queries, [by_text[id(q)] for q in train_queries], store)
        groups += with_negatives(list(extra_groups or []), settings, store, embedder)
        started = time.perf_counter()
        reranker, losses = train_cross_encoder(
            groups,
            base=base_checkpoint(settings.embedding_model),
            epochs=epochs,
            loss=loss,
            negatives=negatives,
            max_length=max_length,
            freeze_layers=freeze_layers,
            progress=progress,
        )
        seconds = time.perf_counter() - started
        scored_hits = [by_text[id(q)] for q in scored]
        ce = cross_encoder_scores(reranker, scored, scored_hits, max(depths), progress)
    figures = {
        "queries": len(scored),
        "held_out": hold_out,
        "first_stage": first_stage_figures(scored, scored_hits),
    }
    for depth in depths:
        for weight in weights:
            figures[f"rerank{depth}_w{weight}"] = reranked_figures(
                scored, scored_hits, ce, depth, weight
            )
    run = RerankerRun(
        path=out,
        base_model=settings.embedding_model,
        loss=loss,
        epochs=epochs,
        steps=len(losses),
        negatives=negatives,
        max_length=max_length,
        seconds=round(seconds, 1),
        losses=losses,
        dev=figures,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        data={
            "source": data_label,
            "groups": len(groups),
            "stackfaq_queries": len(train_queries),
            "feedback_groups": len(extra_groups or []),
        },
    )
    save(reranker, run)
    return run


def save(reranker: Reranker, run: RerankerRun) -> None:
    run.path.mkdir(parents=True, exist_ok=True)
    reranker.model.save_pretrained(run.path, safe_serialization=True)
    reranker.tokenizer.save_pretrained(run.path)
    manifest = {k: v for k, v in run.to_json().items() if k not in ("path", "losses")}
    manifest["loss_first_last"] = [run.losses[0], run.losses[-1]] if run.losses else []
    (run.path / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
