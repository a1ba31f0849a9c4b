"""The long-document set (sample_kb/longdocs): its files, its questions and its loader."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines.evaluation.question_sets import LONGDOCS_DIR, load_longdocs_questions, longdocs_files
from workers.store.base import Chunk

LICENCES = {
    "gpl-3.0.txt": "GPL-3",
    "lgpl-2.1.txt": "LGPL-2.1",
    "mpl-2.0.txt": "MPL-2.0",
    "apache-2.0.txt": "Apache-2.0",
    "gfdl-1.3.txt": "GFDL-1.3",
}
DEBIAN = Path("/usr/share/common-licenses")


def _rows() -> list[dict]:
    lines = (LONGDOCS_DIR / "questions.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_the_documents_are_the_five_licence_texts():
    assert [p.name for p in longdocs_files()] == sorted(LICENCES)


@pytest.mark.parametrize("name", sorted(LICENCES))
def test_each_licence_is_a_verbatim_copy_of_debians(name):
    original = DEBIAN / LICENCES[name]
    if not original.is_file():
        pytest.skip(f"{original} not on this machine")
    assert (LONGDOCS_DIR / name).read_bytes() == original.read_bytes()


def test_every_answer_span_is_copied_from_its_document_once():
    for row in _rows():
        text, span = (
            _flat((LONGDOCS_DIR / row["source"]).read_text()),
            _flat(row["answer_contains"]),
        )
        assert 3 <= len(span.split()) <= 8, row["id"]
        assert text.count(span) == 1, f"{row['id']}: {span!r} not once in {row['source']}"


def test_the_questions_are_complete_and_numbered():
    rows = _rows()
    assert [row["id"] for row in rows] == [f"l{n:02d}" for n in range(1, 49)]
    for row in rows:
        assert row["question"].strip() and row["answer"].strip(), row["id"]
        assert isinstance(row["exact_term"], bool), row["id"]


def test_the_loader_yields_48_questions_over_the_five_documents():
    queries = load_longdocs_questions()
    assert len(queries) == 48
    per_document = {name: sum(name in q.relevant for q in queries) for name in LICENCES}
    assert set(per_document) == {source for q in queries for source in q.relevant}
    assert all(9 <= count <= 10 for count in per_document.values()), per_document
    assert all(q.answer_contains and q.gold_answers for q in queries)
    assert 10 <= sum(q.exact_term for q in queries) <= 30


def test_a_passage_answers_when_the_span_wraps_a_line_there():
    query = next(q for q in load_longdocs_questions() if q.answer_contains.count(" ") >= 3)
    source = next(iter(query.relevant))
    words = query.answer_contains.split()
    wrapped = f"Some text before {' '.join(words[:2])}\n   {' '.join(words[2:])} and after."
    assert query.answers(_chunk(source, wrapped.upper()))
    assert not query.answers(_chunk("other.txt", wrapped))
    assert not query.answers(_chunk(source, "Some text without the answer."))


def _chunk(doc_key: str, text: str) -> Chunk:
    return Chunk(f"{doc_key}#0", "longdocs", doc_key, "h", doc_key, "", 0, text, "c", ["public"])
