"""Which sentences answer: the extractive answer and the model's evidence window, on passages
as the handbook's loaders produce them (wrapped lines, lists, tables)."""

from __future__ import annotations

from pathlib import Path

from workers.answering.evidence import gather_evidence, passage_sentences
from workers.answering.prompt import format_evidence, format_sources
from workers.answering.selection import evidence_window, extractive_answer, score_sentences
from workers.store.base import Chunk, Hit

VPN_TABLE = (
    Path(__file__).resolve().parents[3] / "sample_kb/docs/vpn-remote-access.md"
).read_text()
ERRORS = VPN_TABLE[VPN_TABLE.index("| Error |") :].split("\n\n")[0]
SICK_LEAVE = (
    "Record the absence in Orbit HR when you return. Company sick pay is full pay for up to 20\n"
    "working days in any rolling 12-month period. Sick days are not deducted from your annual\n"
    "leave, and holiday booked while you were ill can be recredited."
)
ANNUAL_LEAVE = (
    "Full-time employees get **27 days of annual leave** each holiday year, on top of the UK "
    "bank holidays (normally 8 days). Entitlement grows with length of service:\n\n"
    "- after 3 full years of service: 28 days\n- after 5 full years of service: 29 days\n\n"
    "Part-time employees receive a pro-rata entitlement based on their contracted hours."
)


def hit(text: str, section: str = "", n: int = 0, title: str = "Guide") -> Hit:
    chunk = Chunk(
        chunk_id=f"c{n}",
        source_id="kb",
        doc_key="doc.md",
        doc_hash="h",
        title=title,
        section=section,
        position=n,
        text=text,
        content_hash="x",
        visibility=["public"],
    )
    return Hit(chunk=chunk, score=1.0)


def answer(embedder, question: str, *texts: str) -> str:
    evidence = gather_evidence([hit(t, n=n) for n, t in enumerate(texts)], embedder)
    return extractive_answer(
        evidence, score_sentences(question, embedder.embed_query(question), evidence, embedder)
    )


def test_a_table_row_is_quoted_with_what_to_do_and_without_pipes(embedder):
    text = answer(embedder, "My VPN says error 809 at the hotel, what do I do?", ERRORS)
    assert "809" in text and "Switch to the NWH-Corporate-TLS profile" in text
    assert "|" not in text and "**" not in text and "NWH-AUTH-401" not in text
    assert text.endswith("[1].")


def test_the_sentence_with_the_asked_for_fact_wins_over_a_look_alike(embedder):
    text = answer(embedder, "How many days of annual leave do I get?", SICK_LEAVE, ANNUAL_LEAVE)
    assert "27 days of annual leave" in text and text.count("[2]") == 1
    assert "sick" not in text.lower()


def test_a_sentence_that_does_not_name_its_document_is_found_under_its_title(embedder):
    """Any licence says "this License"; only the passage's document title says which."""
    question = (
        "Does our code that just calls an Apache library's interfaces count as a derivative "
        "work of it?"
    )
    hits = [
        hit(
            'When a "work that uses the Library" uses material from a header file that is part '
            "of the Library, the object code for the work may be a derivative work of the "
            "Library even though the source code is not.",
            "5.",
            0,
            "GNU LESSER GENERAL PUBLIC LICENSE Version 2.1",
        ),
        hit(
            "For the purposes of this License, Derivative Works shall not include works that "
            "remain separable from, or merely link (or bind by name) to the interfaces of, the "
            "Work and Derivative Works thereof.",
            "1. Definitions.",
            1,
            "Apache License Version 2.0",
        ),
    ]
    evidence = gather_evidence(hits, embedder)
    text = extractive_answer(
        evidence, score_sentences(question, embedder.embed_query(question), evidence, embedder)
    )
    assert "merely link" in text and "[2]" in text and "header file" not in text


def test_a_heading_line_is_not_quoted_as_the_answer(embedder):
    text = answer(
        embedder,
        "Is there any kind of damage that the MPL's limitation of liability doesn't cover?",
        "6. Limitation of Liability\n\nUnder no circumstances shall any Contributor be "
        "liable to any person for any indirect, special, incidental, or consequential "
        "damages of any character. This limitation of liability shall not apply to "
        "liability for death or personal injury resulting from such party's negligence to "
        "the extent applicable law prohibits such limitation.",
    )
    assert "death or personal injury" in text
    assert not text.startswith("6. Limitation of Liability")


def test_lines_wrapped_by_the_source_file_are_one_sentence(embedder):
    text = answer(embedder, "How long is company sick pay paid?", SICK_LEAVE)
    assert "full pay for up to 20 working days in any rolling 12-month period" in text


def test_a_sentence_that_introduces_a_list_brings_the_list():
    units = passage_sentences("Bring these on your first day:\n\n- your passport\n- a bank card")
    assert [u.text for u in units] == [
        "Bring these on your first day:",
        "your passport",
        "a bank card",
    ]


def test_an_introduced_list_is_quoted_with_its_items(embedder):
    text = answer(
        embedder,
        "What do I bring on my first day?",
        "Bring these documents on your first day:\n\n- your passport or ID card\n"
        "- your bank details for payroll\n- your signed contract",
    )
    assert "passport" in text and "bank details" in text and "signed contract" in text


def test_the_evidence_window_is_the_answering_sentences_with_their_neighbours(embedder):
    question = "How many days of annual leave do I get?"
    hits = [hit(SICK_LEAVE, "Sickness", 0), hit(ANNUAL_LEAVE, "Annual leave", 1)]
    evidence = gather_evidence(hits, embedder)
    scored = score_sentences(question, embedder.embed_query(question), evidence, embedder)
    window = evidence_window(evidence, scored, words=30)
    shown = format_evidence(hits, evidence, window)
    assert "[2] Guide › Annual leave" in shown and "27 days of annual leave" in shown
    assert "after 3 full years of service: 28 days" in shown  # the neighbour of the best one
    assert len(shown) < len(format_sources(hits))
    assert all(line.startswith(("[", ">")) for line in shown.splitlines() if line)


def test_the_evidence_window_shows_a_table_row_as_one_clean_row(embedder):
    question = "What does VPN error 809 mean?"
    hits = [hit(ERRORS, "Common error messages")]
    evidence = gather_evidence(hits, embedder)
    scored = score_sentences(question, embedder.embed_query(question), evidence, embedder)
    window = evidence_window(evidence, scored, words=20)
    shown = format_evidence(hits, evidence, window)
    assert "VPN error 809 — What it means: The network you are on blocks" in shown
    assert "What to do: Switch to the NWH-Corporate-TLS profile" in shown
    assert "|" not in shown and shown.count("VPN error 809") == 1


def test_a_cited_passage_is_previewed_as_clean_text():
    from workers.answering.citations import snippet

    preview = snippet(ERRORS)
    assert preview.startswith("VPN error 809 — What it means: The network you are on blocks")
    assert "|" not in preview and "**" not in preview and len(preview) <= 200
