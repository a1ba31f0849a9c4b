"""A source shared with one channel never reaches anyone else: not in the answer, a citation,
a snippet, the streamed text or the recorded prompt. The model echoes its whole prompt, so
whatever retrieval let through would show."""

from __future__ import annotations

import json

import pytest

from faqbot.contracts import AnswerRequest
from faqbot.db import interactions
from faqbot.db.engine import session_scope
from faqbot.settings import Settings
from pipelines.ingest.pipeline import ingest
from tests.workers.answering.echo_model import EchoModel
from workers.answering import answer_job
from workers.answering.chain import build_answer_chain
from workers.sinks import NullSink
from workers.store import get_store

HR_CHANNEL, OTHER_CHANNEL, BOSS = "C0HR", "C0GENERAL", "U0BOSS"
SECRET = "PEREGRINE"
QUESTION = "Where do senior engineers park, and what is the salary band for senior engineers?"


class RecordingSink(NullSink):
    def __init__(self):
        self.texts: list[str] = []

    def text(self, partial: str) -> None:
        self.texts.append(partial)


@pytest.fixture
def knowledge(tmp_path, settings, embedder, monkeypatch):
    monkeypatch.setenv("FAQBOT_VISIBILITY_GRANTS", json.dumps({BOSS: [HR_CHANNEL]}))
    settings = Settings(_env_file=None)
    docs = tmp_path / "docs"
    (docs / "hr").mkdir(parents=True)
    (docs / "pub").mkdir()
    (docs / "hr" / "salary-bands.md").write_text(
        "# Salary bands 2026\n\nThe salary band for senior engineers is 120k to 150k "
        f"(pay review code {SECRET}). Senior engineer salary reviews happen every March.\n"
    )
    (docs / "pub" / "parking.md").write_text(
        "# Parking\n\nThere are ten parking spaces behind the office, first come first served. "
        "Engineers and visitors park in the same spaces.\n"
    )
    store = get_store(settings)
    ingest(
        str(docs / "hr"),
        settings=settings,
        store=store,
        embedder=embedder,
        source_id="hr-pay",
        visibility=[HR_CHANNEL],
    )
    ingest(
        str(docs / "pub"),
        settings=settings,
        store=store,
        embedder=embedder,
        source_id="facilities",
        visibility=["public"],
    )
    chain = build_answer_chain(
        settings=settings, store=store, embedder=embedder, chat_model=EchoModel()
    )
    monkeypatch.setattr(answer_job, "answer_chain_for", lambda _settings: chain)
    return settings


def ask(settings: Settings, **where) -> tuple[str, list[str]]:
    """Everything the asker could see, and what was recorded, as one string."""
    request = AnswerRequest(question=QUESTION, **where)
    sink = RecordingSink()
    answer_job.answer_request(request, settings=settings, sink=sink)
    with session_scope(settings) as session:
        row = interactions.find(session, request.request_id)
        result = interactions.stored_answer(row)
        recorded = json.dumps([row.context, row.retrieved, row.citations])
    return result.model_dump_json() + recorded + json.dumps(sink.texts), sink.texts


def test_the_channel_a_source_is_shared_with_sees_it(knowledge):
    seen, _ = ask(knowledge, asker="U0ANY", channel=HR_CHANNEL)
    assert SECRET in seen and "hr-pay" in seen


@pytest.mark.parametrize(
    "where",
    [
        {"asker": "U0ANY", "channel": OTHER_CHANNEL},
        {"asker": "U0ANY", "channel": "D0DM", "private": True},  # a DM
        {"asker": "U0ANY", "channel": HR_CHANNEL, "private": True},  # /ask typed in #hr
        {"asker": BOSS, "channel": OTHER_CHANNEL},  # grants never widen a channel's answer
        {},  # the CLI
    ],
    ids=["other-channel", "dm", "ask-in-the-channel", "granted-user-in-a-channel", "cli"],
)
def test_a_restricted_source_never_shows_outside_its_channel(knowledge, where):
    seen, streamed = ask(knowledge, **where)
    assert streamed  # the model did write, and nothing it wrote carried the secret
    for trace in (SECRET, "120k", "Salary bands", "hr-pay"):
        assert trace not in seen


def test_a_grant_lets_one_user_see_a_channels_sources_in_a_dm(knowledge):
    seen, _ = ask(knowledge, asker=BOSS, channel="D0DM", private=True)
    assert SECRET in seen


def test_a_liked_ask_answer_from_granted_sources_never_reaches_the_channel_it_was_typed_in(
    knowledge, embedder
):
    """A granted user's /ask in #general is answered from #hr's passages. Liked, by several
    people, even approved: after `faqbot dataset build` #general's search and answers, and the
    training data, hold nothing of it."""
    from bot import feedback as bot_feedback
    from faqbot.db import reviews
    from pipelines.curation.build import build_dataset
    from pipelines.curation.faq_entries import FEEDBACK_FAQ, sync_feedback_faq
    from workers.retrieval import retrieve

    asked = AnswerRequest(question=QUESTION, asker=BOSS, channel=OTHER_CHANNEL, private=True)
    parking = AnswerRequest(
        question="Where do visitors park?", asker="U0ANY", channel=OTHER_CHANNEL
    )
    for request in (asked, parking):
        answer_job.answer_request(request, settings=knowledge, sink=NullSink())
        for voter in (BOSS, "U0COLLEAGUE", "U0OTHER"):
            assert bot_feedback.on_button(knowledge, request.request_id, voter, 1)
    with session_scope(knowledge) as session:
        row = interactions.find(session, asked.request_id)
        assert SECRET in row.answer  # the echo answer carries what #hr's passage said
        reviews.mark(session, row.id, "approved", "cli:test")

    manifest = build_dataset(knowledge)
    sync_feedback_faq(knowledge, get_store(knowledge), embedder)

    hits = retrieve(
        QUESTION,
        settings=knowledge,
        store=get_store(knowledge),
        embedder=embedder,
        channel=OTHER_CHANNEL,
        k=10,
    )
    assert FEEDBACK_FAQ in {hit.chunk.source_id for hit in hits}  # the parking entry is there
    assert not [hit for hit in hits if SECRET in hit.chunk.text]
    seen, _ = ask(knowledge, asker="U0ANY", channel=OTHER_CHANNEL)
    for trace in (SECRET, "120k", "Salary bands", "hr-pay"):
        assert trace not in seen
    folder = knowledge.datasets_dir / manifest["version"]
    assert SECRET not in "".join(path.read_text() for path in folder.iterdir())
    assert manifest["by_rule"] == {"positive": 1, "restricted": 1}
    with session_scope(knowledge) as session:
        row = interactions.find(session, asked.request_id)
        assert (row.private, row.scope, row.visibility) == (
            True,
            ["public", HR_CHANNEL],
            [HR_CHANNEL],
        )
