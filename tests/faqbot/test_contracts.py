"""The results that cross process boundaries keep the JSON shape their readers (the CLI's
--json, the interaction log, Redis reply lists) have always seen, and bad ones are refused."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from faqbot.contracts import Answer, Citation, IngestReport, ReplyEvent, RetrievedPassage

CITED = Citation(
    n=1, source_id="hb", title="VPN", chunk_id="c1", snippet="Switch…", document="vpn.md"
)


def answer(**changes) -> Answer:
    fields = {
        "question": "VPN error 809?",
        "answer": "Switch to the NWH-Corporate-TLS profile [1].",
        "citations": [CITED],
        "refused": False,
        "mode": "generated",
        "model": "smollm2",
        "timings_ms": {"retrieve": 12.345, "total": 812.06},
        "retrieved": [
            RetrievedPassage(chunk_id="c1", source_id="hb", score=0.81, visibility=["public"])
        ],
    }
    return Answer(**fields | changes)


def test_an_answer_reads_back_from_its_json_unchanged_with_timings_rounded():
    data = json.loads(answer().model_dump_json())
    assert data["timings_ms"] == {"retrieve": 12.3, "total": 812.1}
    assert data["citations"][0] == {
        "n": 1,
        "source_id": "hb",
        "title": "VPN",
        "url": None,
        "chunk_id": "c1",
        "snippet": "Switch…",
        "document": "vpn.md",
    }
    assert Answer.model_validate(data).citations == [CITED]


def test_an_answer_with_an_unknown_mode_is_refused_with_the_field_named():
    with pytest.raises(ValidationError, match="mode"):
        answer(mode="guessed")


def test_a_report_stored_before_repeated_existed_still_loads():
    stored = {"source_id": "hb-1a2b3c", "files": 3, "chunks": 40, "errors": [], "seconds": 1.5}
    report = IngestReport.model_validate(stored)
    assert report.ok and not report.repeated and report.chunks == 40


def test_a_reply_event_carries_only_its_own_fields():
    event = json.loads(
        ReplyEvent(event="progress", phase="embed", done=0, total=9).model_dump_json(
            exclude_none=True
        )
    )
    assert set(event) == {"event", "at", "phase", "done", "total"} and event["done"] == 0
