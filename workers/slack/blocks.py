"""Block Kit for what the workers post: the cited answer with vote buttons, ingestion progress
and reports, apologies. Everything from documents or the model is escaped; Slack's limits
(3000 characters a section, 50 blocks a message) are kept by splitting."""

from __future__ import annotations

import re

from faqbot.contracts import Answer, Citation, IngestReport, RemovalReport, Verification
from faqbot.slack import (
    ESCALATE,
    FEEDBACK,
    VERIFIED_CONFIRM,
    VERIFIED_EDIT,
    VERIFIED_RETIRE,
    escape,
    mention,
)

SECTION_CHARS = 3000
STREAM_CHARS = 12_000  # chat.startStream / appendStream: markdown_text per call
MESSAGE_BLOCKS = 50
BAR_CELLS = 20


def section(mrkdwn: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def context(mrkdwn: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def split_text(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or word where possible
    and never inside an escape like &amp;."""
    pieces = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
            entity = window.rfind("&", limit - 5)
            if entity != -1 and ";" not in window[entity:]:
                cut = entity
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


def split_messages(blocks: list[dict], limit: int = MESSAGE_BLOCKS) -> list[list[dict]]:
    return [blocks[i : i + limit] for i in range(0, len(blocks), limit)] or [[]]


def link(url: str | None, label: str) -> str:
    """<url|label> for a web page; the bare label for a file (no URL to open)."""
    if not url or not re.match(r"https?://", url):
        return f"*{label}*"
    safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")
    return f"<{safe_url}|{label}>"


def citation_block(cited: Citation) -> dict:
    label = escape(f"[{cited.n}] {cited.title or cited.document}")
    quote = escape(cited.snippet).replace("\n", " ")
    return section(f"{link(cited.url, label)}\n>{quote}"[:SECTION_CHARS])


def footer(answer: Answer, reference: str) -> str:
    adapter = f"adapter `{escape(answer.adapter)}`" if answer.adapter else "no adapter"
    mode = {
        "extractive": " · quoted from the sources",
        "refused": " · not in the knowledge base",
        "verified": " · a verified answer",
    }
    return (
        f"Answered by `{escape(answer.model or '?')}` with {adapter}"
        f"{mode.get(answer.mode, '')} · ref `{reference}`"
    )


def answer_buttons(request_id: str) -> list[dict]:
    """Slack's own 👍 / 👎 (feedback buttons: a vote; 👎 also asks for the right answer), and
    "Still need help?" (the question goes to the channel's experts)."""

    def vote(direction: str, label: str, emoji: str) -> dict:
        return {
            "text": {"type": "plain_text", "text": emoji},
            "accessibility_label": label,
            "value": f"{direction} {request_id}",
        }

    feedback = {
        "type": "feedback_buttons",
        "action_id": FEEDBACK,
        "positive_button": vote("up", "This answer helped", "👍"),
        "negative_button": vote("down", "This answer did not help", "👎"),
    }
    escalate = {
        "type": "button",
        "action_id": ESCALATE,
        "value": request_id,
        "text": {"type": "plain_text", "text": "🙋 Still need help?", "emoji": True},
    }
    return [
        {"type": "context_actions", "block_id": f"votes:{request_id[:40]}", "elements": [feedback]},
        {"type": "actions", "block_id": f"help:{request_id[:40]}", "elements": [escalate]},
    ]


def verification_text(verification: Verification) -> str:
    text = f":white_check_mark: Verified by {mention(verification.verifier)} on {verification.verified_on}"
    if verification.out_of_date:
        text += " · may be out of date: due for review"
    return text


def answer_blocks(answer: Answer, request_id: str) -> list[dict]:
    return answer_body_blocks(answer) + answer_tail_blocks(answer, request_id)


def answer_body_blocks(answer: Answer) -> list[dict]:
    """The answer itself (what a native stream writes as text): a markdown block where it
    holds a list or a table, which mrkdwn sections cannot draw; sections otherwise, and
    whenever it is longer than one markdown block may be."""
    text = escape(answer.answer)
    if wants_markdown(answer.answer) and len(text) <= STREAM_CHARS:
        blocks = [{"type": "markdown", "text": text}]
    else:
        blocks = [section(piece) for piece in split_text(text)]
    if answer.verification:
        blocks.insert(0, context(verification_text(answer.verification)))
    return blocks


def answer_tail_blocks(answer: Answer, request_id: str) -> list[dict]:
    """Everything under the answer: its sources, the footer, the feedback and help buttons
    (what a native stream's stop call attaches)."""
    blocks = []
    cited = answer.citations or answer.related
    if cited:
        heading = "*Sources*" if answer.citations else "*Related documents*"
        blocks += [{"type": "divider"}, section(heading)]
        blocks += [citation_block(c) for c in cited]
    return [*blocks, context(footer(answer, request_id[:8])), *answer_buttons(request_id)]


def streamed_markdown(answer: Answer) -> str:
    """The answer as a native stream writes it, escaped as blocks are (text from documents
    and the model must not ping or link), the verified badge first."""
    text = stream_text(answer.answer)
    if answer.verification:
        text = f"{verification_text(answer.verification)}\n\n{text}"
    return text[:STREAM_CHARS]


_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+\S", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$", re.MULTILINE)


def wants_markdown(text: str) -> bool:
    """A list (two items or more) or a Markdown table."""
    return len(_LIST_ITEM.findall(text)) >= 2 or bool(_TABLE_RULE.search(text))


def stream_text(text: str) -> str:
    return escape(text)[:STREAM_CHARS]


STATUS_TEXT = {
    "searching": "Searching the knowledge base…",
    "reading": "Reading {n} sources…",
    "writing": "Writing…",
}


def status_text(state: str, sources: int = 0) -> str:
    if state == "reading" and sources == 1:
        return "Reading 1 source…"
    return STATUS_TEXT.get(state, "Working on it…").format(n=sources)


def streaming_blocks(partial: str) -> list[dict]:
    text = split_text(escape(partial))[-1] if partial else "…"
    return [section(text + " ▍"), context("Writing… the sources are checked before it is final.")]


def progress_text(phase: str, done: int, total: int) -> str:
    filled = round(BAR_CELLS * done / total) if total else 0
    bar = "▓" * filled + "░" * (BAR_CELLS - filled)
    return f":hourglass_flowing_sand: {escape(phase)} {bar} {done}/{total}"


def report_text(report: IngestReport | RemovalReport) -> str:
    """An ingestion or removal report as the admin reads it in their DM."""
    source = escape(report.source_id)
    if isinstance(report, RemovalReport):
        return f":wastebasket: Removed source `{source}` ({report.removed_chunks} chunks)."
    errors = report.errors
    mark = ":white_check_mark:" if report.chunks or not errors else ":x:"
    skipped = f", {report.skipped} left out as restricted" if report.skipped else ""
    text = (
        f"{mark} Source `{source}`: {report.files} files read, "
        f"{report.chunks} chunks indexed ({report.changed} documents new or changed), "
        f"{report.unchanged} unchanged, {report.removed} removed{skipped} in {report.seconds} s."
    )
    if report.repeated:
        text += " (This request had already run; this is its report.)"
    for error in errors[:5]:
        text += f"\n• {escape(error)}"
    if len(errors) > 5:
        text += f"\n• … and {len(errors) - 5} more"
    return text


def reminder_text(experts: list[str], asker: str, fallback: str) -> str:
    who = " ".join(mention(e) for e in experts) or escape(fallback)
    return f":bell: {who}: <@{asker}> is still waiting for help with the question above."


def review_request(answer_id: int, question: str, answer: str, verified_on: str) -> dict:
    """The DM that asks a verifier whether a verified answer past its review date still holds."""
    text = (
        f":calendar: Verified answer #{answer_id}, which you verified on {verified_on}, is due "
        f"for review. Until you confirm it, it is shown as possibly out of date.\n"
        f"*Question:* {escape(question[:300])}\n*Answer:* {escape(answer[:1500])}"
    )

    def button(action_id: str, label: str) -> dict:
        return {
            "type": "button",
            "action_id": action_id,
            "value": str(answer_id),
            "text": {"type": "plain_text", "text": label},
        }

    buttons = [
        button(VERIFIED_CONFIRM, "Still right"),
        button(VERIFIED_EDIT, "Edit"),
        button(VERIFIED_RETIRE, "Retire it"),
    ]
    return {
        "text": text,
        "blocks": [section(text[:SECTION_CHARS]), {"type": "actions", "elements": buttons}],
    }
