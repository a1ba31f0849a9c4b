"""Confluence as a source, against a stand-in serving its REST API v1 (Confluence cannot be
reached from here): a space over several pages of results, a page tree, version markers,
permissions mapped to channels and never wider, rate limits, and one-line errors."""

from __future__ import annotations

import base64

import pytest

from faqbot.contracts import SourceSpec
from tests.pipelines.ingest.connectors.standins import (
    ConfluencePage,
    ConfluenceStandIn,
    serving_standin,
)

TOKEN = "it-bot@example.com:atlassian-api-token"
BASIC = "Basic " + base64.b64encode(TOKEN.encode()).decode()
SPEC = SourceSpec(kind="confluence", credential="confluence-it")
VPN = "<h2>Error 809</h2><p>Switch to the NWH-Corporate-TLS profile when a hotel blocks IPsec.</p>"


@pytest.fixture
def confluence(settings):
    settings.fetch_allowed_hosts = ["127.0.0.1"]
    settings.confluence_page_limit = 2  # so that five pages take three calls
    settings.secrets_path.mkdir(parents=True, exist_ok=True)
    (settings.secrets_path / "confluence-it").write_text(TOKEN + "\n")
    standin = ConfluenceStandIn(authorization=BASIC, spaces={"IT": None, "HR": ["hr-team"]})
    for n, (title, html) in enumerate(
        [("VPN", VPN), ("Payroll", "<h2>Pay day</h2><p>Salaries are paid on the 25th.</p>"),
         ("Parking", "<p>Permits cost 30 pounds a month.</p>"),
         ("Printers", "<p>Print from any floor with your badge.</p>"),
         ("Wi-Fi", "<p>The guest Wi-Fi password changes daily.</p>")], start=101
    ):  # fmt: skip
        standin.pages[str(n)] = ConfluencePage(
            str(n), title, html, parent="101" if n > 101 else None
        )
    standin.pages["201"] = ConfluencePage("201", "Salaries", "<p>Every salary.</p>", space="HR")
    with serving_standin(standin):
        yield standin


def space_url(standin, key="IT") -> str:
    return f"{standin.base}/wiki/spaces/{key}/overview"


def test_every_page_of_a_space_is_indexed_and_cited_by_its_link(kb, confluence):
    report = kb(space_url(confluence), spec=SPEC)
    assert report.report().errors == [] and report.changed == 5
    listings = [r for r in confluence.requests if r.path == "/wiki/rest/api/content"]
    assert len(listings) == 3  # two results per call: followed `_links.next`
    top = kb.ask("VPN error 809 at a hotel")[0].chunk
    assert top.url == f"{confluence.base}/wiki/spaces/IT/pages/101"
    assert top.title == "VPN" and top.section == "Error 809"  # headings kept


def test_a_sync_reads_only_pages_whose_version_changed(kb, confluence):
    kb(space_url(confluence), spec=SPEC)
    confluence.pages["101"].html = VPN + "<p>The profile tunnels over TCP 443.</p>"
    confluence.pages["101"].version = 2
    del confluence.pages["104"]
    confluence.requests.clear()
    report = kb(space_url(confluence), spec=SPEC)
    assert (report.changed, report.removed, report.unchanged) == (1, 1, 3)
    bodies = [r.path for r in confluence.requests if r.path.startswith("/wiki/rest/api/content/")]
    assert bodies == ["/wiki/rest/api/content/101"]  # only the changed page's body is fetched


def test_a_page_tree_is_the_page_and_the_pages_under_it(kb, confluence):
    confluence.pages["102"].parent = None  # payroll is no longer under the VPN page
    url = f"{confluence.base}/wiki/spaces/IT/pages/101/VPN"
    report = kb(url, spec=SPEC)
    assert report.report().errors == []
    assert sorted(kb.store.document_hashes("kb")) == ["101", "103", "104", "105"]


def test_a_restricted_space_is_shown_only_where_its_groups_are_mapped(kb, confluence):
    spec = SPEC.model_copy(update={"groups": {"hr-team": ["C0HR00001"]}})
    report = kb(space_url(confluence, "HR"), spec=spec)
    assert report.report().errors == []
    assert kb.ask("every salary", channel="C0HR00001", k=1)[0].chunk.doc_key == "201"
    assert kb.ask("every salary", channel="C0IT00001") == []  # public was asked: never wider


def test_a_restricted_space_with_no_mapped_group_is_refused(kb, confluence):
    errors = kb(space_url(confluence, "HR"), spec=SPEC).report().errors
    reason = "readable only by hr-team; map a group to channels (group=#channel)"
    assert errors == [f"{space_url(confluence, 'HR')}: {reason}"]
    assert kb.store.document_hashes("kb") == {}


def test_a_page_restricted_more_narrowly_than_its_space_is_left_out(kb, confluence):
    confluence.pages["102"].restricted_to = ["payroll-team"]
    report = kb(space_url(confluence), spec=SPEC)
    assert report.skipped == 1 and "102" not in kb.store.document_hashes("kb")


def test_rate_limits_are_waited_out(kb, confluence):
    confluence.throttle = 2
    assert kb(space_url(confluence), spec=SPEC).report().errors == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            "token",
            "Confluence refused the credential (HTTP 401: Unauthorized; scope does not match)",
        ),
        ("space", "Confluence has no space 'OPS' (HTTP 404)"),
        ("secret", "no secret 'confluence-it' on this worker"),
        ("throttled", "Confluence kept rate-limiting after 3 retries (HTTP 429)"),
        ("host", "Confluence"),
    ],
)
def test_bad_input_is_one_line_naming_the_source_and_keeps_the_index(
    kb, confluence, settings, change, reason
):
    kb(space_url(confluence), spec=SPEC)
    before = kb.store.document_hashes("kb")
    url = space_url(confluence)
    if change == "token":
        confluence.authorization = "Basic c29tZW9uZS1lbHNl"
    elif change == "space":
        url = space_url(confluence, "OPS")
    elif change == "secret":
        (settings.secrets_path / "confluence-it").unlink()
    elif change == "throttled":
        confluence.throttle = 10
    else:
        url = "http://127.0.0.1:1/wiki/spaces/IT"
        reason = "could not reach the API"
    errors = kb(url, spec=SPEC, source_id="kb" if change != "space" else "ops").report().errors
    assert len(errors) == 1 and "\n" not in errors[0]
    assert errors[0].startswith(url) and reason in errors[0]
    assert kb.store.document_hashes("kb") == before


def test_a_page_over_the_size_limit_is_one_line_and_the_rest_is_indexed(kb, confluence, settings):
    confluence.pages["103"].html = "<p>" + "word " * 60_000 + "</p>"
    settings.max_file_mb = 0.1
    errors = kb(space_url(confluence), spec=SPEC).report().errors
    limit = "0.3 MB, larger than the 0.1 MB limit (FAQBOT_MAX_FILE_MB)"
    assert errors == [f"{confluence.base}/wiki/spaces/IT/pages/103: {limit}"]
    assert sorted(kb.store.document_hashes("kb")) == ["101", "102", "104", "105"]


def test_a_space_that_becomes_restricted_is_withdrawn_until_its_groups_are_mapped(kb, confluence):
    kb(space_url(confluence), spec=SPEC)
    confluence.spaces["IT"] = ["it-team"]
    errors = kb(space_url(confluence), spec=SPEC).report().errors
    reason = "readable only by it-team; map a group to channels (group=#channel)"
    assert errors == [
        f"{space_url(confluence)}: {reason}; the 5 documents indexed from it are withdrawn"
    ]
    assert kb.store.document_hashes("kb") == {} and kb.ask("VPN error 809") == []
    spec = SPEC.model_copy(update={"groups": {"it-team": ["C0IT00001"]}})
    assert kb(space_url(confluence), spec=spec).report().errors == []
    assert kb.ask("VPN error 809", channel="C0IT00001")
