"""`faqbot eval` with the bundled model: a candidate beside the base, on a held-out split and a
golden set, through the real chain."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from faqbot.db import adapters
from faqbot.db.engine import session_scope
from pipelines.evaluation.golden import GoldenSetInvalid, load_golden
from tests.pipelines.training.tiny_models import untrained_adapter

SAMPLE = Path(__file__).resolve().parents[3] / "sample_kb" / "docs"
GOLDEN = [
    {
        "id": "vpn",
        "question": "What does VPN error 809 mean?",
        "sources": ["vpn-remote-access.md"],
        "answer": "The network blocks the UDP ports; switch to the NWH-Corporate-TLS profile.",
    },
    {"id": "off", "question": "Who won the 2022 World Cup?", "refuse": True},
]


def knowledge_base(settings, embedder) -> None:
    from pipelines.ingest.pipeline import ingest
    from workers.store import get_store
    from workers.store.base import PUBLIC

    folder = settings.data_dir.parent / "kb"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE / "vpn-remote-access.md", folder)
    ingest(
        str(folder),
        settings=settings,
        store=get_store(settings),
        embedder=embedder,
        source_id="it",
        visibility=[PUBLIC],
    )


@pytest.fixture
def golden(settings, tmp_path):
    path = tmp_path / "golden.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in GOLDEN))
    return path


@pytest.mark.slow
def test_eval_compares_with_the_base_model_stores_the_figures_and_plots(
    settings, embedder, golden, monkeypatch
):
    monkeypatch.setenv("FAQBOT_GOLDEN_SET", str(golden))
    monkeypatch.setenv("FAQBOT_LLM_MAX_NEW_TOKENS", "24")
    knowledge_base(settings, embedder)
    folder = untrained_adapter(settings, "ad-eval")

    result = CliRunner().invoke(app, ["eval", "--adapter", "ad-eval", "--json"])

    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout)
    assert comparison["reference_id"] is None  # nothing promoted: the base model
    for side in ("candidate", "reference"):
        assert comparison[side]["golden"]["n"] == 2
        assert comparison[side]["golden"]["refusal_correctness"] is not None
    # an adapter fresh from initialisation answers exactly like its base
    assert comparison["candidate"]["overall"] == comparison["reference"]["overall"]
    assert comparison["gate"] == {"passed": True, "reasons": []}
    assert (folder / "eval.png").read_bytes()[:4] == b"\x89PNG"
    with session_scope(settings) as session:
        assert adapters.get(session, "ad-eval").metrics == comparison


def test_a_bad_golden_line_names_the_file_and_line(settings, tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps(GOLDEN[0]) + "\n" + json.dumps({"question": "Where?"}) + "\n")
    with pytest.raises(GoldenSetInvalid, match=r"mine.jsonl: line 2 needs an answer and sources"):
        load_golden(settings.model_copy(update={"golden_set": path}))
