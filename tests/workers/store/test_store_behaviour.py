"""One behaviour suite for every knowledge store backend that is reachable from here."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from workers.store.base import PUBLIC, Chunk, DocumentSet, EmbeddedChunk, asker_labels

DIM = 8
BACKENDS = ["lancedb", "weaviate"]


@pytest.fixture(scope="session")
def weaviate_url():
    """Read before the per-test settings fixture clears FAQBOT_* variables."""
    return os.environ.get("FAQBOT_WEAVIATE_URL")


@pytest.fixture(params=BACKENDS)
def store(request, weaviate_url, settings):
    if request.param == "lancedb":
        from workers.store.lance import LanceKnowledgeStore

        yield LanceKnowledgeStore(settings.lancedb_dir)
        return
    url = weaviate_url
    if not url:
        pytest.skip("Weaviate backend: set FAQBOT_WEAVIATE_URL=http://host:8080 to run it")
    from workers.store.weaviate import WeaviateKnowledgeStore

    weaviate_store = WeaviateKnowledgeStore.connect(
        settings.model_copy(update={"weaviate_url": url, "weaviate_collection": "FaqbotTest"})
    )
    weaviate_store.drop()
    yield weaviate_store
    weaviate_store.close()


def unit(*weights: float) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[: len(weights)] = weights
    return vector / np.linalg.norm(vector)


def chunk(
    doc: str,
    position: int,
    text: str,
    vector,
    *,
    source="handbook",
    version="v1",
    visibility=(PUBLIC,),
) -> EmbeddedChunk:
    item = Chunk(
        chunk_id=f"{source}/{doc}/{version}/{position}",
        source_id=source,
        doc_key=doc,
        doc_hash=version,
        title=doc.title(),
        section="",
        position=position,
        text=text,
        content_hash=f"{version}{position}",
        visibility=list(visibility),
        path=f"/kb/{doc}",
    )
    return EmbeddedChunk(item, vector, vector)


def search(store, text, vector=None, channel=None, mode="hybrid", k=10):
    return store.search(
        text=text,
        vector=vector if vector is not None else unit(1),
        labels=asker_labels(channel),
        k=k,
        mode=mode,
    )


@pytest.fixture
def handbook(store):
    store.replace_documents(
        "handbook",
        [
            chunk("vpn", 0, "VPN error 809 means the hotel network blocks UDP ports", unit(1, 0)),
            chunk(
                "passwords", 0, "Policy IT-POL-7.2 sets passphrases of 14 characters", unit(0, 1)
            ),
            chunk("leave", 0, "Annual leave is 27 days plus bank holidays", unit(0, 0, 1)),
        ],
        {"vpn", "passwords", "leave"},
    )
    store.replace_documents(
        "finance",
        [
            chunk(
                "budget",
                0,
                "The 2027 budget freeze applies to all hiring",
                unit(1, 0.2),
                source="finance",
                visibility=("C0FINANCE",),
            ),
        ],
        {"budget"},
    )
    return store


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_mode_finds_the_matching_passage(handbook, mode):
    hits = search(handbook, "IT-POL-7.2 passphrase policy", unit(0, 1), mode=mode)
    assert hits[0].chunk.doc_key == "passwords"


def test_bm25_matches_an_exact_error_code_the_vector_points_away_from(handbook):
    hits = search(handbook, "error 809", unit(0, 0, 1), mode="hybrid", k=2)
    assert "vpn" in [h.chunk.doc_key for h in hits]
    assert search(handbook, "error 809", mode="bm25")[0].chunk.doc_key == "vpn"


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_a_restricted_source_is_seen_only_in_its_channel(handbook, mode):
    question = ("budget freeze hiring", unit(1, 0.2))
    for channel in (None, "C0GENERAL", "D0DIRECT"):
        found = {h.chunk.source_id for h in search(handbook, *question, channel, mode)}
        assert "finance" not in found, channel
    found = {h.chunk.source_id for h in search(handbook, *question, "C0FINANCE", mode)}
    assert "finance" in found


def test_the_visibility_filter_runs_inside_the_query_not_after_it(store):
    # More restricted chunks closer to the question than the public one than any search
    # fetches as candidates: a filter applied after the search would return nothing.
    store.replace_documents(
        "secret",
        [
            chunk(
                "s",
                i,
                f"secret salary band {i}",
                unit(1, 0.001 * i),
                source="secret",
                visibility=("C0HR",),
            )
            for i in range(80)
        ],
        {"s"},
    )
    store.replace_documents(
        "open", [chunk("o", 0, "salary review dates", unit(0.5, 1), source="open")], {"o"}
    )
    for mode in ("dense", "bm25", "hybrid"):
        hits = search(store, "salary", unit(1), mode=mode, k=3)
        assert [h.chunk.source_id for h in hits] == ["open"], mode


def test_replacing_a_document_leaves_the_others_and_drops_its_old_chunks(handbook):
    handbook.replace_documents(
        "handbook",
        [
            chunk("vpn", 0, "Use the TLS profile when error 809 appears", unit(1, 0), version="v2"),
            chunk("vpn", 1, "Call the service desk on extension 4000", unit(1, 0.1), version="v2"),
        ],
        {"vpn"},
    )
    texts = [h.chunk.text for h in search(handbook, "error 809 VPN", unit(1, 0), k=10)]
    assert "Use the TLS profile when error 809 appears" in texts
    assert not any("hotel network" in t for t in texts)
    assert handbook.document_hashes("handbook") == {"vpn": "v2", "passwords": "v1", "leave": "v1"}


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_a_search_never_sees_old_and_new_chunks_of_one_document_together(store, mode):
    def version(n: int) -> list[EmbeddedChunk]:
        return [
            chunk("faq", i, f"faq answer {i} edition {n}", unit(1, 0.01 * i), version=f"v{n}")
            for i in range(4)
        ]

    store.replace_documents("handbook", version(0), {"faq"})
    stop = threading.Event()
    mixes: list[set[str]] = []

    def reader():
        while not stop.is_set():
            hashes = {
                h.chunk.doc_hash for h in search(store, "faq answer", unit(1), mode=mode, k=20)
            }
            if len(hashes) > 1:
                mixes.append(hashes)

    thread = threading.Thread(target=reader)
    thread.start()
    for n in range(1, 15):
        store.replace_documents("handbook", version(n), {"faq"})
    stop.set()
    thread.join()
    assert mixes == []
    assert {h.chunk.doc_hash for h in search(store, "faq", unit(1), k=20)} == {"v14"}


def test_sources_are_listed_and_removed(handbook):
    summaries = {s.source_id: s for s in handbook.list_sources()}
    assert summaries["handbook"].documents == 3
    assert summaries["handbook"].chunks == 3
    assert summaries["finance"].visibility == ["C0FINANCE"]
    assert handbook.delete_source("finance") == 1
    assert handbook.delete_source("finance") == 0
    assert [s.source_id for s in handbook.list_sources()] == ["handbook"]
    assert handbook.count() == 3


def test_one_source_is_summarised_without_the_others(handbook):
    finance = handbook.source_summary("finance")
    assert (finance.documents, finance.chunks, finance.visibility) == (1, 1, ["C0FINANCE"])
    assert handbook.source_summary("nobody") is None


def test_neighbours_are_only_chunks_visible_wherever_the_chunk_is(handbook):
    near_budget = unit(1, 0.2)
    public = handbook.neighbours(near_budget, [PUBLIC], k=5)
    assert "finance" not in {h.chunk.source_id for h in public}
    in_finance = handbook.neighbours(near_budget, ["C0FINANCE"], k=5)
    assert "finance" in {h.chunk.source_id for h in in_finance}
    assert in_finance[0].vector is not None and in_finance[0].score > 0.99


def test_neighbours_leave_out_the_documents_being_replaced(handbook):
    hits = handbook.neighbours(
        unit(1, 0), [PUBLIC], k=5, exclude=DocumentSet("handbook", frozenset({"vpn"}))
    )
    assert "vpn" not in {h.chunk.doc_key for h in hits}
    assert {"passwords", "leave"} <= {h.chunk.doc_key for h in hits}


def test_chunks_of_returns_a_documents_stored_chunks_with_vectors(handbook):
    chunks = handbook.chunks_of("handbook", {"vpn", "leave"})
    assert sorted(h.chunk.doc_key for h in chunks) == ["leave", "vpn"]
    assert all(h.vector is not None and len(h.vector) == DIM for h in chunks)
    assert handbook.chunks_of("handbook", set()) == []


def test_a_second_handle_sees_changes_made_through_the_first(store, settings):
    if type(store).__name__ != "LanceKnowledgeStore":
        pytest.skip("a server store has no per-process view to go stale")
    other = type(store)(settings.lancedb_dir)  # e.g. a worker started before any ingestion
    store.replace_documents("handbook", [chunk("vpn", 0, "VPN error 809", unit(1))], {"vpn"})
    assert [h.chunk.doc_key for h in search(other, "VPN error 809")] == ["vpn"]
    store.delete_source("handbook")
    assert search(other, "VPN error 809") == []


def test_an_empty_store_answers_every_call(store):
    assert search(store, "anything") == []
    assert store.list_sources() == []
    assert store.document_hashes("none") == {}
    assert store.count() == 0
