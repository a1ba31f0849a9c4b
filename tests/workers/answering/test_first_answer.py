"""The asker sees the cited quote as soon as retrieval has found it; the model's text replaces
it only when a passage backs it, and the model stops at its first sentence that none does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from pydantic import Field

from faqbot.contracts import Answer, AnswerRequest
from faqbot.db import interactions
from faqbot.db.engine import session_scope
from pipelines.ingest.pipeline import ingest
from workers.answering import answer_job
from workers.answering.chain import build_answer_chain
from workers.sinks import NullSink
from workers.store import get_store

SAMPLE = Path(__file__).resolve().parents[3] / "sample_kb" / "docs"
QUESTION = "My VPN says error 809 at the hotel, what do I do?"
BACKED = "Switch to the NWH-Corporate-TLS profile, which tunnels over TCP port 443 [1]."
INVENTED = "The VPN is run by the Moon Base team. " + "Call them at any hour of the night. " * 20


class LoggedModel(FakeListChatModel):
    """A fake chat model that logs when it starts and how many pieces it was asked for."""

    log: list = Field(default_factory=list)

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        self.log.append("model started")
        for chunk in super()._stream(messages, stop, run_manager, **kwargs):
            self.log.append("piece")
            yield chunk


class LoggedSink(NullSink):
    def __init__(self, log: list):
        self.log = log

    def text(self, partial: str) -> None:
        self.log.append(("shown", partial))

    def location(self) -> tuple[str, str] | None:
        """The message the quote is shown in, until the final answer: then None, so only
        what was recorded while it was written can name it."""
        finals = [e for e in self.log if isinstance(e, tuple) and e[0] == "final"]
        return None if finals else ("C0IT", "1.000500")

    def finished(self, result: Answer) -> None:
        self.log.append(("final", result))


@pytest.fixture
def asked(tmp_path, settings, embedder, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE / "vpn-remote-access.md", docs)
    store = get_store(settings)
    ingest(
        str(docs),
        settings=settings,
        store=store,
        embedder=embedder,
        source_id="it",
        visibility=["public"],
    )

    def ask(reply: str) -> tuple[list, dict]:
        model = LoggedModel(responses=[reply], sleep=None)
        log = model.log  # pydantic copies a list given to it: share the model's
        chain = build_answer_chain(
            settings=settings, store=store, embedder=embedder, chat_model=model
        )
        monkeypatch.setattr(answer_job, "answer_chain_for", lambda _settings: chain)
        request = AnswerRequest(question=QUESTION, channel="C0IT", asker="U0ANY")
        answer_job.answer_request(request, settings=settings, sink=LoggedSink(log))
        with session_scope(settings) as session:
            stored = interactions.stored_answer(interactions.find(session, request.request_id))
        return log, stored

    return ask


def test_the_cited_quote_is_shown_before_the_model_starts(asked):
    log, _ = asked(BACKED)
    first = log.index("model started")
    shown = [entry for entry in log[:first] if isinstance(entry, tuple)]
    assert len(shown) == 1 and shown[0][0] == "shown"
    assert "NWH-Corporate-TLS" in shown[0][1] and "[1]" in shown[0][1]


def test_the_message_showing_the_quote_takes_votes_while_the_model_writes(asked, settings):
    """Where the quote is shown is recorded with it, before the model starts: a 👍 on the
    message then already counts for this answer."""
    from faqbot.db import feedback

    asked(INVENTED)
    with session_scope(settings) as session:
        row = feedback.by_reply(session, "C0IT", "1.000500")
        assert row is not None and row.question == QUESTION


def test_backed_model_text_replaces_the_quote(asked):
    log, stored = asked(BACKED)
    assert stored.mode == "generated" and stored.answer == BACKED
    assert log[-1][0] == "final" and log[-1][1].answer == BACKED
    assert not [e for e in log[log.index("model started") :] if e[0] == "shown"]  # no half text


def test_unbacked_model_text_is_stopped_early_and_the_quote_stands(asked):
    log, stored = asked(INVENTED)
    assert stored.mode == "extractive" and "Moon Base" not in stored.answer
    assert "NWH-Corporate-TLS" in stored.answer
    assert log.count("piece") < len(INVENTED) / 4  # not the whole invented reply
    assert stored.timings_ms["first_text"] < stored.timings_ms["total"]
