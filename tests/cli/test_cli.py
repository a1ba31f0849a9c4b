"""The `faqbot` command as an admin uses it: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "sample_kb" / "docs"


def test_ingest_search_list_and_remove(faqbot, tmp_path):
    folder = tmp_path / "it"
    folder.mkdir()
    shutil.copy(SAMPLE / "vpn-remote-access.md", folder)
    shutil.copy(SAMPLE / "password-mfa-policy.md", folder)

    result = faqbot("ingest", str(folder), "--source-id", "it-docs")
    assert result.exit_code == 0, result.output
    assert "source it-docs: 2 files" in result.output and "0 errors" in result.output

    result = faqbot("search", "What is IT-POL-7.2 about?", "-k", "2", "--json")
    hits = json.loads(result.stdout)
    assert result.exit_code == 0 and len(hits) == 2
    assert hits[0]["source_id"] == "it-docs" and hits[0]["path"].endswith("password-mfa-policy.md")
    assert hits[0]["rank"] == 1 and hits[0]["score"] >= hits[1]["score"]

    listed = json.loads(faqbot("sources", "list", "--json").stdout)
    assert [(s["source_id"], s["documents"]) for s in listed] == [("it-docs", 2)]
    assert (listed[0]["status"], listed[0]["added_by"]) == ("ready", "cli")

    assert faqbot("sources", "remove", "it-docs").exit_code == 0
    assert json.loads(faqbot("sources", "list", "--json").stdout) == []


def test_reingest_reports_unchanged_as_json(faqbot, tmp_path):
    shutil.copy(SAMPLE / "holidays-pto.md", tmp_path)
    target = str(tmp_path / "holidays-pto.md")
    first = json.loads(faqbot("ingest", target, "--json").stdout)
    second = json.loads(faqbot("ingest", target, "--json").stdout)
    assert first["chunks"] > 0 and first["source_id"].startswith("holidays-pto-md-")
    assert (second["unchanged"], second["chunks"], second["errors"]) == (1, 0, 0)


def test_a_failed_item_sets_the_exit_status_and_names_the_item(faqbot, tmp_path):
    shutil.copy(SAMPLE / "holidays-pto.md", tmp_path)
    (tmp_path / "notes.docx").write_bytes(b"not a zip")
    result = faqbot("ingest", str(tmp_path))
    assert result.exit_code == 1
    failures = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert len(failures) == 1
    assert "notes.docx: not a readable Word document" in failures[0]
    assert "1 files" in result.stdout


def test_a_source_that_never_indexed_is_listed_as_failed_with_the_reason(faqbot, tmp_path):
    broken = tmp_path / "notes.docx"
    broken.write_bytes(b"not a zip")
    assert faqbot("ingest", str(broken), "--source-id", "notes").exit_code == 1
    [listed] = json.loads(faqbot("sources", "list", "--json").stdout)
    assert (listed["source_id"], listed["status"], listed["chunks"]) == ("notes", "failed", 0)
    assert "not a readable Word document" in listed["last_error"]
    table = faqbot("sources", "list").stdout
    assert "notes" in table and "failed" in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ingest", "x.md", "--visibility", "general"), "'general' is not a Slack channel ID"),
        (("search", "hi", "--mode", "fuzzy"), "--mode 'fuzzy': choose hybrid, dense or bm25"),
        (("sources", "remove", "ghost"), "source 'ghost': no such source"),
    ],
)
def test_bad_arguments_get_one_line_errors(faqbot, args, message):
    result = faqbot(*args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_document_text_that_looks_like_markup_is_printed_as_is(faqbot, tmp_path):
    note = tmp_path / "hosts [b].md"
    note.write_text("# Hosts [bold]\n\nEdit [/etc/hosts] as root, then run [red]flush[/red].\n")
    assert faqbot("ingest", str(note), "--source-id", "hosts").exit_code == 0
    result = faqbot("search", "edit the hosts file")
    assert result.exit_code == 0, result.output
    assert "Edit [/etc/hosts] as root, then run [red]flush[/red]." in result.stdout
    assert "Hosts [bold]" in result.stdout and "hosts [b].md" in result.stdout


def test_zero_passages_is_refused_not_silently_changed(faqbot):
    result = faqbot("search", "vpn", "-k", "0")
    assert result.exit_code == 2 and "Invalid value for '-k'" in result.output


def test_unreachable_weaviate_embedded_is_one_line_with_the_fix(faqbot, monkeypatch):
    monkeypatch.setenv("FAQBOT_WEAVIATE_URL", "embedded")
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    result = faqbot("sources", "list")
    assert result.exit_code == 2
    assert "Weaviate Embedded could not start" in result.stderr
    assert "FAQBOT_WEAVIATE_URL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_explains_each_command(faqbot):
    result = faqbot("--help")
    for command in ("ingest", "search", "sources", "bench"):
        assert command in result.stdout
    assert "Unchanged documents are skipped" in faqbot("ingest", "--help").stdout


def test_ask_with_a_model_that_is_not_there_is_one_line(faqbot, monkeypatch, tmp_path):
    monkeypatch.setenv("FAQBOT_LLM_MODEL", str(tmp_path / "no-such-model"))
    result = faqbot("ask", "What does VPN error 809 mean?")
    assert result.exit_code == 2
    assert "could not be loaded" in result.stderr and "FAQBOT_LLM_MODEL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_ask_answers_offline_with_citations_and_names_the_model(faqbot, settings, monkeypatch):
    from workers.answering import calibration

    assert faqbot("ingest", str(SAMPLE), "--source-id", "handbook").exit_code == 0
    # Ingesting measured where refusing begins; asking (a new process) does not again.
    assert (settings.data_dir / calibration.BARS_FILE).is_file()
    monkeypatch.setattr(calibration, "_backgrounds", type(calibration._backgrounds)())
    monkeypatch.setattr(calibration, "probe_background", lambda *a: pytest.fail("measured"))
    result = faqbot("ask", "My VPN says error 809 at the hotel, what do I do?", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["refused"] is False and answer["answer"]
    assert answer["citations"] and answer["citations"][0]["title"] == "VPN and Remote Access Guide"
    assert answer["model"] == "SmolLM2-135M-Instruct" and answer["adapter"] is None
    assert answer["timings_ms"]["generate"] > 0
    offtopic = json.loads(faqbot("ask", "Who won the 2022 World Cup?", "--json").stdout)
    assert offtopic["refused"] is True and offtopic["timings_ms"]["generate"] == 0
