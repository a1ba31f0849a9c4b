"""Personal data and secrets out of training text, by pattern, before anything is written. Each
match becomes a placeholder naming what was there ("[EMAIL]"), so the model learns the shape of
an answer without anyone's address in it; the counts go in the dataset's manifest."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

_SECRET_NAMES = r"password|passwd|pwd|passcode|secret|api[_-]?key|access[_-]?key|token"

_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
)
_API_TOKEN = re.compile(
    r"\b(?:xox[abposr]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{20,}|sk-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35})"
)
_JWT = re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{16,}=*")
_ASSIGNED_SECRET = re.compile(rf"(?i)\b({_SECRET_NAMES})(\s*(?:[:=]|\bis\b)\s*)([^\s,;]{{4,}})")
_EMAIL = re.compile(r"\b[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")

# (kind, pattern, replacement); order matters: secrets before the patterns they contain.
_PATTERNS: list[tuple[str, re.Pattern, str | Callable[[re.Match], str]]] = [
    ("private_key", _PRIVATE_KEY, "[SECRET]"),
    ("token", _API_TOKEN, "[SECRET]"),
    ("token", _JWT, "[SECRET]"),
    ("token", _BEARER, "Bearer [SECRET]"),
    ("secret", _ASSIGNED_SECRET, lambda m: f"{m[1]}{m[2]}[SECRET]"),
    ("email", _EMAIL, "[EMAIL]"),
    ("slack_user", re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>"), "[USER]"),
    ("slack_channel", re.compile(r"<#C[A-Z0-9]+(?:\|[^>]*)?>"), "[CHANNEL]"),
    ("slack_group", re.compile(r"<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>"), "[GROUP]"),
    ("slack_broadcast", re.compile(r"<!(?:channel|here|everyone)(?:\|[^>]*)?>"), "[BROADCAST]"),
]
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_PHONE = re.compile(
    r"(?<![\w.+-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,4}(?![\w-])"
    r"|(?<![\w.-])\+\d{9,15}(?![\w-])"
)
MIN_PHONE_DIGITS = 9


def scrub(text: str, counts: Counter | None = None) -> str:
    """`text` without personal data; what was replaced is added to `counts` by kind."""
    counts = counts if counts is not None else Counter()
    for kind, pattern, replacement in _PATTERNS:
        text, n = pattern.subn(replacement, text)
        counts[kind] += n
    text = _CARD.sub(lambda m: _replace_if(m, _is_card(m[0]), "card", "[CARD]", counts), text)
    return _PHONE.sub(lambda m: _replace_if(m, _digits(m[0]) >= MIN_PHONE_DIGITS, "phone",
                                            "[PHONE]", counts), text)  # fmt: skip


def _replace_if(match: re.Match, condition: bool, kind: str, placeholder: str,
                counts: Counter) -> str:  # fmt: skip
    if not condition:
        return match[0]
    counts[kind] += 1
    return placeholder


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _is_card(text: str) -> bool:
    """A payment card number passes the Luhn check (an order number usually does not)."""
    digits = [int(ch) for ch in text if ch.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
