"""`faqbot stats` and `faqbot gaps`: how the bot is doing, and what the knowledge base lacks."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.console import database_ready, fail, out

_AGO = re.compile(r"^(\d{1,4})([hdw])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}

SinceOption = Annotated[
    str, typer.Option(help="From how long ago: 12h, 7d, 4w, or a date (YYYY-MM-DD, UTC).")
]
ChannelOption = Annotated[
    str | None, typer.Option(help="Only questions asked in this channel (its ID, C…).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON, for other tools.")]


def since_arg(value: str, now: dt.datetime) -> dt.datetime:
    """`7d` is seven days before `now`; a date or ISO timestamp is taken as UTC."""
    ago = _AGO.match(value.strip())
    if ago:
        return now - dt.timedelta(**{_UNITS[ago[2]]: int(ago[1])})
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"--since {value!r}: not a duration (12h, 7d, 4w) or a date (YYYY-MM-DD)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def channel_arg(value: str | None) -> str | None:
    from faqbot.visibility import is_channel_id

    if value is not None and not is_channel_id(value):
        fail(f"--channel {value!r}: not a Slack channel ID (C… or G…)")
    return value


def stats(
    since: SinceOption = "30d",
    channel: ChannelOption = None,
    as_json: JsonOption = False,
) -> None:
    """Questions, answered without escalation, refused, escalated, time to resolution, 👍 rate
    and verified answers served, for the period (and channel) asked."""
    from faqbot.db import stats as usage_stats
    from faqbot.db.engine import session_scope

    settings = database_ready()
    now = dt.datetime.now(dt.UTC)
    start, where = since_arg(since, now), channel_arg(channel)
    with session_scope(settings) as session:
        figures = usage_stats.usage(session, start, now, where)
    if as_json:
        print(figures.model_dump_json())
        return
    out.print(stats_table(figures))


def stats_table(figures) -> Table:
    def share(n: int) -> str:
        return f"{n} ({n / figures.questions:.0%})" if figures.questions else str(n)

    table = Table("", "", title=f"{figures.since:%Y-%m-%d} – {figures.until:%Y-%m-%d %H:%M} UTC")
    p50 = figures.resolution_hours_p50
    rows = [
        ("questions", str(figures.questions)),
        ("answered", share(figures.answered)),
        ("answered without escalation", share(figures.answered_without_escalation)),
        ("refused", share(figures.refused)),
        ("failed", share(figures.failed)),
        ("escalated to experts", share(figures.escalated)),
        ("resolved", str(figures.resolved)),
        ("time to resolution (p50)", f"{p50:.1f} h" if p50 is not None else "-"),
        ("👍 / 👎", f"{figures.votes_up} / {figures.votes_down}"),
        ("👍 rate", f"{figures.thumbs_up_rate:.0%}" if figures.thumbs_up_rate is not None else "-"),
        ("verified answers served", str(figures.verified_served)),
        ("verified answers in use", str(figures.verified_active)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def gaps(
    since: SinceOption = "7d",
    channel: ChannelOption = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="Show at most this many.")] = 20,
    plot: Annotated[
        Path | None, typer.Option(help="Also draw answered / refused / escalated per week here.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """What the knowledge base is missing: refused, 👎, escalated and unresolved questions,
    grouped by paraphrase, largest group first, each with example questions, the channels and
    the closest passage there is (or "nothing close")."""
    from cli.console import runtime
    from faqbot.db import stats as usage_stats
    from faqbot.db.engine import session_scope
    from pipelines.curation.gaps import knowledge_gaps, plot_weeks

    database_ready()
    settings, store, embedder = runtime()
    now = dt.datetime.now(dt.UTC)
    start, where = since_arg(since, now), channel_arg(channel)
    clusters = knowledge_gaps(settings, store, embedder, start, now, where, limit)
    if plot:
        with session_scope(settings) as session:
            weeks = usage_stats.usage(session, start, now, where).weeks
        plot_weeks(weeks, plot)
    if as_json:
        print(json.dumps([c.model_dump(mode="json") for c in clusters]))
        return
    if not clusters:
        out.print(f"No refused, 👎 or escalated questions since {start:%Y-%m-%d %H:%M} UTC.")
    else:
        out.print(gaps_table(clusters))
    if plot:
        out.print(f"plot: {plot}")


def gaps_table(clusters) -> Table:
    table = Table("asked", "why", "examples", "channels", "closest passage")
    for cluster in clusters:
        why = ", ".join(f"{n} {reason}" for reason, n in cluster.reasons.items())
        closest = cluster.closest or "nothing close"
        if cluster.closest_score is not None:
            closest += f" ({cluster.closest_score:.2f})"
        table.add_row(
            str(cluster.size),
            why,
            "\n".join(cluster.examples),
            " ".join(cluster.channels) or "-",
            closest,
        )
    return table
