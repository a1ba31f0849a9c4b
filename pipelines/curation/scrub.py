"""Personal data and secrets out of training text, by pattern, before anything is written. Each
match becomes a placeholder naming what was there ("[EMAIL]"), so the model learns the shape of
an answer without anyone's address in it; the counts go in the dataset's manifest.

Every pattern is linear in the text: each repetition is bounded or ends at a character the
next part cannot start with, and patterns that scan a run start only where that run begins."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

_SECRET_NAMES = (
    r"password|passwd|pwd|passcode|secret[_-]?key|secret|api[_-]?key|access[_-]?key|token"
)

# The body stops at the first run of five dashes, so a BEGIN with no END scans only to the next.
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----(?:[^-]|-(?!----))*"
    r"-----END [A-Z ]{0,40}PRIVATE KEY-----"
)
_API_TOKEN = re.compile(
    r"\b(?:xox[abposr]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{20,}|sk-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}"
    r"|gl(?:pat|ptt|dt|rt|cbt|ft|soat|imt)-[\w-]{20,}(?:\.[0-9a-z]{2}\.[\w-]+)?)"
)
# header.payload.signature, each base64url; the signature is empty for alg "none".
_JWT = re.compile(r"(?<![\w-])eyJ[\w-]{10,}\.[\w-]{2,}\.[\w-]*")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{16,}=*")
# scheme://user:password@host: the scheme and host stay, so the text still says what it was.
_URL_CREDENTIALS = re.compile(
    r"(?i)(?<![\w+.-])([a-z][a-z0-9+.-]{0,30}://)[^\s/?#@:<>|]*:[^\s/?#<>|]+@"
)
# The name may end a longer one (aws_secret_access_key, id_token), quoted as in JSON or YAML; a
# quoted value may hold spaces. A placeholder an earlier pattern left is not matched again.
_ASSIGNED_SECRET = re.compile(
    rf"(?i)(?<![A-Za-z0-9])({_SECRET_NAMES})([\"']?\s*(?:[:=]|\bis\b)\s*)(?!\[[A-Z_]{{2,20}}\])"
    r"(\"[^\"\n]{4,200}\"|'[^'\n]{4,200}'|[^\s,;]{4,})"
)
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# Two letters, two check digits, 11-30 letters or digits; printed in groups of four or not.
_IBAN = re.compile(
    r"(?i)(?<![\w-])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)"
    r"(?![\w-])"
)
# UK National Insurance number: the letters HMRC never issues as a prefix are left out.
_NI_NUMBER = re.compile(
    r"(?<![\w-])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w-])"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?:\s{{1,3}}of)?\s{{1,3}}{_MONTH},?\s{{1,3}}\d{{4}}"
    rf"|{_MONTH}\s{{1,3}}\d{{1,2}}(?:st|nd|rd|th)?,?\s{{1,3}}\d{{4}})(?!\d)"
)
_LABEL_SEPARATOR = r"((?:\s{0,3}(?:[:=#(-]|\bis\b|\bwas\b))?\s{0,3})"
# A date only where it is labelled as someone's birth date: dates in policies stay.
_DATE_OF_BIRTH = re.compile(
    r"(?i)(?<![\w-])(date[\s_-]{1,3}of[\s_-]{1,3}birth|birth[\s_-]{0,3}date|dob|d\.o\.b\.?"
    rf"|born(?:\s{{1,3}}on)?){_LABEL_SEPARATOR}({_DATE})"
)
# A passport number only after the word: 6-10 letters and digits, at least one a digit.
_PASSPORT = re.compile(
    r"(?i)(?<![\w-])(passport(?:\s{1,3}(?:number|num|nr|no)\b\.?|\s{0,3}#)?)"
    rf"{_LABEL_SEPARATOR}(?=[A-Z0-9]{{0,9}}\d)[A-Z0-9]{{6,10}}(?![\w-])"
)
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_PHONE = re.compile(
    r"(?<![\w.+-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,4}(?![\w-])"
    r"|(?<![\w.+-])\+\d{9,15}(?![\w-])"
)
MIN_PHONE_DIGITS = 9
# Digits right after these are a ticket, order or build number, not a phone number.
_REFERENCE_LABEL = re.compile(
    r"(?i)(?:\b(?:ticket|incident|order|invoice|request|ref|reference|tracking|po|build)"
    r"(?:\s{1,3}(?:number|no\.?|nr\.?|id))?\s{0,3}[:#]?|#)\s{0,3}$"
)
_REFERENCE_WINDOW = 40  # characters before a number searched for a reference label

# The countries of the SWIFT IBAN registry.
_IBAN_COUNTRY_CODES = (
    "AD AE AL AT AZ BA BE BG BH BI BR BY CH CR CY CZ DE DJ DK DO EE EG ES FI FK FO FR GB GE GI "
    "GL GR GT HN HR HU IE IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MN MR MT MU NI "
    "NL NO OM PK PL PS PT QA RO RS RU SA SC SD SE SI SK SM SO ST SV TL TN TR UA VA VG XK YE"
)
IBAN_COUNTRIES = frozenset(_IBAN_COUNTRY_CODES.split())


def _placeholder(text: str) -> Callable[[re.Match], str]:
    return lambda _match: text


def _keep_label(text: str) -> Callable[[re.Match], str]:
    """Keeps the label and separator (groups 1 and 2) and replaces what follows them."""
    return lambda match: f"{match[1]}{match[2]}{text}"


def _assigned_secret(match: re.Match) -> str:
    """The name and separator stay, and so do the quotes around a quoted value."""
    value = match[3]
    quote = value[0] if value[0] in "\"'" and value.endswith(value[0]) else ""
    return f"{match[1]}{match[2]}{quote}[SECRET]{quote}"


def _iban(match: re.Match) -> str | None:
    """The longest run of the match's groups that passes the IBAN checksum, replaced; a word
    after a spaced IBAN that looked like one more group stays."""
    groups = match[0].split(" ")
    for end in range(len(groups), 0, -1):
        if _is_iban("".join(groups[:end])):
            return " ".join(["[IBAN]", *groups[end:]])
    return None


def _card(match: re.Match) -> str | None:
    return "[CARD]" if _is_card(match[0]) else None


def _phone(match: re.Match) -> str | None:
    if _digits(match[0]) < MIN_PHONE_DIGITS:
        return None
    before = match.string[max(0, match.start() - _REFERENCE_WINDOW) : match.start()]
    return None if _REFERENCE_LABEL.search(before) else "[PHONE]"


# (kind, pattern, replacement: None keeps the match); order matters: secrets before the
# patterns they contain, IBANs and labelled numbers before the card and phone patterns.
_RULES: list[tuple[str, re.Pattern, Callable[[re.Match], str | None]]] = [
    ("private_key", _PRIVATE_KEY, _placeholder("[SECRET]")),
    ("token", _API_TOKEN, _placeholder("[SECRET]")),
    ("token", _JWT, _placeholder("[SECRET]")),
    ("token", _BEARER, _placeholder("Bearer [SECRET]")),
    ("url_credentials", _URL_CREDENTIALS, lambda m: f"{m[1]}[CREDENTIALS]@"),
    ("secret", _ASSIGNED_SECRET, _assigned_secret),
    ("email", _EMAIL, _placeholder("[EMAIL]")),
    ("slack_user", re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>"), _placeholder("[USER]")),
    ("slack_channel", re.compile(r"<#C[A-Z0-9]+(?:\|[^>]*)?>"), _placeholder("[CHANNEL]")),
    ("slack_group", re.compile(r"<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>"), _placeholder("[GROUP]")),
    (
        "slack_broadcast",
        re.compile(r"<!(?:channel|here|everyone)(?:\|[^>]*)?>"),
        _placeholder("[BROADCAST]"),
    ),
    ("iban", _IBAN, _iban),
    ("ni_number", _NI_NUMBER, _placeholder("[NI_NUMBER]")),
    ("date_of_birth", _DATE_OF_BIRTH, _keep_label("[DATE_OF_BIRTH]")),
    ("passport", _PASSPORT, _keep_label("[PASSPORT]")),
    ("card", _CARD, _card),
    ("phone", _PHONE, _phone),
]


def scrub(text: str, counts: Counter | None = None) -> str:
    """`text` without personal data; what was replaced is added to `counts` by kind."""
    counts = counts if counts is not None else Counter()
    for kind, pattern, replacement in _RULES:
        text = pattern.sub(_counted(kind, replacement, counts), text)
    return text


def _counted(kind: str, replacement: Callable[[re.Match], str | None], counts: Counter):
    def replace(match: re.Match) -> str:
        replaced = replacement(match)
        if replaced is None:
            return match[0]
        counts[kind] += 1
        return replaced

    return replace


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _is_iban(text: str) -> bool:
    """ISO 13616: a known country, 15-34 characters, and mod 97 of the rearranged number is 1."""
    text = text.upper()
    if text[:2] not in IBAN_COUNTRIES or not 15 <= len(text) <= 34:
        return False
    rearranged = text[4:] + text[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


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
