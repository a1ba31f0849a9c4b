"""Several ingest workers write one embedded LanceDB table at once."""

from __future__ import annotations

import multiprocessing

import pytest

from tests.workers.store.test_store_behaviour import chunk, unit
from workers.store.lance import LanceKnowledgeStore, retry_commit_conflicts

WRITES = 8


def write_source(directory: str, source: str) -> None:
    """One worker: re-indexes its own source several times, as repeated ingestions would."""
    from pathlib import Path

    store = LanceKnowledgeStore(Path(directory))
    for version in range(WRITES):
        chunks = [
            chunk(
                f"doc{i}",
                0,
                f"{source} text {i} v{version}",
                unit(1, i + 1),
                source=source,
                version=f"v{version}",
            )
            for i in range(3)
        ]
        store.replace_documents(source, chunks, {f"doc{i}" for i in range(3)})


def test_two_processes_writing_at_once_both_land_every_write(tmp_path):
    LanceKnowledgeStore(tmp_path).replace_documents(
        "seed", [chunk("d", 0, "seed", unit(1), source="seed")], {"d"}
    )
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=write_source, args=(str(tmp_path), name))
        for name in ("alpha", "beta")
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
    assert [p.exitcode for p in workers] == [0, 0]
    store = LanceKnowledgeStore(tmp_path)
    counts = {s.source_id: s.chunks for s in store.list_sources()}
    assert counts == {"seed": 1, "alpha": 3, "beta": 3}
    hits = store.search(text="alpha", vector=None, labels=["public"], k=5, mode="bm25")
    assert {h.chunk.source_id for h in hits} == {"alpha"}
    assert all(h.chunk.doc_hash == f"v{WRITES - 1}" for h in hits)


def test_a_commit_conflict_is_retried_and_other_errors_are_not():
    calls = []

    def conflicted_twice():
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("lance error: Retryable commit conflict for version 6")
        return "committed"

    assert retry_commit_conflicts(conflicted_twice) == "committed" and len(calls) == 3
    with pytest.raises(RuntimeError, match="disk full"):
        retry_commit_conflicts(lambda: (_ for _ in ()).throw(RuntimeError("disk full")))
