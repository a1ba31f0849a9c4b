"""Evaluation question sets, for the benchmarks and reranker training: StackFAQ (per its
BENCHMARK.md), the shipped sample question set and the long-document set (sample_kb/longdocs)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from workers.answering.calibration import PROBES
from workers.store.base import Chunk

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_kb"
LONGDOCS_DIR = SAMPLE_DIR / "longdocs"
STACKFAQ_FILE = "stackExchange-FAQ.xml"


@dataclass
class Query:
    text: str
    relevant: frozenset[str]
    split: str
    exact_term: bool = False
    answer_contains: str | None = None
    gold_answers: tuple[str, ...] = ()
    # False for the questions thresholds and sentence choice were tuned on (the sample's and
    # long-document set's odd-numbered ones); refusal targets are judged on the others.
    held_out: bool = True

    def answers(self, chunk: Chunk) -> bool:
        """Passage-level relevance: the chunk is from the right document and holds the answer
        (case and whitespace ignored, so a span that wraps a line in the file still matches)."""
        if chunk.doc_key not in self.relevant:
            return False
        return self.answer_contains is None or _flat(self.answer_contains) in _flat(chunk.text)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class StackFAQ:
    answers: list[str]  # doc_key of answer i is f"a{i}"
    queries: list[Query]


def load_stackfaq(folder: Path) -> StackFAQ:
    """Corpus = the 719 answers alone; queries = non-empty rephrasings; relevant = every answer
    of the query's thread; even thread index = dev, odd = test."""
    path = folder / STACKFAQ_FILE
    if not path.is_file():
        raise FileNotFoundError(f"dataset {folder}: no {STACKFAQ_FILE} in it")
    answers: list[str] = []
    queries: list[Query] = []
    for thread, pair in enumerate(ET.parse(path).getroot().findall("qapair")):
        keys = []
        for answer in pair.findall("answer"):
            keys.append(f"a{len(answers)}")
            answers.append((answer.text or "").strip())
        split = "dev" if thread % 2 == 0 else "test"
        golds = tuple(answers[int(key[1:])] for key in keys)
        for rephrasing in pair.findall("rephr"):
            text = (rephrasing.text or "").strip()
            if text and text != "*":
                queries.append(Query(text, frozenset(keys), split, gold_answers=golds))
    return StackFAQ(answers, queries)


def load_offtopic_questions(folder: Path = SAMPLE_DIR, *, held_out: bool = False) -> list[str]:
    """Questions no knowledge base here answers: the bot's own probes, which set where
    refusing begins (the tuning set), or the 50 of `offtopic_heldout.jsonl`, written later and
    never used to tune."""
    if not held_out:
        return list(PROBES)
    lines = (folder / "offtopic_heldout.jsonl").read_text().splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def load_sample_questions(folder: Path = SAMPLE_DIR) -> list[Query]:
    lines = (folder / "questions.jsonl").read_text().splitlines()
    return [
        Query(
            row["question"],
            frozenset([row["source"]]),
            "all",
            bool(row.get("exact_term")),
            row.get("answer_contains"),
            (row["answer"],),
            held_out=int(row["id"][1:]) % 2 == 0,
        )
        for row in map(json.loads, filter(str.strip, lines))
    ]


def load_longdocs_questions(folder: Path = LONGDOCS_DIR) -> list[Query]:
    """The long-document set: every question has an `answer_contains` span (passage level)."""
    return load_sample_questions(folder)


def longdocs_files(folder: Path = LONGDOCS_DIR) -> list[Path]:
    """The five licence texts; the folder's README and question file are not documents."""
    return sorted(folder.glob("*.txt"))


def spread(items: list, limit: int | None) -> list:
    """An even sample across the set, so a limit still covers every document or thread."""
    if not limit or limit >= len(items):
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]
