"""The words of a question that carry its meaning, shared by the relevance check and the
choice of sentences to quote."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "i",
        "we",
        "you",
        "my",
        "our",
        "your",
        "me",
        "to",
        "of",
        "in",
        "on",
        "for",
        "at",
        "by",
        "with",
        "and",
        "or",
        "how",
        "what",
        "when",
        "where",
        "who",
        "which",
        "why",
        "can",
        "could",
        "should",
        "would",
        "will",
        "be",
        "it",
        "this",
        "that",
        "there",
        "any",
        "from",
        "as",
        "about",
        "get",
        "have",
        "has",
        "if",
        "not",
        "no",
    ]
)
# Words a question is phrased with that no answer needs to repeat ("how long", "I'm allowed").
QUESTION_WORDS = STOPWORDS | frozenset(
    [
        "don",
        "won",
        "isn",
        "aren",
        "doesn",
        "didn",
        "been",
        "being",
        "let",
        "lets",
        "need",
        "want",
        "much",
        "many",
        "long",
        "often",
        "way",
        "please",
        "tell",
        "know",
        "allowed",
    ]
)
_WORD = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content_words(text: str, stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    """Lower-cased words that are not stopwords and are numbers or longer than two
    characters, in order."""
    return [w for w in words_of(text) if w not in stopwords and (len(w) > 2 or w.isdigit())]


def stem(word: str) -> str:
    """A crude plural and verb-ending fold, so "claims" matches "claim" and "booked" "book"."""
    for suffix in ("ies", "es", "s", "ed", "ing"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word
