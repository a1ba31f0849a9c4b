"""Where refusing begins: measured against the knowledge base asked, not one bar for all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from faqbot.settings import Settings
from pipelines.ingest.pipeline import ingest
from workers.answering import calibration
from workers.answering.calibration import refusal_threshold
from workers.answering.chain import answer_question, build_answer_chain
from workers.store.base import PUBLIC
from workers.store.lance import LanceKnowledgeStore

LONGDOCS = Path(__file__).resolve().parents[3] / "sample_kb" / "longdocs"
# Answerable from the Apache License, but worded far from its legal text (relevance < 0.70).
CONTRIBUTION = (
    "If I send a patch to an Apache-licensed project, what licence is it under by default?"
)
OFF_TOPIC = "Who wrote the novel One Hundred Years of Solitude?"


@pytest.fixture(scope="module")
def licence(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("licence")
    shutil.copy(LONGDOCS / "apache-2.0.txt", root / "apache-2.0.txt")
    settings = Settings(_env_file=None, data_dir=root / "data")
    store = LanceKnowledgeStore(settings.lancedb_dir)
    ingest(
        str(root),
        settings=settings,
        store=store,
        embedder=embedder,
        source_id="apache",
        visibility=[PUBLIC],
    )
    return settings, store


def ask(settings, store, embedder, question):
    chain = build_answer_chain(
        settings=settings,
        store=store,
        embedder=embedder,
        chat_model=FakeListChatModel(responses=["Not backed."]),
    )
    return answer_question(chain, question)


def test_a_question_about_a_formal_document_is_answered_not_refused(licence, embedder):
    settings, store = licence
    fixed = settings.model_copy(update={"relevance_adaptive": False})
    assert ask(fixed, store, embedder, CONTRIBUTION).refused  # what a fixed bar did
    answer = ask(settings, store, embedder, CONTRIBUTION)
    assert not answer.refused
    assert {c.document for c in answer.citations} == {"apache-2.0.txt"}


def test_off_topic_questions_are_still_refused_there(licence, embedder):
    settings, store = licence
    assert ask(settings, store, embedder, OFF_TOPIC).refused


def test_the_bar_is_never_above_the_configured_threshold(licence, embedder):
    settings, store = licence
    strict = settings.model_copy(update={"relevance_threshold": 0.2})
    assert refusal_threshold(strict, store, embedder, [PUBLIC]) == 0.2
    assert refusal_threshold(settings, store, embedder, [PUBLIC]) < settings.relevance_threshold


def test_the_probes_run_once_per_scope_until_the_store_changes(licence, embedder, monkeypatch):
    settings, store = licence
    runs = []
    real = calibration.probe_background
    monkeypatch.setattr(
        calibration, "probe_background", lambda *args: runs.append(args[3]) or real(*args)
    )
    monkeypatch.setattr(calibration, "_backgrounds", type(calibration._backgrounds)())
    (settings.data_dir / calibration.BARS_FILE).unlink(missing_ok=True)
    for _ in range(2):
        refusal_threshold(settings, store, embedder, [PUBLIC])
        refusal_threshold(settings, store, embedder, [PUBLIC, "C0LEGAL"])
    assert runs == [[PUBLIC], [PUBLIC, "C0LEGAL"]]
    extra = store.count()
    monkeypatch.setattr(store, "count", lambda: extra + 1)  # as after an ingest
    refusal_threshold(settings, store, embedder, [PUBLIC])
    assert len(runs) == 3


def test_an_empty_knowledge_base_refuses_everything(settings, embedder):
    store = LanceKnowledgeStore(settings.lancedb_dir)
    assert refusal_threshold(settings, store, embedder, [PUBLIC]) == settings.relevance_threshold
    assert ask(settings, store, embedder, CONTRIBUTION).refused


def test_a_new_process_reuses_the_measured_bar(licence, embedder, monkeypatch):
    settings, store = licence
    measured = refusal_threshold(settings, store, embedder, [PUBLIC])
    monkeypatch.setattr(calibration, "_backgrounds", type(calibration._backgrounds)())
    monkeypatch.setattr(calibration, "probe_background", lambda *args: pytest.fail("measured"))
    assert refusal_threshold(settings, store, embedder, [PUBLIC]) == measured


def test_an_unreadable_saved_bar_is_measured_again(licence, embedder, monkeypatch):
    settings, store = licence
    (settings.data_dir / calibration.BARS_FILE).write_text("{not json")
    monkeypatch.setattr(calibration, "_backgrounds", type(calibration._backgrounds)())
    assert refusal_threshold(settings, store, embedder, [PUBLIC]) < settings.relevance_threshold
