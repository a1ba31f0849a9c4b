"""`faqbot bench retrieval`: bm25-only, dense-only and the default retrieval on one dataset.

Every system searches the same freshly built LanceDB store through the store interface, so
the figures measure what `faqbot search` does.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from faqbot.settings import Settings
from pipelines.evaluation.corpora import index_longdocs, index_sample, index_stackfaq
from pipelines.evaluation.metrics import summarise
from pipelines.evaluation.question_sets import (
    Query,
    load_longdocs_questions,
    load_sample_questions,
    load_stackfaq,
)
from workers.embedder import Embedder, get_embedder
from workers.retrieval import retrieve
from workers.store.base import KnowledgeStore

SYSTEMS = {"bm25": "bm25", "dense": "dense", "default": "hybrid"}
RERANKED = "default+rerank"  # measured too when a reranker is configured or given
CHUNKS_PER_QUERY = 40  # enough chunks to rank 10 distinct documents


def run_retrieval_benchmark(
    dataset: str,
    settings: Settings,
    progress=None,
    feedback_faq: bool = False,
    reranker: Path | None = None,
    dev: bool = True,
) -> dict:
    """`reranker` (or FAQBOT_RERANKER_PATH) adds the default retrieval reranked by that
    cross-encoder as one more system; the others are measured without it. `dev` adds
    StackFAQ's dev split (the figures to tune on) beside the test split."""
    from workers.store.lance import LanceKnowledgeStore

    if reranker is not None:
        settings = settings.model_copy(update={"reranker_path": reranker})
    if settings.reranker_path is not None:
        from workers.retrieval import configured_reranker

        configured_reranker(settings)  # a missing or wrong directory fails before indexing

    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    embedder.embed(["warm-up"] * embedder.batch_size)  # keep one-off start-up out of the timings
    with tempfile.TemporaryDirectory(prefix="faqbot-bench-") as tmp:
        store = LanceKnowledgeStore(Path(tmp))
        if dataset == "sample":
            return _bench_sample(settings, store, embedder, progress)
        if dataset == "longdocs":
            return _bench_longdocs(settings, store, embedder, progress)
        return _bench_stackfaq(
            Path(dataset), settings, store, embedder, progress, feedback_faq, dev
        )


def _bench_stackfaq(
    folder: Path, settings, store, embedder, progress, feedback_faq: bool, with_dev: bool
) -> dict:
    data = load_stackfaq(folder)
    started = time.perf_counter()
    with progress or nullcontext():
        report = index_stackfaq(data, settings, store, embedder, progress)
        ingest_seconds = time.perf_counter() - started
        texts = store.search_texts()
        ingest_figures = _ingest_figures(report.chunks, ingest_seconds, texts, embedder)
        test = [q for q in data.queries if q.split == "test"]
        dev = [q for q in data.queries if q.split == "dev"]
        result = {
            "dataset": "stackfaq",
            "split": "test",
            "queries": len(test),
            "systems": _evaluate(test, settings, store, embedder, (5,), progress, "test"),
        }
        if with_dev:
            result["dev"] = _evaluate(dev, settings, store, embedder, (5,), progress, "dev")
        if feedback_faq:
            result["feedback_faq"] = _with_feedback_faq(
                data, result["systems"], settings, store, embedder, progress
            )
    result["ingest"] = ingest_figures
    return result


def _with_feedback_faq(data, test_before: dict, settings, store, embedder, progress) -> dict:
    """FAQ entries from dev-thread feedback only: half of each dev thread's paraphrases, each
    indexed with its thread's first answer as the liked reply (`faq_entry`, as the product
    does). Measured on the test threads, which got no feedback (there the entries can only
    distract), and on the other half of the dev paraphrases: new wordings of questions that
    were answered and liked."""
    from pipelines.curation.faq_entries import FEEDBACK_FAQ, faq_entry
    from pipelines.ingest.pipeline import IngestRun, PreparedDocument, index_documents
    from workers.store.base import PUBLIC

    threads: dict[frozenset, list[Query]] = {}
    for query in data.queries:
        if query.split == "dev":
            threads.setdefault(query.relevant, []).append(query)
    asked = [q for qs in threads.values() for q in qs[: max(1, len(qs) // 2)]]
    unseen = [q for qs in threads.values() for q in qs[max(1, len(qs) // 2) :]]
    unseen_before = _evaluate(unseen, settings, store, embedder, (5,), progress, "dev unseen")
    entries = []
    for n, query in enumerate(asked):
        key = min(query.relevant, key=lambda k: int(k[1:]))
        entries.append(
            PreparedDocument(
                f"{key}#faq{n}", f"faq{n}", faq_entry(query.text, data.answers[int(key[1:])])
            )
        )
    index_documents(
        FEEDBACK_FAQ,
        entries,
        set(),
        visibility=[PUBLIC],
        settings=settings,
        store=store,
        embedder=embedder,
        report=IngestRun(FEEDBACK_FAQ),
    )
    test = [q for q in data.queries if q.split == "test"]
    return {
        "entries": len(entries),
        "test": {
            "queries": len(test),
            "before": test_before,
            "after": _evaluate(test, settings, store, embedder, (5,), progress, "test+faq"),
        },
        "dev_unseen": {
            "queries": len(unseen),
            "before": unseen_before,
            "after": _evaluate(unseen, settings, store, embedder, (5,), progress, "dev unseen+faq"),
        },
    }


def _bench_sample(settings, store, embedder, progress) -> dict:
    """All questions at document level, the exact-term ones at passage level too."""
    return _bench_handbook(
        "sample", load_sample_questions(), index_sample, settings, store, embedder, progress
    )


def _bench_longdocs(settings, store, embedder, progress) -> dict:
    """Passage level throughout: with five long documents, finding the right one is easy and
    finding the passage that holds the answer is what counts."""
    return _bench_handbook(
        "longdocs",
        load_longdocs_questions(),
        index_longdocs,
        settings,
        store,
        embedder,
        progress,
        passages=True,
    )


def _bench_handbook(
    name: str,
    queries: list[Query],
    index,
    settings,
    store,
    embedder,
    progress,
    passages: bool = False,
) -> dict:
    """A shipped document set through the real ingestion pipeline, then its questions."""
    started = time.perf_counter()
    with progress or nullcontext():
        report = index(settings, store, embedder, progress)
        seconds = time.perf_counter() - started
        ingest_figures = _ingest_figures(report.chunks, seconds, store.search_texts(), embedder)
        exact = [q for q in queries if q.exact_term]
        result = {
            "dataset": name,
            "split": "all",
            **({"level": "passage"} if passages else {}),
            "queries": len(queries),
            "systems": _evaluate(
                queries, settings, store, embedder, (3, 5), progress, "all", passages=passages
            ),
            "exact_term": {
                "queries": len(exact),
                "level": "passage",
                "systems": _evaluate(
                    exact, settings, store, embedder, (3, 5), progress, "exact", passages=True
                ),
            },
        }
    result["ingest"] = ingest_figures
    return result


def _evaluate(
    queries: list[Query],
    settings: Settings,
    store: KnowledgeStore,
    embedder: Embedder,
    hits: tuple[int, ...],
    progress,
    label: str,
    passages: bool = False,
) -> dict:
    """Document-level figures, or with `passages` chunk-level ones (`Query.answers`)."""
    # One query at a time, as `faqbot search` embeds it (batch padding shifts scores slightly).
    vectors = [embedder.embed_query(q.text) for q in queries]
    results = {}
    systems = {
        name: (mode, settings.model_copy(update={"reranker_path": None}))
        for name, mode in SYSTEMS.items()
    }
    if settings.reranker_path is not None:
        systems[RERANKED] = ("hybrid", settings)
    for name, (mode, system_settings) in systems.items():
        rankings = []
        for done, (query, vector) in enumerate(zip(queries, vectors, strict=True), 1):
            found = retrieve(
                query.text,
                settings=system_settings,
                store=store,
                embedder=embedder,
                k=CHUNKS_PER_QUERY,
                mode=mode,
                vector=vector,
            )
            rankings.append(_passages(found, query) if passages else _documents(found, query))
            if progress:
                progress(f"{label}: {name}", done, len(queries))
        figures = summarise(rankings, hits)
        if passages:  # nDCG needs every answering passage of the corpus; only hits are known
            figures.pop("ndcg@10")
        results[name] = figures
    return results


def _documents(hits, query: Query) -> tuple[list[str], frozenset[str]]:
    """Chunk hits to document keys, best first, each document once; a FAQ entry (`a12#faq3`)
    counts as the answer it carries."""
    keys = (hit.chunk.doc_key.split("#", 1)[0] for hit in hits)
    return list(dict.fromkeys(keys)), query.relevant


def _passages(hits, query: Query) -> tuple[list[str], frozenset[str]]:
    """Chunk ids, with the retrieved chunks that answer the query as the relevant set."""
    relevant = frozenset(hit.chunk.chunk_id for hit in hits if query.answers(hit.chunk))
    return [hit.chunk.chunk_id for hit in hits], relevant


def _ingest_figures(chunks: int, seconds: float, texts: list[str], embedder: Embedder) -> dict:
    """Pipeline throughput beside the embedder alone on the same texts: what reading,
    chunking and storing cost on top of the encoder."""
    started = time.perf_counter()
    embedder.embed(texts)
    plain = time.perf_counter() - started
    return {
        "chunks": chunks,
        "pipeline_chunks_per_s": round(chunks / seconds, 1),
        "plain_encode_texts_per_s": round(len(texts) / plain, 1),
        "pipeline_vs_plain": round((chunks / seconds) / (len(texts) / plain), 3),
    }
