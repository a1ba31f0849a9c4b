"""`faqbot ingest` of a Git repository and `faqbot sources sync`: what an admin runs to add a
source read by a connector and to sync it without waiting for `faqbot beat`."""

from __future__ import annotations

import json

from tests.pipelines.ingest.git_repos import PARKING, commit, make_repo


def test_a_repository_is_ingested_then_synced_by_name(faqbot, tmp_path):
    repo = make_repo(tmp_path)
    added = faqbot("ingest", str(repo), "--kind", "git", "--source-id", "handbook", "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["changed"] == 3
    commit(repo, {"docs/parking.md": PARKING, "docs/payroll.md": None})
    synced = faqbot("sources", "sync", "handbook", "--json")
    assert synced.exit_code == 0, synced.output
    [report] = json.loads(synced.stdout)["synced"]
    assert (report["changed"], report["removed"], report["unchanged"]) == (1, 1, 2)
    text = faqbot("sources", "sync")  # nothing is due a day before its interval passes
    assert text.exit_code == 0 and "No source is due a sync." in text.output


def test_bad_connector_options_are_one_line_naming_the_option(faqbot, tmp_path):
    result = faqbot("ingest", "https://intranet.example/", "--depth", "50")
    assert (
        result.exit_code != 0
        and "--depth: Input should be less than or equal to 10" in result.output
    )
    result = faqbot("ingest", str(tmp_path), "--kind", "svn")
    assert "--kind 'svn': choose file, folder, url, website, git" in result.output
    result = faqbot("sources", "sync", "nope")
    assert result.exit_code == 1 and "no source 'nope'" in result.output


def test_a_group_mapping_on_the_command_line_is_checked(faqbot):
    url = "https://acme.atlassian.net/wiki/spaces/HR"
    result = faqbot("ingest", url, "--credential", "c", "--group", "hr=general")
    assert result.exit_code != 0 and "--group visibility 'general'" in result.output
