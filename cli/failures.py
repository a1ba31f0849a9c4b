"""`faqbot failures`: the questions that ended in an apology, and sending one again."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from cli.console import database_ready, fail, out
from faqbot.errors import first_line

failures_app = typer.Typer(
    help="Questions that failed (the asker got an apology with a reference): list, retry.",
    no_args_is_help=True,
)


@failures_app.command("list")
def list_failures(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Failed questions with the reference their asker was shown, and why they failed."""
    from faqbot.db import interactions
    from faqbot.db.engine import session_scope

    settings = database_ready()
    with session_scope(settings) as session:
        rows = [_summary(row) for row in interactions.failures(session, limit)]
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return
    if not rows:
        out.print("No failed questions.")
        return
    table = Table("reference", "asked", "asker", "channel", "question", "error")
    for row in rows:
        table.add_row(
            row["reference"],
            row["asked_at"][:19],
            row["asker"] or "-",
            row["channel"] or "-",
            row["question"][:60],
            row["error"] or "-",
        )
    out.print(table)


@failures_app.command("retry")
def retry(
    references: Annotated[
        list[str], typer.Argument(help="References from the apology or `failures list`.")
    ],
) -> None:
    """Send failed questions to the answer workers again.

    The answer replaces the apology in Slack (an /ask answer goes to the asker's DM, since
    Slack's response URL has expired by then). Without FAQBOT_REDIS_URL the question is
    answered in this process.
    """
    from faqbot.contracts import ANSWER
    from faqbot.db import interactions
    from faqbot.db.engine import session_scope
    from faqbot.dispatch import dispatcher_for

    settings = database_ready()
    dispatcher = dispatcher_for(settings)
    for reference in references:
        try:
            with session_scope(settings) as session:
                request = interactions.reopen(interactions.failed_by_reference(session, reference))
                dispatcher.submit(ANSWER, request)
        except interactions.NoSuchFailure as exc:
            fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - the queue's failure, whatever it is: one line
            fail(f"{reference}: not queued, it stays failed ({first_line(exc)})")
        out.print(f"{reference}: queued again", markup=False)
    for future in getattr(dispatcher, "futures", []):  # answered here: wait for them
        future.result()


def _summary(row) -> dict:
    return {
        "reference": row.request_id[:8],
        "request_id": row.request_id,
        "asked_at": row.created_at.isoformat(),
        "asker": row.asker,
        "channel": row.channel,
        "question": row.question,
        "error": row.error,
        "attempts": row.attempts,
        "retryable": bool(row.request),
    }
