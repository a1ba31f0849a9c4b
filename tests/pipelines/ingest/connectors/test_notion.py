"""Notion as a source, against a stand-in serving its API (Notion cannot be reached from
here): a database over several pages of results, a page tree, blocks as Markdown, edit times
as markers, rate limits and one-line errors."""

from __future__ import annotations

import pytest

from faqbot.contracts import SourceSpec
from tests.pipelines.ingest.connectors.standins import (
    NotionPage,
    NotionStandIn,
    block,
    serving_standin,
)

SECRET = "secret_notion_integration_token"
SPEC = SourceSpec(kind="notion", credential="notion-it")
DB = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
ROOT = "11111111-2222-3333-4444-555555555555"


def uid(n: int) -> str:
    return f"{n:08d}-0000-4000-8000-{n:012d}"


@pytest.fixture
def notion(settings):
    settings.fetch_allowed_hosts = ["127.0.0.1"]
    settings.secrets_path.mkdir(parents=True, exist_ok=True)
    (settings.secrets_path / "notion-it").write_text(SECRET)
    standin = NotionStandIn(authorization=f"Bearer {SECRET}", databases={DB})
    vpn = [
        block("heading_2", "Error 809"),
        block("paragraph", "Switch to the NWH-Corporate-TLS profile when a hotel blocks IPsec."),
        block("toggle", "Why?", [block("paragraph", "Hotels often block UDP 500 and 4500.")]),
        block("to_do", "Tell the help desk", checked=True),
    ]
    standin.pages[uid(1)] = NotionPage(uid(1), "VPN", vpn, database=DB)
    for n, (title, text) in enumerate(
        [("Payroll", "Salaries are paid on the 25th."), ("Parking", "Permits cost 30 pounds."),
         ("Wi-Fi", "The guest Wi-Fi password changes daily.")], start=2
    ):  # fmt: skip
        standin.pages[uid(n)] = NotionPage(uid(n), title, [block("paragraph", text)], database=DB)
    standin.pages[ROOT] = NotionPage(ROOT, "Handbook", [block("paragraph", "Start here.")])
    standin.pages[uid(9)] = NotionPage(uid(9), "Printers", [block("paragraph", "Badge to print.")],
                                       parent=ROOT)  # fmt: skip
    with serving_standin(standin):
        settings.notion_api_url = standin.base
        yield standin


def url_of(object_id: str) -> str:
    return f"https://www.notion.so/acme/Handbook-{object_id.replace('-', '')}"


def test_every_page_of_a_database_is_indexed_with_its_blocks_as_sections(kb, notion):
    report = kb(url_of(DB), spec=SPEC)
    assert report.report().errors == [] and report.changed == 4
    queries = [r for r in notion.requests if r.path.endswith("/query")]
    assert len(queries) == 2  # two results per call: followed next_cursor
    top = kb.ask("VPN error 809 in a hotel")[0].chunk
    assert top.title == "VPN" and top.section == "Error 809"
    assert "UDP 500" in top.text and "[x] Tell the help desk" in top.text  # nested blocks
    assert top.url.startswith("https://www.notion.so/VPN-")


def test_a_page_tree_is_the_page_and_its_child_pages(kb, notion):
    report = kb(url_of(ROOT), spec=SPEC)
    assert report.report().errors == []
    assert sorted(kb.store.document_hashes("kb")) == sorted([ROOT, uid(9)])


def test_a_sync_reads_only_pages_edited_since(kb, notion):
    kb(url_of(DB), spec=SPEC)
    notion.pages[uid(3)].blocks = [block("paragraph", "Permits are free for cyclists.")]
    notion.pages[uid(3)].edited = "2026-12-02T10:00:00.000Z"
    del notion.pages[uid(4)]
    notion.requests.clear()
    report = kb(url_of(DB), spec=SPEC)
    assert (report.changed, report.removed, report.unchanged) == (1, 1, 2)
    read = {r.path for r in notion.requests if "/children" in r.path}
    assert read == {f"/v1/blocks/{uid(3)}/children"}


def test_rate_limits_are_waited_out(kb, notion):
    notion.throttle = 3
    assert kb(url_of(DB), spec=SPEC).report().errors == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("token", "Notion refused the credential (HTTP 401: Unauthorized; scope does not match)"),
        ("unshared", "Notion has no such item (HTTP 404: Could not find page with ID"),
        ("not-notion", "not a Notion page or database URL"),
        ("no-credential", "Notion needs a credential"),
        ("unreachable", "could not reach the API"),
    ],
)
def test_bad_input_is_one_line_naming_the_source_and_keeps_the_index(
    kb, notion, settings, change, reason
):
    kb(url_of(DB), spec=SPEC)
    before = kb.store.document_hashes("kb")
    url, spec = url_of(DB), SPEC
    if change == "token":
        notion.authorization = "Bearer revoked"
    elif change == "unshared":
        url = url_of(uid(77))
    elif change == "not-notion":
        url = "https://www.notion.so/acme/Handbook"
    elif change == "no-credential":
        spec = SourceSpec(kind="notion")
    else:
        settings.notion_api_url = "http://127.0.0.1:1"
    errors = kb(url, spec=spec, source_id="kb" if url == url_of(DB) else "other").report().errors
    assert len(errors) == 1 and "\n" not in errors[0]
    assert errors[0].startswith(url) and reason in errors[0]
    assert kb.store.document_hashes("kb") == before


def test_a_page_over_the_size_limit_is_one_line_and_the_rest_is_indexed(kb, notion, settings):
    notion.pages[uid(2)].blocks = [block("paragraph", "word " * 30_000)]
    settings.max_file_mb = 0.1
    errors = kb(url_of(DB), spec=SPEC).report().errors
    assert len(errors) == 1 and "larger than the 0.1 MB limit (FAQBOT_MAX_FILE_MB)" in errors[0]
    assert errors[0].startswith("https://www.notion.so/Payroll-")
    assert len(kb.store.document_hashes("kb")) == 3
