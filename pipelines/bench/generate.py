"""`faqbot bench generate`: the answer chain's real prompts (the sample questions' retrieved
evidence) through every engine, in one run on one machine.

Each in-process engine runs in a process of its own (its peak memory is its own); the server
backend is llama.cpp's server on loopback, or FAQBOT_LLM_BASE_URL when it is set. Every
answer is exactly `new_tokens` long (end-of-text is held back), so the engines write the same
amount. Per engine: load time, time to the first token, prefill tokens/s (prompt tokens over
that time), decode tokens/s (the tokens after the first over the time after it), the time to
the whole answer, peak resident memory; for the server, throughput at 1, 4 and 16 concurrent
requests. Ratios are against transformers fp32 on the same model."""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from faqbot.settings import Settings, model_id

NEW_TOKENS = 80
# Warms an engine up untimed. Not one of the prompts: llama.cpp reuses the cached prefix of
# the last prompt, so timing a prompt right after itself would measure no prefill. What the
# prompts do share, as real questions do, is the answer chain's system prompt.
WARM_UP = [{"role": "user", "content": "Say hello."}]
CONCURRENCY = (1, 4, 16)


def run_generate_benchmark(
    settings: Settings,
    *,
    models: list[str],
    engines: list[str],
    questions: int = 8,
    new_tokens: int = NEW_TOKENS,
    concurrency: tuple[int, ...] = CONCURRENCY,
    progress=None,
) -> dict:
    threads = settings.llm_threads or os.cpu_count() or 1
    # Distinct prompts for every request in flight: a repeated prompt costs llama.cpp no
    # prefill, which no real question gets.
    prompts = sample_prompts(settings, max(questions, *concurrency), progress)
    rows = []
    for model in models:
        sized = settings.model_copy(update={"llm_model": model, "llm_threads": threads})
        lengths = _prompt_lengths(sized, prompts)
        for engine in engines:
            if progress:
                progress(f"{model_id(model)}: {engine}", len(rows), len(models) * len(engines))
            if engine == "openai":
                figures = _served(sized, prompts, questions, new_tokens, concurrency)
            else:
                engine_settings = sized.model_copy(update={"llm_engine": engine})
                figures = _in_child(engine_settings, prompts[:questions], new_tokens)
            rows.append(_row(model, engine, figures, lengths[:questions]))
    _add_ratios(rows)
    return {
        "new_tokens": new_tokens,
        "prompts": questions,
        "threads": threads,
        "cpus": os.cpu_count(),
        "rows": rows,
    }


def sample_prompts(settings: Settings, count: int, progress=None) -> list[list[dict]]:
    """The chat turns the answer chain gives the model for `count` sample questions (those it
    does not refuse), spread over the set."""
    from pipelines.evaluation.corpora import index_sample
    from pipelines.evaluation.question_sets import load_sample_questions, spread
    from workers.answering.chain import answer_prompt
    from workers.embedder import get_embedder
    from workers.generation.chat_model import chat_turns
    from workers.store.lance import LanceKnowledgeStore

    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    prompts = []
    with tempfile.TemporaryDirectory(prefix="faqbot-bench-") as folder:
        store = LanceKnowledgeStore(Path(folder))
        index_sample(settings, store, embedder, progress)
        for query in spread(load_sample_questions(), count * 2):
            messages = answer_prompt(query.text, settings=settings, store=store, embedder=embedder)
            if messages and len(prompts) < count:
                prompts.append(chat_turns(messages))
    return prompts


def _prompt_lengths(settings: Settings, prompts: list[list[dict]]) -> list[int]:
    """Prompt tokens by the model's own tokenizer and chat template (the same for every
    engine: a server does not always say)."""
    from workers.generation.chat_model import prompt_size
    from workers.generation.llamacpp import gguf_tokenizer
    from workers.generation.loading import gguf_file

    tokenizer = gguf_tokenizer(gguf_file(settings.llm_model), settings.model_cache_dir)
    return [prompt_size(turns, tokenizer) for turns in prompts]


def _in_child(settings: Settings, prompts: list[list[dict]], new_tokens: int) -> dict:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(measure_in_process, settings, prompts, new_tokens).result()


def measure_in_process(settings: Settings, prompts: list[list[dict]], new_tokens: int) -> dict:
    """Runs in the child: load, one untimed warm-up answer, then every prompt in turn."""
    from workers.generation.engines import generator_for

    resident_mb = _resident_mb()  # the process with its libraries, before the model
    started = time.perf_counter()
    model = generator_for(settings, None)
    load_s = time.perf_counter() - started
    model = model.model_copy(update={"max_new_tokens": new_tokens, "min_new_tokens": new_tokens})
    timed_answer(model, WARM_UP)
    runs = [timed_answer(model, turns) for turns in prompts]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"load_s": load_s, "runs": runs, "peak_mb": peak_mb, "model_mb": peak_mb - resident_mb}


def _resident_mb() -> float:
    # Loaded before measuring: torch, transformers and langchain are not the model's memory.
    import workers.generation.chat_model
    import workers.generation.llamacpp  # noqa: F401

    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed_answer(model, turns: list[dict]) -> dict:
    from workers.generation.chat_model import chat_messages

    started, first, tokens = time.perf_counter(), None, 0
    for chunk in model.stream(chat_messages(turns)):
        if chunk.content and first is None:
            first = time.perf_counter()
        if chunk.usage_metadata:
            tokens = max(tokens, chunk.usage_metadata.get("output_tokens", 0))
    ended = time.perf_counter()
    first = first or ended
    return {
        "first_s": first - started,
        "total_s": ended - started,
        "tokens": tokens,
        "decode_s": ended - first,
    }


def _served(
    settings: Settings,
    prompts: list[list[dict]],
    questions: int,
    new_tokens: int,
    concurrency: tuple[int, ...],
) -> dict:
    """The server backend: FAQBOT_LLM_BASE_URL if set, else llama.cpp's server started here
    with the same threads and context as the in-process engine."""
    from workers.generation.llama_server import ServedModel, llama_server, peak_memory_mb
    from workers.generation.loading import gguf_file

    if settings.llm_base_url:
        return _measure_server(settings, prompts, questions, new_tokens, concurrency, load_s=None)
    served = ServedModel(model_id(settings.llm_model), gguf_file(settings.llm_model))
    started = time.perf_counter()
    with llama_server(
        [served], threads=settings.llm_threads, context=settings.llm_context_tokens
    ) as (url, process):
        load_s = time.perf_counter() - started
        remote = settings.model_copy(update={"llm_engine": "openai", "llm_base_url": url})
        figures = _measure_server(
            remote, prompts, questions, new_tokens, concurrency, load_s=load_s
        )
        figures["peak_mb"] = figures["model_mb"] = peak_memory_mb(process.pid)
    return figures


def _measure_server(
    settings: Settings,
    prompts: list[list[dict]],
    questions: int,
    new_tokens: int,
    concurrency: tuple[int, ...],
    *,
    load_s: float | None,
) -> dict:
    from workers.generation.served import served_model

    model = served_model(settings, None, max_new_tokens=new_tokens)
    model = model.model_copy(update={"extra_body": {"min_tokens": new_tokens}})
    timed_answer(model, WARM_UP)
    runs = [timed_answer(model, turns) for turns in prompts[:questions]]
    throughput = {
        str(level): _throughput(model, prompts[: max(level, questions)], level)
        for level in concurrency
    }
    return {
        "load_s": load_s,
        "runs": runs,
        "peak_mb": None,
        "model_mb": None,
        "throughput": throughput,
    }


def _throughput(model, requests: list[list[dict]], level: int) -> dict:
    """Every request, `level` in flight at a time."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=level) as pool:
        runs = list(pool.map(lambda turns: timed_answer(model, turns), requests))
    wall = time.perf_counter() - started
    return {
        "requests": len(runs),
        "tokens_per_s": sum(r["tokens"] for r in runs) / wall,
        "answers_per_min": 60 * len(runs) / wall,
        "latency_p50_s": statistics.median(r["total_s"] for r in runs),
    }


def _row(model: str, engine: str, figures: dict, lengths: list[int]) -> dict:
    runs = figures["runs"]
    prefill = [n / r["first_s"] for n, r in zip(lengths, runs, strict=True) if r["first_s"]]
    decode = [(r["tokens"] - 1) / r["decode_s"] for r in runs if r["decode_s"] > 0]
    row = {
        "model": model_id(model),
        "engine": engine,
        "load_s": figures["load_s"],
        "prompt_tokens_p50": statistics.median(lengths),
        "first_token_p50_s": statistics.median(r["first_s"] for r in runs),
        "prefill_tokens_per_s": statistics.median(prefill) if prefill else None,
        "decode_tokens_per_s": statistics.median(decode) if decode else None,
        "answer_p50_s": statistics.median(r["total_s"] for r in runs),
        "answer_tokens_p50": statistics.median(r["tokens"] for r in runs),
        "peak_mb": figures["peak_mb"],
        "model_mb": figures["model_mb"],
    }
    if "throughput" in figures:
        row["throughput"] = figures["throughput"]
    return row


def _add_ratios(rows: list[dict]) -> None:
    """Against transformers on the same model: decode speed-up and whole-answer speed-up."""
    for row in rows:
        base = next(
            (r for r in rows if r["model"] == row["model"] and r["engine"] == "transformers"), None
        )
        if base is None:
            continue
        decode, base_decode = row["decode_tokens_per_s"], base["decode_tokens_per_s"]
        row["decode_vs_transformers"] = decode / base_decode if decode and base_decode else None
        row["answer_vs_transformers"] = base["answer_p50_s"] / row["answer_p50_s"]


def plot_generate(result: dict, path: Path) -> None:
    """Whole-answer time per engine, one group of bars per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(row["model"] for row in result["rows"]))
    engines = list(dict.fromkeys(row["engine"] for row in result["rows"]))
    figure, axes = plt.subplots(figsize=(7, 4))
    width = 0.8 / len(engines)
    for n, engine in enumerate(engines):
        times = [
            next(
                (
                    r["answer_p50_s"]
                    for r in result["rows"]
                    if r["model"] == m and r["engine"] == engine
                ),
                0,
            )
            for m in models
        ]
        axes.bar([i + n * width for i in range(len(models))], times, width, label=engine)
    axes.set_xticks([i + width * (len(engines) - 1) / 2 for i in range(len(models))], models)
    axes.set_ylabel(f"seconds per answer ({result['new_tokens']} tokens, p50)")
    axes.set_title(f"Whole answer on {result['cpus']} CPUs, {result['threads']} threads")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
