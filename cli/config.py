"""`faqbot config`: the settings reference, written from the settings object."""

from __future__ import annotations

import typer

config_app = typer.Typer(help="The settings: every FAQBOT_ variable, its default and meaning.")


@config_app.command("reference")
def reference() -> None:
    """Print docs/configuration.md: every FAQBOT_ variable by concern, with its default and
    description, as the settings object defines them."""
    from faqbot.config_reference import reference_markdown

    typer.echo(reference_markdown(), nl=False)
