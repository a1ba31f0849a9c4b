"""Output and shared plumbing of the `faqbot` command: one-line errors, progress bars, and the
heavy objects built once per process."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from faqbot.settings import load_settings

# Piped output is read by people and scripts too: keep lines whole instead of 80 columns.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> None:
    """One line on stderr, no traceback: the message names what failed and why."""
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def database_ready(settings=None):
    """Settings whose app database answers and is migrated; one line on stderr if not."""
    from faqbot.db.engine import DatabaseUnavailable
    from faqbot.db.migrate import ensure_schema

    settings = settings or load_settings()
    try:
        ensure_schema(settings)
    except DatabaseUnavailable as exc:
        fail(str(exc))
    return settings


def runtime(*, with_embedder: bool = True):
    """Settings, the store and (optionally) the embedder, each built once per process; a
    configuration that cannot load is one line on stderr and exit status 2."""
    from workers.embedder import EmbedderUnavailable, get_embedder
    from workers.store import StoreUnavailable, get_store

    settings = load_settings()
    try:
        store = get_store(settings)
        if not with_embedder:
            return settings, store, None
        embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    except (StoreUnavailable, EmbedderUnavailable) as exc:
        fail(str(exc))
    return settings, store, embedder


class ProgressBar:
    """A rich progress bar with one task per phase (read, embed)."""

    def __init__(self, disable: bool = False):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=disable or not err.is_terminal,
        )
        self._tasks: dict[str, int] = {}

    def __enter__(self):
        self._progress.start()
        return self

    def __exit__(self, *exc):
        self._progress.stop()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase not in self._tasks:
            self._tasks[phase] = self._progress.add_task(phase, total=total)
        self._progress.update(self._tasks[phase], completed=done, total=total)
