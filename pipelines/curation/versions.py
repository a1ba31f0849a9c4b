"""Finding dataset versions: by name, the newest, or a JSONL file given directly."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from faqbot.settings import Settings
from pipelines.curation.build import MANIFEST


class DatasetNotFound(ValueError):
    pass


class DatasetInvalid(ValueError):
    pass


@dataclass
class DatasetFiles:
    version: str
    train: Path
    eval: Path | None
    negatives: Path | None
    manifest: dict


def list_datasets(settings: Settings) -> list[dict]:
    """Manifests, newest first."""
    root = settings.datasets_dir
    if not root.is_dir():
        return []
    manifests = [json.loads(path.read_text()) for path in root.glob(f"*/{MANIFEST}")]
    return sorted(manifests, key=lambda m: m["created_at"], reverse=True)


def resolve_dataset(settings: Settings, ref: str | None) -> DatasetFiles:
    """`ref`: a version name, a path to a JSONL file of prompt-completion examples (trained
    on whole, no eval split), or None for the newest version."""
    if ref and ref.endswith(".jsonl"):
        path = Path(ref).expanduser()
        if not path.is_file():
            raise DatasetNotFound(f"dataset {ref}: no such file")
        return DatasetFiles(path.stem, path, None, None, {"version": path.stem, "file": str(path)})
    versions = [m["version"] for m in list_datasets(settings)]
    if not versions:
        raise DatasetNotFound("no dataset yet: build one with `faqbot dataset build`")
    version = ref or versions[0]
    if version not in versions:
        raise DatasetNotFound(
            f"dataset {version}: no such version (newest: {versions[0]}; see `faqbot dataset list`)"
        )
    folder = settings.datasets_dir / version
    manifest = json.loads((folder / MANIFEST).read_text())
    return DatasetFiles(
        version, folder / "train.jsonl", folder / "eval.jsonl", folder / "negatives.jsonl", manifest
    )


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a JSONL file; a malformed line is an error naming the file and line."""
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetInvalid(f"dataset {path}: line {number} is not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or "prompt" not in row or "completion" not in row:
            raise DatasetInvalid(f"dataset {path}: line {number} lacks prompt and completion")
        rows.append(row)
    return rows
