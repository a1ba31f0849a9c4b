"""A Git repository, by https URL or local path: its Markdown and text files on one branch,
each cited with a link to the file at the commit indexed.

A remote repository is kept as a partial clone under the data dir: each sync fetches the
branch's newest commit, its tree and the blobs it does not have yet (so only files that changed:
the blob id is the change marker), leaving out blobs over FAQBOT_MAX_FILE_MB, which are
reported as too large without being downloaded. The URL is checked like any fetched
URL (http(s) only, the host allowlisted or public), redirects are not followed, and every git
command has a time limit.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import subprocess
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from faqbot.contracts import SourceSpec
from faqbot.errors import first_line
from faqbot.settings import Settings
from faqbot.source_kinds import GIT_FORGES
from pipelines.ingest.addresses import Allowlist
from pipelines.ingest.connectors.base import ReadDocument, RemoteDocument, Unrestricted
from pipelines.ingest.documents import ItemError
from pipelines.ingest.fetch import check_url, is_url, too_large_message

DEFAULT_SUFFIXES = (".md", ".markdown", ".txt")


class GitConnector(Unrestricted):
    kind = "git"

    def __init__(self, target: str, spec: SourceSpec, settings: Settings):
        self.settings, self.branch, self.glob = settings, spec.branch, spec.paths
        self.max_files = spec.max_pages or settings.git_max_files
        self.remote = is_url(target)
        self.root = target if self.remote else str(Path(target).resolve())
        if self.remote:
            check_url(self.root, Allowlist.parse(settings.fetch_allowed_hosts))
        self.commit = ""

    def documents(self) -> list[RemoteDocument]:
        self.repo = self._update()
        ref = (self.branch or "HEAD") if not self.remote else "FETCH_HEAD"
        self.commit = self._git(
            "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False
        )
        self.commit = self.commit.strip()
        if not self.commit:
            raise ItemError(f"no branch {self.branch or 'HEAD'!r}")
        listed = [entry for entry in self._tree() if self._wanted(entry[0])]
        if not listed:
            raise ItemError(f"no {self.glob or 'Markdown or text'} files at {self.commit[:12]}")
        self._sizes = {path: size for path, _, size in listed}
        return [
            RemoteDocument(
                path,
                f"{self.root}:{path}",
                marker=f"blob:{blob}",
                url=self._link(path),
                path=None if self.remote else str(Path(self.root) / path),
            )
            for path, blob, _ in listed[: self.max_files]
        ]

    def read(self, document: RemoteDocument) -> ReadDocument:
        blob, max_bytes = (
            document.marker.removeprefix("blob:"),
            int(self.settings.max_file_mb * 1e6),
        )
        size = self._sizes[document.doc_key]
        if blob in self._too_large:  # the fetch left it out: larger than FAQBOT_MAX_FILE_MB
            raise ItemError(f"larger than the {max_bytes / 1e6:g} MB limit (FAQBOT_MAX_FILE_MB)")
        data = self._git("cat-file", "blob", blob, text=False)
        if max(size or 0, len(data)) > max_bytes:
            raise ItemError(too_large_message(max(size or 0, len(data)), max_bytes))
        return ReadDocument(data, PurePosixPath(document.doc_key).suffix.lower())

    def _tree(self) -> list[tuple[str, str, int | None]]:
        """(path, blob id, size) of every file at the commit. A local repository has every
        blob, so sizes come with the listing; a partial clone lacks the blobs it left out,
        and asking their size would download them, so it is known only once read."""
        local = not self.remote
        self._too_large = set() if local else self._missing_blobs()
        listing = self._git("ls-tree", "-r", *(["-l"] if local else []), "-z", self.commit)
        entries = []
        for entry in listing.split("\0"):
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            fields = meta.split()
            if fields[1] == "blob":
                entries.append((path, fields[2], int(fields[3]) if local else None))
        return entries

    def _missing_blobs(self) -> set[str]:
        """Blobs the size-filtered fetch did not bring: those over FAQBOT_MAX_FILE_MB."""
        listing = self._git("rev-list", "--objects", "--missing=print", self.commit)
        return {line[1:] for line in listing.splitlines() if line.startswith("?")}

    def _wanted(self, path: str) -> bool:
        if any(part.startswith(".") for part in PurePosixPath(path).parts):
            return False
        if self.glob:
            return any(fnmatch.fnmatchcase(path, g.strip()) for g in self.glob.split(","))
        return PurePosixPath(path).suffix.lower() in DEFAULT_SUFFIXES

    def _link(self, path: str) -> str | None:
        if not self.remote:
            return None
        base = self.root.removesuffix("/").removesuffix(".git")
        template = GIT_FORGES.get(urlsplit(base).hostname or "")
        return template and template.format(base=base, commit=self.commit, path=path)

    def _update(self) -> Path:
        """The repository to read: a local one as it is; a remote one fetched into its cache."""
        if not self.remote:
            path = Path(self.root)
            if not path.exists():
                raise ItemError("no such repository")
            self.repo = path
            if not ((path / ".git").exists() or (path / "objects").is_dir()):
                raise ItemError("not a Git repository")
            return path
        digest = hashlib.sha256(self.root.encode()).hexdigest()[:16]
        cache = self.settings.data_dir / "git" / digest
        if not (cache / "HEAD").exists():
            cache.mkdir(parents=True, exist_ok=True)
            self._git_in(cache, "init", "--bare", "--quiet")
            self._git_in(cache, "remote", "add", "origin", self.root)
            self._git_in(cache, "config", "remote.origin.promisor", "true")
            self._git_in(cache, "config", "extensions.partialClone", "origin")
        self.repo = cache
        ref, limit = self.branch or "HEAD", int(self.settings.max_file_mb * 1e6)
        self._git("fetch", "--quiet", "--depth=1", f"--filter=blob:limit={limit}", "origin", ref)
        return cache

    def _git(self, *args: str, text: bool = True, check: bool = True):
        return self._git_in(self.repo, *args, text=text, check=check)

    def _git_in(self, where: Path, *args: str, text: bool = True, check: bool = True):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.settings.data_dir),
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ALLOW_PROTOCOL": "https:http",
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C",
        }
        command = ["git", "-c", "http.followRedirects=false", "-C", str(where), *args]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                env=env,
                timeout=self.settings.git_timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            limit = self.settings.git_timeout_s
            raise ItemError(f"git {args[0]} timed out after {limit:g} s") from exc
        if check and done.returncode != 0:
            message = first_line(done.stderr.decode("utf-8", "replace").strip() or "failed")
            raise ItemError(f"git {args[0]}: {message.removeprefix('fatal: ')}")
        return done.stdout.decode("utf-8", "replace") if text else done.stdout
