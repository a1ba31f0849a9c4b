"""The text after /faq-admin, parsed into a subcommand and checked arguments. Slack sends
channels as <#C123|name> and links as <https://…> when the command escapes them (the manifest
sets should_escape)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from faqbot.visibility import CHANNEL_ID, PUBLIC

SUBCOMMANDS = (
    "add",
    "list",
    "status",
    "remove",
    "reindex",
    "visibility",
    "corrections",
    "review",
    "experts",
    "escalations",
    "help",
)
# A channel as Slack sends a mention (<#C0123|name>), or a bare ID: long enough (7+) that a
# word such as "CGI" is not taken for one. What an ID is: faqbot.visibility.CHANNEL_ID.
_CHANNEL = re.compile(rf"^<#({CHANNEL_ID.pattern})(?:\|[^>]*)?>$|^({CHANNEL_ID.pattern})$")
_BARE_ID_LENGTH = 7
# A user (<@U0123>, <@W0123> on Enterprise Grid) or a user group (<!subteam^S0123>), as Slack
# escapes a mention; the label after "|" is ignored.
_PERSON = re.compile(
    r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$|^<!subteam\^(S[A-Z0-9]{2,})(?:\|[^>]*)?>$"
)
_SOURCE_ID = re.compile(r"^[A-Za-z0-9][\w.\-]{0,99}$")


class AdminInputError(ValueError):
    """A one-line reason the command was not run; nothing was changed."""


@dataclass
class AdminCommand:
    name: str
    args: list[str]


def parse(text: str) -> AdminCommand:
    words = (text or "").split()
    if not words:
        return AdminCommand("help", [])
    name = words[0].lower()
    if name not in SUBCOMMANDS:
        raise AdminInputError(
            f"`{words[0]}` is not a /faq-admin command; try "
            f"{', '.join(f'`{s}`' for s in SUBCOMMANDS)}"
        )
    return AdminCommand(name, words[1:])


def url_arg(word: str) -> str:
    """<https://x|label> or <https://x> or https://x → https://x; only http(s) is accepted."""
    url = word[1:-1].split("|", 1)[0] if word.startswith("<") and word.endswith(">") else word
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise AdminInputError(f"`{url}`: only http and https URLs can be added")
    return url


def visibility_args(words: list[str]) -> list[str]:
    """`public`, nothing (public), or #channel mentions → channel IDs."""
    if not words or [w.lower() for w in words] == [PUBLIC]:
        return [PUBLIC]
    return sorted({channel_arg(word, "or write `public`") for word in words})


def channel_arg(word: str, otherwise: str = "") -> str:
    """<#C0123|name> or a bare channel ID → the ID."""
    match = _CHANNEL.match(word)
    if not match or (match.group(2) and len(word) < _BARE_ID_LENGTH):
        hint = f", {otherwise}" if otherwise else ""
        raise AdminInputError(
            f"`{word}` is not a channel: pick channels with # so Slack sends their IDs{hint}"
        )
    return match.group(1) or match.group(2)


def people_args(words: list[str]) -> list[str]:
    """@user and @user-group mentions (<@U0123|name>, <!subteam^S0123|@name>) → their IDs."""
    people = []
    for word in words:
        match = _PERSON.match(word)
        if not match:
            raise AdminInputError(
                f"`{word}` is not a person or user group: pick them with @ so Slack sends their IDs"
            )
        people.append(match.group(1) or match.group(2))
    return sorted(set(people))


def source_id_arg(args: list[str], command: str) -> str:
    if not args:
        raise AdminInputError(
            f"`{command}` needs a source id: `/faq-admin {command} <id>` "
            "(`/faq-admin list` shows them)"
        )
    if not _SOURCE_ID.match(args[0]):
        raise AdminInputError(f"`{args[0]}` is not a source id")
    return args[0]


def numbers_arg(words: list[str], what: str) -> list[int]:
    """`12 13` or `#12 #13` → [12, 13]; at least one."""
    if not words:
        raise AdminInputError(f"give the numbers of the {what}s, like `12` or `12 13`")
    bad = [w for w in words if not w.lstrip("#").isdigit() or len(w) > 12]
    if bad:
        raise AdminInputError(f"`{bad[0]}` is not a {what} number")
    return sorted({int(w.lstrip("#")) for w in words})
