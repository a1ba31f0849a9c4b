"""`faqbot ask`: one question through the answer chain, streamed to the terminal."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from cli.console import fail, out, runtime


def ask(
    question: Annotated[str, typer.Argument(help="What an employee would ask.")],
    channel: Annotated[
        str | None, typer.Option(help="Slack channel ID the question is asked in.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer a question from the knowledge base, citing the passages used.

    Streams the answer as it is generated, then lists the sources and names the model and
    adapter that answered. When no passage is relevant enough, says so without asking the
    model.
    """
    from workers.answering.chain import answer_question
    from workers.answering.shared_chain import answer_chain_for
    from workers.generation.loading import ModelUnavailable

    settings, _, _ = runtime()
    try:
        chain = answer_chain_for(settings)
    except ModelUnavailable as exc:
        fail(str(exc))
    stream = None if as_json or not out.is_terminal else _LiveText()
    answer = answer_question(chain, question, channel=channel, on_text=stream)
    if as_json:
        print(answer.model_dump_json())
        return
    _print_answer(answer, streamed=stream is not None)


class _LiveText:
    """Prints the streamed answer as it grows (only new characters, no redraws)."""

    def __init__(self):
        self.shown = 0

    def __call__(self, text: str) -> None:
        out.print(text[self.shown :], end="", markup=False, highlight=False)
        self.shown = len(text)


def _print_answer(answer, streamed: bool) -> None:
    if streamed:
        out.print()
    else:
        out.print(answer.answer, markup=False, highlight=False)
    listed = answer.citations or answer.related
    if listed:
        out.print("\n[bold]Sources[/bold]" if answer.citations else "\n[bold]Related[/bold]")
    for c in listed:
        where = f" <{c.url}>" if c.url else ""
        out.print(f"  \\[{c.n}] {escape(c.title)}{escape(where)}", highlight=False)
        out.print(f"      “{c.snippet}”", markup=False, highlight=False)
    adapter = answer.adapter or "no adapter"
    t = answer.timings_ms
    out.print(
        f"\n[dim]{escape(answer.model)} · {escape(adapter)} · retrieve {t['retrieve']:.0f} ms · "
        f"generate {t['generate']:.0f} ms · total {t['total']:.0f} ms[/dim]",
        highlight=False,
    )
