"""A Git repository as a source, made by each test: only committed Markdown and text files on
the branch are indexed, a sync embeds only what changed, and bad input is one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from faqbot.contracts import SourceSpec
from tests.pipelines.ingest.connectors.git_server import git_http_server
from tests.pipelines.ingest.git_repos import PARKING, VPN, commit, git, make_repo
from tests.pipelines.ingest.loopback import serving

GIT = SourceSpec(kind="git")


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


def test_committed_markdown_and_text_files_are_indexed(kb, repo):
    (repo / "docs" / "draft.md").write_text("# Draft\n\nNot committed yet.\n")
    report = kb(repo, spec=GIT)
    assert report.errors == []
    assert sorted(kb.store.document_hashes("kb")) == [
        "README.txt",
        "docs/payroll.md",
        "docs/vpn.md",
    ]
    top = kb.ask("my VPN shows error 809 in a hotel")[0].chunk
    assert top.doc_key == "docs/vpn.md" and top.path == str(repo / "docs" / "vpn.md")


def test_a_sync_embeds_only_the_files_that_changed(kb, repo):
    kb(repo, spec=GIT)
    commit(repo, {"docs/vpn.md": VPN + "\nThe profile tunnels over TCP 443.\n",
                  "docs/payroll.md": None, "docs/parking.md": PARKING})  # fmt: skip
    kb.embedder.embedded = 0
    report = kb(repo, spec=GIT)
    assert (report.changed, report.removed, report.unchanged) == (2, 1, 1)
    assert 0 < kb.embedder.embedded <= 4  # the two files' chunks, not README's
    assert sorted(kb.store.document_hashes("kb")) == [
        "README.txt",
        "docs/parking.md",
        "docs/vpn.md",
    ]
    assert "TCP 443" in kb.ask("which port does the TLS profile use")[0].chunk.text


def test_a_branch_and_a_path_glob_choose_what_is_indexed(kb, repo):
    git(repo, "checkout", "-q", "-b", "next")
    commit(repo, {"docs/parking.md": PARKING})
    git(repo, "checkout", "-q", "main")
    report = kb(repo, spec=SourceSpec(kind="git", branch="next", paths="docs/*.md"))
    assert report.errors == []
    assert sorted(kb.store.document_hashes("kb")) == [
        "docs/parking.md",
        "docs/payroll.md",
        "docs/vpn.md",
    ]


@pytest.mark.parametrize(
    ("spec", "target", "reason"),
    [
        (SourceSpec(kind="git", branch="nope"), None, "no branch 'nope'"),
        (GIT, "missing", "no such repository"),
        (GIT, "plain", "not a Git repository"),
        (SourceSpec(kind="git", paths="*.rst"), None, "no *.rst files at"),
    ],
)
def test_a_bad_repository_is_one_line_and_keeps_what_was_indexed(kb, repo, spec, target, reason):
    kb(repo, spec=GIT)
    before = kb.store.document_hashes("kb")
    if target == "plain":
        (repo.parent / "plain").mkdir()
    location = repo if target is None else repo.parent / target
    if target:  # another location under the same id is refused: use the source's own id
        report = kb(location, spec=spec, source_id="other")
    else:
        report = kb(location, spec=spec)
    errors = report.report().errors
    assert len(errors) == 1 and "\n" not in errors[0]
    assert reason in errors[0]
    assert kb.store.document_hashes("kb") == before


def test_a_file_over_the_size_limit_is_one_line_and_the_rest_is_indexed(kb, repo, settings):
    commit(repo, {"docs/huge.md": "# Huge\n\n" + "word " * 60_000})
    settings.max_file_mb = 0.1
    report = kb(repo, spec=GIT)
    assert report.report().errors == [
        f"{repo}:docs/huge.md: 0.3 MB, larger than the 0.1 MB limit (FAQBOT_MAX_FILE_MB)"
    ]
    assert "docs/vpn.md" in kb.store.document_hashes("kb")


@pytest.fixture
def served(repo, tmp_path):
    """The repository behind git's smart HTTP on loopback: (URL, requests seen)."""
    projects = tmp_path / "projects"
    projects.mkdir()
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(repo), str(projects / "handbook.git")], check=True
    )
    git(projects / "handbook.git", "config", "uploadpack.allowFilter", "true")
    requests: list[str] = []
    with serving(git_http_server(projects, requests)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/handbook.git", requests


def push(repo: Path, served_url: str) -> None:
    bare = served_url.rsplit("/", 1)[1]
    git(repo, "push", "-q", str(repo.parent / "projects" / bare), "main")


def test_a_repository_by_url_syncs_what_changed_and_links_each_file_at_its_commit(
    kb, repo, served, settings
):
    url, _ = served
    settings.fetch_allowed_hosts = ["127.0.0.1"]
    report = kb(url, spec=GIT)
    assert report.report().errors == []
    assert sorted(kb.store.document_hashes("kb")) == [
        "README.txt",
        "docs/payroll.md",
        "docs/vpn.md",
    ]
    commit(repo, {"docs/vpn.md": VPN + "\nThe profile tunnels over TCP 443.\n"})
    push(repo, url)
    kb.embedder.embedded = 0
    report = kb(url, spec=GIT)
    assert (report.changed, report.removed, report.unchanged) == (1, 0, 2)
    assert kb.embedder.embedded <= 2
    assert "TCP 443" in kb.ask("which port does the TLS profile use")[0].chunk.text


def test_a_repository_url_on_an_internal_host_is_refused_unless_allowed(kb, served):
    url, requests = served
    report = kb(url, spec=GIT)
    assert len(report.errors) == 1 and "127.0.0.1" in str(report.errors[0])
    assert requests == []


def test_an_unreachable_repository_host_is_one_line(kb, settings):
    settings.fetch_allowed_hosts = ["127.0.0.1"]
    errors = kb("http://127.0.0.1:1/handbook.git", spec=GIT).report().errors
    assert len(errors) == 1 and "\n" not in errors[0]
    assert errors[0].startswith("http://127.0.0.1:1/handbook.git: git fetch: unable to access")


def test_a_file_over_the_size_limit_in_a_remote_repository_is_never_downloaded(
    kb, repo, served, settings
):
    url, _ = served
    settings.fetch_allowed_hosts = ["127.0.0.1"]
    commit(repo, {"docs/huge.md": "# Huge\n\n" + "word " * 60_000})
    push(repo, url)
    settings.max_file_mb = 0.1
    errors = kb(url, spec=GIT).report().errors
    assert errors == [f"{url}:docs/huge.md: larger than the 0.1 MB limit (FAQBOT_MAX_FILE_MB)"]
    assert "docs/vpn.md" in kb.store.document_hashes("kb")
