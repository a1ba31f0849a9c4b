"""`faqbot bench retrain`: does retraining on 👍 feedback help on questions it never saw?

StackFAQ's dev threads play the employees: each paraphrased question is answered from the top
passages retrieved for it (the served prompt, numbered sources), with the thread's retrieved
answer as the 👍 reply (its first sentences and its citation). That feedback goes through the
real pipeline (app database, `faqbot dataset build`, QLoRA training of the configured model on
CPU). The test threads are held out: eval loss on their answers, and token F1 of generated
answers against them, before and after. Training runs twice in fresh processes, 4-bit NF4 and
full precision, for seconds per step and peak memory."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import re
import shutil
import tempfile
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from faqbot.settings import Settings, model_id
from pipelines.evaluation.metrics import token_f1
from pipelines.evaluation.question_sets import load_stackfaq, spread

PASSAGES = 3
# CPU-sized: each example costs seconds of forward and backward on two cores.
BENCH_BATCH, BENCH_MAX_LENGTH = 2, 768
ANSWER_SENTENCES = 2
MAX_ANSWER_WORDS = 60


def run_retrain_benchmark(
    dataset: Path,
    settings: Settings,
    *,
    steps: int = 20,
    held_out: int = 20,
    compare_precision: bool = True,
    plot: Path | None = None,
    progress=None,
) -> dict:
    """`plot`: where to keep the 4-bit run's loss curve (the run itself is temporary)."""
    from pipelines.curation.build import build_dataset
    from pipelines.curation.versions import DatasetFiles, resolve_dataset

    data = load_stackfaq(dataset)
    with tempfile.TemporaryDirectory(prefix="faqbot-retrain-") as tmp:
        bench = _bench_settings(settings, Path(tmp))
        examples = _grounded_examples(data, bench, progress)
        dev = [e for e in examples if e["split"] == "dev"]
        _record_feedback(bench, dev)
        manifest = build_dataset(bench, progress=progress)
        test = spread([e for e in examples if e["split"] == "test"], held_out)
        held_out_file = Path(tmp) / "held-out.jsonl"
        held_out_file.write_text("".join(json.dumps(_pair(e)) + "\n" for e in test))
        built = resolve_dataset(bench, manifest["version"])
        files = DatasetFiles(built.version, built.train, held_out_file, None, built.manifest)
        quantised = _train_in_child(bench, files, steps, four_bit=True, progress=progress)
        full = (
            _train_in_child(bench, files, steps, four_bit=False, progress=progress)
            if compare_precision
            else None
        )
        before = _generated_f1(bench, test, None, progress)
        after = _generated_f1(bench, test, quantised["path"], progress)
        if plot:
            shutil.copyfile(Path(quantised["path"]) / "loss.png", plot)
    return _figures(bench, manifest, test, quantised, full, before, after)


def _bench_settings(settings: Settings, tmp: Path) -> Settings:
    """A private data dir and database, the user's model cache, and a CPU-sized batch."""
    fields = settings.model_dump() | {
        "data_dir": tmp / "data",
        "database_url": None,
        "model_cache": settings.model_cache_dir,
        "dataset_eval_fraction": 0.0,
        "llm_adapter": None,
        "llm_4bit": False,
        "train_max_length": BENCH_MAX_LENGTH,
        "train_batch_size": BENCH_BATCH,
        "train_gradient_accumulation": 1,
    }
    return Settings(_env_file=None, **fields)


def _grounded_examples(data, settings: Settings, progress) -> list[dict]:
    """Every paraphrase whose retrieved passages include its thread's answer, with the prompt
    context as served and a 👍-style reply drawn from that passage."""
    from pipelines.evaluation.corpora import index_stackfaq
    from workers.answering.prompt import format_sources
    from workers.embedder import get_embedder
    from workers.retrieval import retrieve
    from workers.store.lance import LanceKnowledgeStore

    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    store = LanceKnowledgeStore(settings.data_dir / "stackfaq-index")
    index_stackfaq(data, settings, store, embedder, progress)
    examples = []
    for n, query in enumerate(data.queries, 1):
        hits = retrieve(
            query.text, settings=settings, store=store, embedder=embedder, k=PASSAGES, mode="dense"
        )
        gold = [i for i, hit in enumerate(hits, 1) if hit.chunk.doc_key in query.relevant]
        if gold:
            reply = f"{_opening(hits[gold[0] - 1].chunk.text)} [{gold[0]}]"
            examples.append(
                {
                    "question": query.text,
                    "split": query.split,
                    "answer": reply,
                    "context": {"sources": format_sources(hits), "history": ""},
                }
            )
        if progress:
            progress("retrieving for each question", n, len(data.queries))
    return examples


def _opening(text: str) -> str:
    """The first sentences of a passage, as a short help-desk answer would put it."""
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    words = " ".join(sentences[:ANSWER_SENTENCES]).split()[:MAX_ANSWER_WORDS]
    return " ".join(words).rstrip(",;:")


def _record_feedback(settings: Settings, examples: list[dict]) -> None:
    """The dev answers as interactions with a 👍 from as many distinct people as the dataset
    build asks for (FAQBOT_FEEDBACK_MIN_VOTERS), as the bot would have left them."""
    from faqbot.db import feedback
    from faqbot.db.engine import session_scope
    from faqbot.db.migrate import ensure_schema
    from faqbot.db.models import Interaction
    from faqbot.visibility import PUBLIC

    ensure_schema(settings)
    with session_scope(settings) as session:
        for example in examples:
            row = Interaction(
                request_id=uuid.uuid4().hex,
                question=example["question"],
                status="answered",
                answer=example["answer"],
                mode="generated",
                context=example["context"],
                scope=[PUBLIC],
                visibility=[PUBLIC],
                created_at=dt.datetime.now(dt.UTC),
            )
            session.add(row)
            session.flush()
            for voter in range(max(1, settings.feedback_min_voters)):
                feedback.cast(session, row, f"U0BENCH{voter:02d}", 1, "reaction:+1")


def _pair(example: dict) -> dict:
    from workers.answering.prompt import prompt_turns

    return {
        "prompt": prompt_turns(example["question"], example["context"]),
        "completion": [{"role": "assistant", "content": example["answer"]}],
    }


def _train_in_child(settings: Settings, files, steps: int, *, four_bit: bool, progress) -> dict:
    """A fresh process per run, so peak memory is that run's alone."""
    label = "training 4-bit" if four_bit else "training full precision"
    if progress:
        progress(label, 0, 1)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        run = pool.submit(_train, settings, files, steps, four_bit).result()
    if progress:
        progress(label, 1, 1)
    return run


def _train(settings: Settings, files, steps: int, four_bit: bool) -> dict:
    from pipelines.training.qlora import train_adapter

    return train_adapter(settings, files, max_steps=steps, four_bit=four_bit).to_json()


def _generated_f1(settings: Settings, examples: list[dict], adapter: str | None, progress) -> float:
    from workers.answering.citations import sanitise
    from workers.generation.chat_model import chat_messages
    from workers.generation.engines import transformers_model

    model = transformers_model(
        settings.llm_model, settings.model_cache_dir, False, adapter, settings.llm_max_new_tokens
    )
    label = "answers after" if adapter else "answers before"
    scores = []
    for n, example in enumerate(examples, 1):
        reply = model.invoke(chat_messages(_pair(example)["prompt"]))
        scores.append(token_f1(sanitise(str(reply.content)), example["answer"]))
        if progress:
            progress(label, n, len(examples))
    return round(sum(scores) / len(scores), 4) if scores else 0.0


def _figures(settings, manifest, test, quantised, full, before, after) -> dict:
    result = {
        "steps": quantised["steps"],
        "model": model_id(settings.llm_model),
        "examples": {
            "train": manifest["examples"]["train"],
            "held_out": len(test),
            "merged_duplicates": manifest["merged_duplicates"],
        },
        "before": {"eval_loss": quantised["eval_loss_before"], "token_f1": before},
        "after": {"eval_loss": quantised["eval_loss_after"], "token_f1": after},
        "seconds_per_step": quantised["seconds_per_step"],
        "peak_memory_mb": quantised["peak_memory_mb"],
        "effective_batch": settings.train_batch_size * settings.train_gradient_accumulation,
        "training_loss": quantised["losses"],
    }
    if full:
        result["full_precision"] = {
            key: full[key] for key in ("seconds_per_step", "peak_memory_mb", "eval_loss_after")
        }
    return result
