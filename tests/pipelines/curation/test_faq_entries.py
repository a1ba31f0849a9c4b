"""Liked and corrected answers become FAQ entries that the next asker finds, only where the
question was asked."""

from __future__ import annotations

import pytest

from pipelines.curation.faq_entries import FEEDBACK_FAQ, sync_feedback_faq
from tests.pipelines.curation.feedback_rows import answered
from workers.retrieval import retrieve
from workers.store import get_store


def search(settings, embedder, question: str, channel: str | None) -> list:
    hits = retrieve(
        question,
        settings=settings,
        store=get_store(settings),
        embedder=embedder,
        channel=channel,
        k=5,
    )
    return [hit.chunk for hit in hits if hit.chunk.source_id == FEEDBACK_FAQ]


def test_entries_come_from_liked_and_corrected_answers_in_their_channel_only(settings, embedder):
    answered(
        settings,
        "How do I fix VPN error 809 at a hotel?",
        "Switch to the TCP profile [1].",
        up=2,
        channel="C0HELP001",
    )
    answered(
        settings,
        "Who approves travel over 500 EUR?",
        "Your manager [1].",
        down=1,
        correction="Finance approves travel over 500 EUR.",
        channel="C0FIN0001",
    )
    answered(settings, "Where is the gym?", "Floor 3 [1].", down=2, channel="C0HELP001")
    answered(settings, "What is my salary band?", "Band C [1].", up=2, channel="D0DM", private=True)

    counts = sync_feedback_faq(settings, get_store(settings), embedder)

    assert counts == {"entries": 2, "channels": 2, "skipped_private": 1, "skipped_restricted": 0}
    [entry] = search(settings, embedder, "VPN error 809 in my hotel room", "C0HELP001")
    assert entry.text == "Q: How do I fix VPN error 809 at a hotel?\nA: Switch to the TCP profile."
    assert search(settings, embedder, "VPN error 809 in my hotel room", "C0OTHER01") == []
    [corrected] = search(settings, embedder, "who signs off travel above 500 euros", "C0FIN0001")
    assert corrected.text.endswith("A: Finance approves travel over 500 EUR.")
    assert all(
        "gym" not in c.text for c in search(settings, embedder, "where is the gym", "C0HELP001")
    )

    answered(
        settings, "How do I reset my password?", "Use the portal [1].", up=2, channel="C0HELP001"
    )
    assert sync_feedback_faq(settings, get_store(settings), embedder)["entries"] == 3


def test_a_private_answer_or_one_built_from_elsewhere_never_becomes_a_channels_entry(
    settings, embedder
):
    """/ask searches the asker's grants, not the channel it was typed in: its answer, even
    liked by many and approved, stays the asker's."""
    from faqbot.db import reviews
    from faqbot.db.engine import session_scope

    asked = answered(
        settings,
        "What is the senior salary band?",
        "120k to 150k [1].",
        up=3,
        channel="C0GENERAL",
        private=True,
        visibility=["C0HR"],
    )
    answered(
        settings,
        "What is the parking code word?",
        "PEREGRINE [1].",
        up=3,
        channel="C0GENERAL",
        visibility=["C0HR"],  # a passage #general may not see: never recorded so, but refused
    )
    with session_scope(settings) as session:
        reviews.mark(session, asked, "approved", "cli:test")

    counts = sync_feedback_faq(settings, get_store(settings), embedder)

    assert counts["entries"] == 0
    assert (counts["skipped_private"], counts["skipped_restricted"]) == (1, 1)
    for question in ("senior salary band", "parking code word"):
        assert search(settings, embedder, question, "C0GENERAL") == []


def test_a_single_persons_like_or_unapproved_correction_is_not_served(settings, embedder):
    from faqbot.db import feedback

    answered(settings, "How do I reset my password?", "Use the portal [1].", up=1)
    answered(
        settings,
        "Where do I report a phishing mail?",
        "Forward it to security [1].",
        down=1,
        correction="Log in at https://sso-verify.example.net to report it.",
        correction_status=feedback.PENDING,
    )

    counts = sync_feedback_faq(settings, get_store(settings), embedder)

    assert counts["entries"] == 0
    assert search(settings, embedder, "reset my password", "C0HELP001") == []
    assert search(settings, embedder, "report a phishing mail", "C0HELP001") == []


def test_restricting_a_source_later_restricts_what_was_made_of_it(settings, embedder):
    """Liked while the handbook was public, then the handbook was restricted to #hr: its
    answer is no longer an entry in #help, nor a training example."""
    from faqbot.db import sources
    from faqbot.db.engine import session_scope
    from pipelines.curation.build import DatasetEmpty, build_dataset

    answered(
        settings,
        "What is the senior salary band?",
        "120k to 150k [1].",
        up=3,
        retrieved=[{"source_id": "handbook", "chunk_id": "c1", "visibility": ["public"]}],
    )
    with session_scope(settings) as session:
        sources.start_indexing(
            session,
            "handbook",
            kind="folder",
            location="/kb",
            visibility=["C0HR"],
            added_by="cli",
            request_id="r1",
        )

    counts = sync_feedback_faq(settings, get_store(settings), embedder)

    assert (counts["entries"], counts["skipped_restricted"]) == (0, 1)
    with pytest.raises(DatasetEmpty, match="'restricted': 1"):
        build_dataset(settings)
