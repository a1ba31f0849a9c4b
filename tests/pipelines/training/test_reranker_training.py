"""What the reranker is trained on: dev threads split for tuning, liked answers as positives."""

from __future__ import annotations

import datetime as dt

from pipelines.curation.candidates import Candidate
from pipelines.evaluation.question_sets import Query
from pipelines.training.reranker import feedback_groups, split_dev_threads

SOURCES = (
    "[1] Handbook › Leave\n> Annual leave is 25 days.\n> Ask your manager first.\n\n"
    "[2] Handbook › Parking\n> The car park opens at 7am."
)


def candidate(answer: str, up: int, visibility=("public",)) -> Candidate:
    return Candidate(
        1,
        "How much leave do I get?",
        answer,
        None,
        up,
        0,
        {"sources": SOURCES},
        "C01",
        dt.datetime(2026, 1, 1),
        None,
        visibility=list(visibility),
    )


def test_a_liked_answer_gives_its_cited_passages_as_positives():
    (group,) = feedback_groups([candidate("You get 25 days [1].", up=1)])
    assert group.query == "How much leave do I get?"
    assert group.positives == ["Annual leave is 25 days.\nAsk your manager first."]
    assert group.negatives == []  # filled from retrieval by with_negatives


def test_unliked_or_restricted_answers_are_not_trained_on():
    assert feedback_groups([candidate("No idea [2].", up=0)]) == []
    assert feedback_groups([candidate("25 days [1].", up=1, visibility=["C0123ABC"])]) == []


def test_holding_out_dev_threads_never_splits_a_thread():
    queries = [Query(f"q{t}-{n}", frozenset({f"a{t}"}), "dev") for t in range(6) for n in range(3)]
    train, held = split_dev_threads(queries)
    assert {q.relevant for q in train}.isdisjoint({q.relevant for q in held})
    assert len(train) == len(held) == 9
