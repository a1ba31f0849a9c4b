"""The golden set: questions with expected answers and sources (or an expected refusal). The
repo ships one for the sample knowledge base; admins add their own as JSONL files in
DATA_DIR/golden/ (same fields), or replace the shipped one with FAQBOT_GOLDEN_SET."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from faqbot.settings import Settings

SHIPPED = Path(__file__).with_name("golden.jsonl")


class GoldenSetInvalid(ValueError):
    pass


@dataclass
class GoldenQuestion:
    id: str
    question: str
    answer: str
    sources: list[str]  # file names or source ids a citation should point at
    refuse: bool


def golden_files(settings: Settings) -> list[Path]:
    extra = sorted((settings.data_dir / "golden").glob("*.jsonl"))
    return [settings.golden_set or SHIPPED, *extra]


def load_golden(settings: Settings) -> list[GoldenQuestion]:
    """Every golden question; a bad line is an error naming its file and line."""
    questions = []
    for path in golden_files(settings):
        if not path.is_file():
            raise GoldenSetInvalid(f"golden set {path}: no such file")
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                questions.append(_parse(line, f"golden set {path}: line {number}"))
    return questions


def verified_golden(path: Path) -> list[GoldenQuestion]:
    """A dataset's held-out verified answers (its golden.jsonl, written by the build). Their
    sources may be empty (the answer they replaced cited nothing): then only the wording and
    the refusal are judged."""
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        GoldenQuestion(row["id"], row["question"], row["answer"], row.get("sources", []), False)
        for row in rows
    ]


def _parse(line: str, where: str) -> GoldenQuestion:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GoldenSetInvalid(f"{where} is not JSON ({exc.msg})") from exc
    refuse = bool(row.get("refuse", False))
    if not isinstance(row, dict) or not str(row.get("question", "")).strip():
        raise GoldenSetInvalid(f"{where} has no question")
    if not refuse and not (row.get("answer") and row.get("sources")):
        raise GoldenSetInvalid(f'{where} needs an answer and sources (or "refuse": true)')
    return GoldenQuestion(
        str(row.get("id", where)),
        row["question"],
        row.get("answer", ""),
        list(row.get("sources", [])),
        refuse,
    )
