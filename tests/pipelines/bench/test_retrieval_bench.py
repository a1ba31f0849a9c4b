"""The retrieval benchmark: metric arithmetic, the StackFAQ protocol, and the quality targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.bench.retrieval import run_retrieval_benchmark
from pipelines.evaluation.metrics import hit_at, mrr_at, ndcg_at, summarise
from pipelines.evaluation.question_sets import load_sample_questions, load_stackfaq

STACKFAQ = Path(__file__).resolve().parents[3].parent / "shared" / "benchmarks" / "stackfaq"
needs_stackfaq = pytest.mark.skipif(
    not (STACKFAQ / "stackExchange-FAQ.xml").is_file(),
    reason=f"StackFAQ not found at {STACKFAQ} (shared/ sits beside the clone in CI)",
)


def test_metrics_on_a_hand_checked_ranking():
    ranked, relevant = ["x", "a", "y", "b"], frozenset({"a", "b"})
    assert mrr_at(ranked, relevant) == 0.5
    assert hit_at(ranked, relevant, 1) == 0.0 and hit_at(ranked, relevant, 2) == 1.0
    ideal = 1 + 1 / 1.5849625
    assert ndcg_at(ranked, relevant) == pytest.approx((1 / 1.5849625 + 1 / 2.3219281) / ideal)
    assert summarise([(ranked, relevant)], (3,)) == {
        "ndcg@10": pytest.approx(0.6509, abs=1e-4),
        "mrr@10": 0.5,
        "hit@3": 1.0,
    }


@needs_stackfaq
def test_stackfaq_follows_the_protocol():
    data = load_stackfaq(STACKFAQ)
    assert len(data.answers) == 719
    assert len(data.queries) == 1249  # 1,250 rephrasings less one empty; "*" ones skipped
    assert all(q.text and q.text != "*" for q in data.queries)
    first = data.queries[0]
    assert first.text == "How to make font strikethrough on github."
    assert (first.relevant, first.split) == (frozenset({"a0", "a1"}), "dev")
    assert data.answers[0] == "Use ~~tildes around the words~~."  # the answer alone
    assert {q.split for q in data.queries if "a2" in q.relevant} == {"test"}


def test_sample_questions_cover_every_document_and_exact_terms():
    questions = load_sample_questions()
    docs = {p.name for p in (Path(__file__).resolve().parents[3] / "sample_kb/docs").iterdir()}
    assert len(questions) >= 30
    assert {source for q in questions for source in q.relevant} == docs
    exact = [q for q in questions if q.exact_term]
    assert len(exact) >= 10 and all(q.answer_contains for q in exact)


def test_an_unknown_dataset_folder_is_one_clear_error(settings, tmp_path):
    with pytest.raises(FileNotFoundError, match="no stackExchange-FAQ.xml"):
        run_retrieval_benchmark(str(tmp_path), settings)


@pytest.mark.slow
def test_sample_default_keeps_exact_terms_where_dense_misses(settings):
    result = run_retrieval_benchmark("sample", settings)
    exact = result["exact_term"]["systems"]
    assert exact["default"]["hit@3"] >= 0.9
    assert exact["default"]["hit@3"] >= exact["dense"]["hit@3"]
    assert result["systems"]["default"]["hit@3"] >= 0.95


@pytest.mark.slow
@needs_stackfaq
def test_stackfaq_default_beats_dense_on_the_test_split(settings):
    result = run_retrieval_benchmark(str(STACKFAQ), settings, dev=False)
    systems = result["systems"]
    assert result["split"] == "test" and result["queries"] > 600 and "dev" not in result
    assert systems["default"]["ndcg@10"] >= 0.77
    assert systems["default"]["ndcg@10"] > systems["dense"]["ndcg@10"]
    assert systems["dense"]["ndcg@10"] > systems["bm25"]["ndcg@10"]


@pytest.mark.slow
def test_longdocs_runs_end_to_end_at_passage_level(settings):
    result = run_retrieval_benchmark("longdocs", settings)
    assert (result["dataset"], result["level"], result["queries"]) == ("longdocs", "passage", 48)
    assert result["ingest"]["chunks"] > 100  # five long licences, README and questions left out
    for systems in (result["systems"], result["exact_term"]["systems"]):
        assert set(systems) >= {"bm25", "dense", "default"}
        for figures in systems.values():
            assert "ndcg@10" not in figures  # passage level: only the hits are known
            assert 0.0 <= figures["hit@3"] <= figures["hit@5"] <= 1.0
    assert result["systems"]["default"]["hit@5"] > 0.0
