"""`faqbot dataset build`: rated answers → a versioned dataset folder.

    <data dir>/datasets/<version>/
        train.jsonl      SFT examples, prompt-completion in the served chat format
        eval.jsonl       the same, for the held-out question clusters
        negatives.jsonl  unpaired negatives, {"prompt", "completion", "label": false} (KTO)
        golden.jsonl     the held-out verified answers as golden questions, which the gate
                         asks through the whole chain beside the shipped golden set
        manifest.json    version, time range, counts per rule, what was scrubbed, file hashes

The folder appears whole or not at all (written beside it, then renamed)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from faqbot.db.engine import session_scope
from faqbot.settings import Settings
from pipelines.curation.candidates import (
    CORRECTED,
    NEGATIVE,
    POSITIVE,
    VERIFIED,
    Candidate,
    load_candidates,
)
from pipelines.curation.grouping import (
    DUPLICATE_SIMILARITY,
    PARAPHRASE_SIMILARITY,
    linked_groups,
    normalise,
    split_key,
)
from pipelines.curation.scrub import scrub

FILES = ("train.jsonl", "eval.jsonl", "negatives.jsonl", "golden.jsonl")
MANIFEST = "manifest.json"
_PREFERENCE = {VERIFIED: 3, CORRECTED: 2, POSITIVE: 1, NEGATIVE: 0}


class DatasetEmpty(ValueError):
    """Nothing in the range can become an example; the message says why."""


@dataclass
class Example:
    candidate: Candidate
    rule: str
    question: str  # scrubbed
    record: dict = field(default_factory=dict)


def build_dataset(
    settings: Settings,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    approved_only: bool | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Writes a new dataset version and returns its manifest."""
    approved_only = settings.dataset_approved_only if approved_only is None else approved_only
    until = until or dt.datetime.now(dt.UTC)
    with session_scope(settings) as session:
        candidates = load_candidates(session, since, until)
    min_voters = settings.feedback_min_voters
    ruled = [(c, c.training_rule(approved_only, min_voters)) for c in candidates]
    rules = Counter(rule for _, rule in ruled)
    scrubbed: Counter = Counter()
    weight = settings.dataset_verified_weight
    examples = [_example(c, rule, scrubbed, weight) for c, rule in ruled if rule in _PREFERENCE]
    if not examples:
        raise DatasetEmpty(
            f"no usable rated answers between {since or 'the start'} and "
            f"{until:%Y-%m-%d %H:%M} UTC (by rule: {dict(rules) or 'none'})"
        )
    kept, merged = _merge_duplicates(examples, settings, progress)
    splits = _split(kept, settings.dataset_eval_fraction)
    version = _new_version(settings.datasets_dir)
    manifest = {
        "version": version,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "time_range": {"since": since.isoformat() if since else None, "until": until.isoformat()},
        "candidates": len(candidates),
        "by_rule": dict(sorted(rules.items())),
        "merged_duplicates": merged,
        "examples": {name: len(rows) for name, rows in splits.items()},
        "clusters": {name: len({r["cluster"] for r in rows}) for name, rows in splits.items()},
        "scrubbed": {kind: n for kind, n in sorted(scrubbed.items()) if n},
        "interaction_ids": sorted(e.candidate.interaction_id for e in kept),
        "settings": _build_settings(settings, approved_only),
    }
    manifest["files"] = _write(settings.datasets_dir / version, splits, manifest)
    return manifest


def _build_settings(settings: Settings, approved_only: bool) -> dict:
    return {
        "eval_fraction": settings.dataset_eval_fraction,
        "approved_only": approved_only,
        "min_voters": settings.feedback_min_voters,
        "verified_weight": settings.dataset_verified_weight,
        "embedding_model": settings.embedding_model,
        "duplicate_similarity": DUPLICATE_SIMILARITY,
        "paraphrase_similarity": PARAPHRASE_SIMILARITY,
    }


def _example(candidate: Candidate, rule: str, scrubbed: Counter, verified_weight: int) -> Example:
    """`weight`: how many times the trainer counts it (a verified answer the most)."""
    from workers.answering.prompt import prompt_turns

    question = scrub(candidate.question, scrubbed)
    context = {key: scrub(value, scrubbed) for key, value in candidate.context.items()}
    record = {
        "id": f"i{candidate.interaction_id}",
        "rule": rule,
        "weight": verified_weight if rule == VERIFIED else 1,
        "prompt": prompt_turns(question, context),
        "completion": [{"role": "assistant", "content": scrub(candidate.target(rule), scrubbed)}],
    }
    if rule == NEGATIVE:
        record["label"] = False
    return Example(candidate, rule, question, record)


def _merge_duplicates(
    examples: list[Example], settings: Settings, progress
) -> tuple[list[Example], int]:
    """One example per near-duplicate question and kind (SFT or negative): a correction before
    a 👍, then the best rated, then the newest. Clusters for the split are set on the way."""
    from workers.embedder import get_embedder

    questions = [e.question for e in examples]
    step = (lambda n: progress("embedding questions", n, len(questions))) if progress else None
    # The process's one embedder (same cache key as retrieval's), not a second copy.
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    vectors = embedder.embed(questions, progress=_counting(step))
    normalised = [normalise(q) for q in questions]
    duplicates = linked_groups(vectors, DUPLICATE_SIMILARITY, same=normalised)
    clusters = linked_groups(vectors, PARAPHRASE_SIMILARITY, same=normalised)
    best: dict[tuple[int, bool], Example] = {}
    for example, group, cluster in zip(examples, duplicates, clusters, strict=True):
        example.record["cluster"] = f"c{cluster}"
        key = (group, example.rule == NEGATIVE)
        if key not in best or _rank(example) > _rank(best[key]):
            best[key] = example
    kept = sorted(best.values(), key=lambda e: e.candidate.interaction_id)
    return kept, len(examples) - len(kept)


def _counting(step):
    if step is None:
        return None
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        step(done)

    return advance


def _rank(example: Example) -> tuple:
    c = example.candidate
    return _PREFERENCE[example.rule], abs(c.net), c.created_at, c.interaction_id


def _split(examples: list[Example], eval_fraction: float) -> dict[str, list[dict]]:
    """Negatives aside; SFT clusters by their split key. With few clusters the fraction may
    hold none out: then the lowest-keyed one is, as long as another is left to train on."""
    by_cluster: dict[str, list[str]] = defaultdict(list)
    for example in examples:
        if example.rule != NEGATIVE:
            by_cluster[example.record["cluster"]].append(example.question)
    keys = {name: split_key(questions) for name, questions in by_cluster.items()}
    held_out = {name for name, key in keys.items() if key < eval_fraction}
    if not held_out and eval_fraction > 0 and len(keys) > 1:
        held_out = {min(keys, key=keys.get)}
    splits: dict[str, list[dict]] = {"train": [], "eval": [], "negatives": [], "golden": []}
    for example in examples:
        if example.rule == NEGATIVE:
            splits["negatives"].append(example.record)
        else:
            side = "eval" if example.record["cluster"] in held_out else "train"
            splits[side].append(example.record)
            if side == "eval" and example.rule == VERIFIED:
                splits["golden"].append(_golden(example))
    return splits


def _golden(example: Example) -> dict:
    """A held-out verified answer as the gate's golden question: asked through the chain, it
    should be answered as verified, citing what the answer it replaced cited."""
    return {
        "id": example.record["id"],
        "question": example.question,
        "answer": example.record["completion"][-1]["content"],
        "sources": example.candidate.cited,
        "refuse": False,
        "cluster": example.record["cluster"],
    }


def _new_version(root: Path) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("ds-%Y%m%d-%H%M%S")
    version, n = stamp, 1
    while (root / version).exists():
        n += 1
        version = f"{stamp}-{n}"
    return version


def _write(folder: Path, splits: dict[str, list[dict]], manifest: dict) -> dict:
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    files = {}
    for name, rows in zip(FILES, splits.values(), strict=True):
        data = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
        (partial / name).write_bytes(data)
        files[name] = {"examples": len(rows), "sha256": hashlib.sha256(data).hexdigest()}
    manifest = {**manifest, "files": files}
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    partial.rename(folder)
    return files
