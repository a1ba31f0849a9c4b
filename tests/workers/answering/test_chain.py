"""The answer chain's rules, with LangChain's fake chat models and the real store and embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from pydantic import Field

from pipelines.ingest.pipeline import ingest
from workers.answering.chain import answer_question, build_answer_chain
from workers.answering.citations import cited_numbers, drop_invalid_markers, sanitise
from workers.answering.prompt import format_sources
from workers.store.base import PUBLIC
from workers.store.lance import LanceKnowledgeStore

SAMPLE = Path(__file__).resolve().parents[3] / "sample_kb" / "docs"
VPN_ANSWER = (
    "The network you are on blocks the UDP ports the default profile uses [1]. "
    "Switch to the NWH-Corporate-TLS profile, which tunnels over TCP port 443 [1]."
)


class RecordingModel(FakeListChatModel):
    """A fake chat model that remembers the prompts it was given."""

    prompts: list = Field(default_factory=list)

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        self.prompts.append(messages)
        return super()._stream(messages, stop, run_manager, **kwargs)


@pytest.fixture(scope="module")
def handbook(tmp_path_factory, embedder):
    from faqbot.settings import Settings

    root = tmp_path_factory.mktemp("kb")
    for name in ("vpn-remote-access.md", "holidays-pto.md", "payroll-faq.pdf"):
        shutil.copy(SAMPLE / name, root / name)
    settings = Settings(_env_file=None, data_dir=root / "data")
    store = LanceKnowledgeStore(settings.lancedb_dir)
    ingest(
        str(root),
        settings=settings,
        store=store,
        embedder=embedder,
        source_id="kb",
        visibility=[PUBLIC],
    )
    return settings, store


def ask(handbook, embedder, responses, question, **kwargs):
    settings, store = handbook
    model = RecordingModel(responses=responses, prompts=[])
    chain = build_answer_chain(settings=settings, store=store, embedder=embedder, chat_model=model)
    return answer_question(chain, question, **kwargs), model


def test_a_cited_answer_keeps_its_citations_and_names_the_passages(handbook, embedder):
    answer, model = ask(handbook, embedder, [VPN_ANSWER], "What does VPN error 809 mean?")
    assert (answer.refused, answer.mode) == (False, "generated")
    assert [c.n for c in answer.citations] == [1]
    cited = answer.citations[0]
    assert cited.source_id == "kb" and cited.title == "VPN and Remote Access Guide"
    assert "809" in cited.snippet and cited.chunk_id
    assert answer.timings_ms["total"] >= answer.timings_ms["retrieve"] > 0
    sources = model.prompts[0][1].content
    assert sources.startswith("Sources:\n[1] VPN and Remote Access Guide") and "[2] " in sources


def test_the_prompt_numbers_passages_in_rank_order_as_quotations(handbook, embedder):
    settings, store = handbook
    from workers.retrieval import retrieve

    hits = retrieve("annual leave", settings=settings, store=store, embedder=embedder, k=3)
    text = format_sources(hits)
    for n, hit in enumerate(hits, 1):
        assert f"[{n}] {hit.chunk.title}" in text
    assert all(line.startswith(("[", "> ")) for line in text.splitlines() if line)


def test_an_off_topic_question_is_refused_without_calling_the_model(handbook, embedder):
    answer, model = ask(handbook, embedder, ["should never be used"], "Who won the World Cup?")
    assert answer.refused and answer.mode == "refused" and answer.citations == []
    assert "knowledge base doesn't cover this" in answer.answer
    assert "#it-helpdesk" in answer.answer
    assert model.prompts == []


def test_citations_of_sources_never_given_are_dropped(handbook, embedder):
    reply = VPN_ANSWER.replace("[1]. Switch", "[9]. Switch")
    answer, _ = ask(handbook, embedder, [reply], "What does VPN error 809 mean?")
    assert "[9]" not in answer.answer
    assert {c.n for c in answer.citations} <= {1, 2, 3, 4}


def test_unsupported_text_is_dropped_and_the_passages_are_quoted(handbook, embedder):
    invented = "The VPN is run by the Moon Base team. Call them on 555-0000 at any hour."
    answer, _ = ask(handbook, embedder, [invented], "What does VPN error 809 mean?")
    assert answer.mode == "extractive"
    assert "Moon Base" not in answer.answer
    assert "809" in answer.answer and answer.citations
    assert answer.dropped == ["The VPN is run by the Moon Base team."]  # generation stopped


def test_a_backed_sentence_stays_and_the_unbacked_one_is_recorded(handbook, embedder):
    reply = VPN_ANSWER + " Call the Moon Base team on 555-0000."
    answer, _ = ask(handbook, embedder, [reply], "What does VPN error 809 mean?")
    assert answer.mode == "generated" and "NWH-Corporate-TLS" in answer.answer
    assert answer.dropped == ["Call the Moon Base team on 555-0000."]


def test_no_mention_can_reach_slack(handbook, embedder):
    reply = "<!channel> @here <@U024BE7LH> " + VPN_ANSWER + " <!everyone> ping @channel"
    streamed: list[str] = []
    answer, _ = ask(
        handbook, embedder, [reply], "What does VPN error 809 mean?", on_text=streamed.append
    )
    for text in [answer.answer, *streamed]:
        assert not any(m in text for m in ("<!", "<@", "@here", "@channel", "@everyone"))
    assert len(streamed) > 3 and streamed[-1].startswith("here")


def test_the_json_shape_is_the_documented_one(handbook, embedder):
    answer, _ = ask(handbook, embedder, [VPN_ANSWER], "What does VPN error 809 mean?")
    data = answer.model_dump(mode="json")
    assert {"question", "answer", "citations", "refused", "model", "adapter", "timings_ms"} <= set(
        data
    )
    assert set(data["citations"][0]) == {
        "n",
        "source_id",
        "title",
        "url",
        "chunk_id",
        "snippet",
        "document",
    }
    assert set(data["timings_ms"]) == {"retrieve", "generate", "first_text", "total"}
    assert data["model"] == "RecordingModel" and data["adapter"] is None


@pytest.mark.parametrize(
    ("text", "numbers", "cleaned"),
    [
        ("A [1]. B [2, 3].", [1, 2, 3], "A [1]. B [2, 3]."),
        ("A [7]. B [2, 9].", [2], "A. B [2]."),
        ("No citation.", [], "No citation."),
    ],
)
def test_citation_markers(text, numbers, cleaned):
    assert drop_invalid_markers(text, 4) == cleaned
    assert cited_numbers(drop_invalid_markers(text, 4)) == numbers


def test_sanitise_keeps_words_and_removes_pings():
    assert sanitise("Hi <!here|here> team, ask @here or <@U1> in <#C1|general>.") == (
        "Hi team, ask here or in ."
    )


@pytest.mark.parametrize(
    "link, shown",
    [
        (
            "<https://evil.example/login|the VPN portal>",
            "the VPN portal (https://evil.example/login)",
        ),
        ("<tel:+19005550100|IT desk>", "IT desk (tel:+19005550100)"),
        (
            "<slack://app?team=T1&id=A1|Open the helpdesk>",
            "Open the helpdesk (slack://app?team=T1&id=A1)",
        ),
        ("<mailto:help@evil.example|IT>", "IT (mailto:help@evil.example)"),
    ],
)
def test_no_link_of_any_scheme_hides_where_it_goes(link, shown):
    assert sanitise(f"Call {link} now.") == f"Call {shown} now."
