"""Git repositories made by tests: a small handbook committed on `main`, and helpers to commit
changes to it."""

from __future__ import annotations

import subprocess
from pathlib import Path

VPN = (
    "# VPN\n\n## Error 809\n\nSwitch to the NWH-Corporate-TLS profile when a hotel blocks IPsec.\n"
)
PAYROLL = "# Payroll\n\n## Pay day\n\nSalaries are paid on the 25th of each month.\n"
PARKING = "# Parking\n\n## Permits\n\nParking permits cost 30 pounds a month.\n"


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x", "PATH": "/usr/bin:/bin", "HOME": str(repo)}  # fmt: skip
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout


def commit(repo: Path, files: dict[str, str | None], message: str = "docs") -> str:
    """Writes (or, for None, deletes) the files and commits; returns the commit id."""
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def make_repo(tmp_path: Path) -> Path:
    """docs/vpn.md, docs/payroll.md and README.txt are documentation; logo.png and the hidden
    .github/ folder are not."""
    path = tmp_path / "handbook"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(
        path,
        {
            "docs/vpn.md": VPN,
            "docs/payroll.md": PAYROLL,
            "README.txt": "The IT handbook. Ask #it-help for anything else.\n",
            "logo.png": "not text",
            ".github/template.md": "# Template\n\nNot documentation.\n",
        },
    )
    return path
