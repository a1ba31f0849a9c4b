"""Who may see what: the one home of the visibility rules that retrieval, the interaction log,
thread history and the feedback-built FAQ entries and datasets all apply.

A visibility is a list of labels: `public`, or the Slack channel IDs whose members may see the
thing. A question may see `public` plus the channel it was asked in (or, in a DM or /ask, the
channels granted to the asker). Text built from several things, such as an answer built from
retrieved passages and earlier turns of its thread, may be shown only where all of them are
visible."""

from __future__ import annotations

import re
from collections.abc import Iterable

PUBLIC = "public"
# The Slack conversations a visibility may name: public (C…) and private (G…) channels. The
# one definition of a channel ID that settings, ingestion and the admin commands all apply.
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")


def is_channel_id(text: str) -> bool:
    return CHANNEL_ID.fullmatch(text) is not None


def parse_visibility(value: str | None) -> list[str]:
    """`public` or a comma-separated list of Slack channel IDs; anything else is refused."""
    if value is None or value.strip().lower() in ("", PUBLIC):
        return [PUBLIC]
    channels = [part.strip().lstrip("#") for part in value.split(",") if part.strip()]
    bad = [c for c in channels if not is_channel_id(c)]
    if bad:
        raise ValueError(
            f"visibility {value!r}: {bad[0]!r} is not a Slack channel ID like C0123ABC"
        )
    return sorted(set(channels))


def parse_group_channels(text: str | None) -> dict[str, list[str]] | None:
    """`group=C0123,C0456; other group=public` (or one entry per line): a service's groups and
    the visibility each maps to, as admins write it in a form or on the command line."""
    entries = [e.strip() for e in re.split(r"[;\n]", text or "") if e.strip()]
    mapping: dict[str, list[str]] = {}
    for entry in entries:
        group, equals, channels = entry.rpartition("=")
        if not equals or not group.strip():
            raise ValueError(f"{entry!r}: write group=C0123ABC (or group=public)")
        mapping[group.strip()] = parse_visibility(",".join(re.split(r"[\s,]+", channels.strip())))
    return mapping or None


def asker_labels(channel: str | None, granted: Iterable[str] = ()) -> list[str]:
    """Visibility labels a question may see: public, plus the channel it was asked in, plus
    any channels granted to the asker."""
    extra = sorted({*([channel] if channel else []), *granted} - {PUBLIC})
    return [PUBLIC, *extra]


def combined(visibilities: Iterable[Iterable[str]]) -> list[str]:
    """Where text built from things with these visibilities may be shown: public when every
    one is public, else the channels in which every restricted one is visible. An empty list
    means nowhere beyond the person who asked."""
    restricted = [set(v) for v in visibilities if PUBLIC not in v]
    if not restricted:
        return [PUBLIC]
    return sorted(set.intersection(*restricted))


def is_public(visibility: Iterable[str] | None) -> bool:
    return visibility is not None and PUBLIC in visibility


def visible_in(visibility: Iterable[str] | None, labels: Iterable[str]) -> bool:
    """May text with `visibility` be shown to whoever may see `labels` (a channel's members:
    public and that channel; one asker: public and their grants)? Unknown (None) never is."""
    if visibility is None:
        return False
    visibility = set(visibility)
    return PUBLIC in visibility or bool(visibility & set(labels))


def permitted(
    asked: list[str], readers: list[str] | None, groups: dict[str, list[str]] | None
) -> list[str]:
    """The visibility of a source its own service restricts: the channels the admin mapped
    the reader groups to, never wider than `asked`. `readers` None: not restricted, so
    `asked`. ValueError when no reader group is mapped (nothing may be shown to anyone)."""
    if readers is None:
        return asked
    mapped = {label for group in readers for label in (groups or {}).get(group, [])}
    if not mapped:
        names = ", ".join(sorted(readers)) or "nobody"
        raise ValueError(f"readable only by {names}; map a group to channels (group=#channel)")
    if PUBLIC in mapped:
        return asked
    if PUBLIC in asked:
        return sorted(mapped)
    allowed = sorted(mapped & set(asked))
    if not allowed:
        raise ValueError(
            f"its readers map to {', '.join(sorted(mapped))}, none of the channels asked "
            f"for ({', '.join(asked)})"
        )
    return allowed
