"""Well-rated and corrected answers become FAQ entries in the knowledge base: the question with
its answer, one document each, as source `feedback-faq`. Retrieval then matches a question that
was asked before against the question itself, not only against the document that answered it
(on StackFAQ, indexing each answer with its question took dense nDCG@10 from 0.746 to 0.949).

An entry is visible only in the channel its question was asked in (faqbot cannot tell a public
channel from a private one without asking Slack), and only if everything its answer was built
from is visible there. Private answers (DMs, /ask) never become entries: /ask searches the
asker's grants, not the channel it was typed in."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

from faqbot.db.engine import session_scope
from faqbot.settings import Settings
from faqbot.visibility import asker_labels, visible_in
from pipelines.curation.candidates import (
    CORRECTED,
    POSITIVE,
    VERIFIED,
    Candidate,
    load_candidates,
)
from pipelines.curation.scrub import scrub
from pipelines.ingest.documents import LoadedDocument, Section
from pipelines.ingest.pipeline import IngestRun, PreparedDocument, index_documents

FEEDBACK_FAQ = "feedback-faq"
_MARKERS = re.compile(r"\s*\[\d+\]")


def faq_entry(question: str, answer: str) -> LoadedDocument:
    """Citation markers go: they number the sources of one prompt, not of this entry. Typed
    text is cleaned as documents are (no invisible characters, one-line title)."""
    text = f"Q: {question}\nA: {_MARKERS.sub('', answer).strip()}"
    return LoadedDocument(title=question, sections=[Section("", text)]).cleaned()


def sync_feedback_faq(
    settings: Settings, store, embedder, *, approved_only: bool | None = None
) -> dict:
    """Rebuilds the `feedback-faq` source from the current feedback; returns counts."""
    approved_only = settings.dataset_approved_only if approved_only is None else approved_only
    with session_scope(settings) as session:
        candidates = load_candidates(session)
    by_channel: dict[str, list[PreparedDocument]] = defaultdict(list)
    private = restricted = 0
    for candidate in candidates:
        rule = candidate.rule(approved_only=approved_only, min_voters=settings.feedback_min_voters)
        if rule not in (VERIFIED, POSITIVE, CORRECTED):
            continue
        if candidate.private or not candidate.channel or candidate.channel.startswith("D"):
            private += 1
            continue
        if not visible_in(candidate.visibility, asker_labels(candidate.channel)):
            restricted += 1
            continue
        by_channel[candidate.channel].append(_prepared(candidate, rule))
    store.delete_source(FEEDBACK_FAQ)
    report = IngestRun(FEEDBACK_FAQ)
    for channel, documents in sorted(by_channel.items()):
        index_documents(
            FEEDBACK_FAQ,
            documents,
            set(),
            visibility=[channel],
            settings=settings,
            store=store,
            embedder=embedder,
            report=report,
        )
    entries = sum(len(documents) for documents in by_channel.values())
    return {
        "entries": entries,
        "channels": len(by_channel),
        "skipped_private": private,
        "skipped_restricted": restricted,
    }


def _prepared(candidate: Candidate, rule: str) -> PreparedDocument:
    document = faq_entry(scrub(candidate.question), scrub(candidate.target(rule)))
    text = document.sections[0].text
    return PreparedDocument(
        f"i{candidate.interaction_id}", hashlib.sha256(text.encode()).hexdigest()[:16], document
    )
