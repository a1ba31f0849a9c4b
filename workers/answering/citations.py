"""What the model wrote, made safe to post: valid citations only, no Slack pings."""

from __future__ import annotations

import re

from faqbot.contracts import Citation
from workers.answering.evidence import passage_sentences, quote
from workers.store.base import Hit

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# Broadcasts and user, group or channel mentions in Slack markup, and their plain-text forms.
_SLACK_MENTION = re.compile(r"<[!@#][^>\s]*>")
# While streaming, a mention may be cut off mid-way ("<!chan"): hold it back until complete.
_UNFINISHED = re.compile(r"(<[!@#][^>\s]*|@\w*)$")
# <https://evil.example|the VPN portal>, <tel:+1900…|IT desk>, <slack://…|…>: a link of any
# scheme whose label hides where it goes.
_LABELLED_LINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]*:[^|>\s]*)\|([^>]*)>")
_PLAIN_BROADCAST = re.compile(r"(?<![\w@])@(channel|here|everyone)\b", re.IGNORECASE)
SNIPPET_CHARS = 200


def sanitise(text: str) -> str:
    """Documents (or the model) may contain <!channel> or <@U123>: never let them ping, and
    never let a link's label hide its address."""
    text = _LABELLED_LINK.sub(r"\2 (\1)", text)
    text = _UNFINISHED.sub("", _SLACK_MENTION.sub("", text))
    text = _PLAIN_BROADCAST.sub(r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def cited_numbers(text: str) -> list[int]:
    """Every [n] or [n, m] marker, in order of first appearance."""
    numbers: list[int] = []
    for match in _MARKER.finditer(text):
        for part in match.group(1).split(","):
            if int(part) not in numbers:
                numbers.append(int(part))
    return numbers


def drop_invalid_markers(text: str, provided: int) -> str:
    """Removes citations of sources that were never given to the model ([7] of 5)."""

    def keep_valid(match: re.Match) -> str:
        valid = [p.strip() for p in match.group(1).split(",") if 1 <= int(p) <= provided]
        return f"[{', '.join(valid)}]" if valid else ""

    return re.sub(r"\s+([.,;:!?])", r"\1", _MARKER.sub(keep_valid, text)).strip()


def citation(n: int, hit: Hit) -> Citation:
    c = hit.chunk
    return Citation(
        n=n,
        source_id=c.source_id,
        title=c.title,
        url=c.url,
        chunk_id=c.chunk_id,
        snippet=snippet(c.text),
        document=c.doc_key,
    )


def snippet(text: str) -> str:
    """The passage's opening as a reader sees it: tables as "key — Column: text", no Markdown
    marks, cut at a word near SNIPPET_CHARS."""
    readable = quote(passage_sentences(text)) or text
    flat = sanitise(" ".join(readable.split()))
    if len(flat) <= SNIPPET_CHARS:
        return flat
    return flat[: SNIPPET_CHARS - 1].rsplit(" ", 1)[0] + "…"
