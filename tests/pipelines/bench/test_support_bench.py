"""`faqbot bench support`: each bar applied to the model's unchecked text as the chain applies
it, and the figures a bar is chosen by."""

from __future__ import annotations

import pytest

from pipelines.bench.support import Unchecked, at_bar, best_bar, posted
from pipelines.evaluation.question_sets import Query

QUOTE = "Full-time employees get 27 days of annual leave each holiday year [2]."


def row(claims, support, *, held_out=False, gold="27 days of annual leave a year") -> Unchecked:
    query = Query(
        "How many vacation days?",
        frozenset({"leave.md"}),
        "all",
        gold_answers=(gold,),
        held_out=held_out,
    )
    return Unchecked(query, QUOTE, claims, support, [2] * len(claims))


def test_the_model_stops_at_its_first_unbacked_sentence_and_what_came_before_stands():
    unchecked = row(
        ["You get 27 days of annual leave [1].", "Ask the Moon Base.", "Bank holidays are extra."],
        [0.9, 0.5, 0.95],
    )
    assert posted(unchecked, 0.8) == ("You get 27 days of annual leave [1].", "Ask the Moon Base.")
    assert posted(unchecked, 0.4) == (
        "You get 27 days of annual leave [1]. Ask the Moon Base [2]. Bank holidays are extra [2].",
        None,
    )  # a kept sentence without a citation gets its backing passage's


def test_the_quote_stands_when_the_first_sentence_is_unbacked():
    unchecked = row(["The canteen opens at noon.", "You get 27 days [1]."], [0.6, 0.99])
    assert posted(unchecked, 0.7) == (QUOTE, "The canteen opens at noon.")
    assert posted(row([], []), 0.7) == (QUOTE, None)  # the model wrote nothing: the quote


def test_each_bar_reports_both_halves_the_share_kept_and_correct_paraphrases_lost():
    rows = [
        row(["You get 27 days of annual leave a year [1]."], [0.78]),
        row(["You get 27 days of annual leave a year [1]."], [0.78], held_out=True),
        row(["Holidays are nice."], [0.9], held_out=True),
    ]
    low, high = at_bar(rows, 0.75), at_bar(rows, 0.8)
    assert low["generated_rate"] == 1.0 and low["token_f1_tuning"] == pytest.approx(0.8)
    assert high["generated_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert (high["dropped"], high["dropped_saying_reference"]) == (2, 2)
    quote = at_bar(rows, float("inf"))
    assert high["token_f1_tuning"] == quote["token_f1_tuning"] == pytest.approx(2 / 3, abs=1e-3)
    assert at_bar(rows[2:], 0.8)["token_f1_tuning"] is None  # no tuning questions: no figure


def test_the_best_bar_is_chosen_on_the_tuning_half_the_lowest_of_equals():
    figures = {
        "0.70": {"token_f1_tuning": 0.40, "token_f1_held_out": 0.9},
        "0.75": {"token_f1_tuning": 0.46, "token_f1_held_out": 0.1},
        "0.80": {"token_f1_tuning": 0.46, "token_f1_held_out": 0.5},
    }
    assert best_bar(figures) == "0.75"
    assert best_bar({"0.70": {"token_f1_tuning": None}}) is None
