"""A website on loopback as a source: a crawl bounded by prefix, depth and page count that
honours robots.txt and follows redirects once per page, a sitemap whose lastmod spares
unchanged pages a fetch, and a sync that reflects changed, deleted and new pages."""

from __future__ import annotations

import pytest

from faqbot.contracts import SourceSpec
from tests.pipelines.ingest.sites import HTML, Site, page

WEBSITE = SourceSpec(kind="website")


def indexed(kb) -> list[str]:
    return sorted(key.rsplit("/", 1)[1] for key in kb.store.document_hashes("kb"))


def test_a_crawl_stays_within_prefix_depth_and_robots_txt(kb, site):
    report = kb(site.url("/docs/index.html"), spec=WEBSITE)
    assert report.report().errors == []
    # depth 2: deep.html is two links from the start page, deeper.html three
    assert indexed(kb) == ["deep.html", "index.html", "parking.html", "payroll.html", "vpn.html"]
    fetched = site.fetched()
    assert "/docs/private/salaries.html" not in fetched and "/blog/post.html" not in fetched
    assert fetched.count("/docs/vpn.html") == 1  # the #fragment link is the same page
    top = kb.ask("parking permit price")[0].chunk
    assert top.url == site.url("/docs/parking.html")  # the redirect's target, cited


def test_depth_and_page_count_bound_the_crawl(kb, site):
    kb(site.url("/docs/index.html"), spec=SourceSpec(kind="website", depth=0))
    assert indexed(kb) == ["index.html"]
    kb(site.url("/docs/index.html"), spec=SourceSpec(kind="website", max_pages=2))
    assert len(indexed(kb)) == 2


def test_a_sync_reflects_changed_deleted_and_new_pages_and_embeds_only_those(kb, site):
    kb(site.url("/docs/index.html"), spec=SourceSpec(kind="website", depth=1))
    site.pages["/docs/vpn.html"] = page("VPN", "Error 809: use the TLS profile on TCP 443.")
    del site.pages["/docs/payroll.html"]
    site.pages["/docs/wifi.html"] = page("Wi-Fi", "The guest Wi-Fi password changes daily.")
    _, index = site.pages["/docs/index.html"]
    site.pages["/docs/index.html"] = (
        HTML,
        index.replace(b"</nav>", b'<a href="wifi.html">w</a></nav>'),
    )
    kb.embedder.embedded = 0
    report = kb(site.url("/docs/index.html"), spec=SourceSpec(kind="website", depth=1))
    assert report.report().errors == []
    assert indexed(kb) == ["index.html", "parking.html", "vpn.html", "wifi.html"]
    assert (report.changed, report.removed, report.unchanged) == (3, 1, 1)  # index, vpn, wifi
    assert kb.embedder.embedded == 3  # one chunk each; parking.html is not embedded again
    assert "TCP 443" in kb.ask("VPN error 809")[0].chunk.text


def sitemap(site: Site, entries: dict[str, str | None]) -> tuple[str, bytes]:
    urls = "".join(
        f"<url><loc>{site.url(path)}</loc>{f'<lastmod>{mod}</lastmod>' if mod else ''}</url>"
        for path, mod in entries.items()
    )
    xmlns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    return (
        "application/xml",
        f'<?xml version="1.0"?><urlset xmlns="{xmlns}">{urls}</urlset>'.encode(),
    )


def test_a_sitemap_lastmod_spares_unchanged_pages_a_fetch(kb, site):
    entries = {"/docs/vpn.html": "2026-11-01", "/docs/parking.html": "2026-11-01",
               "/docs/private/salaries.html": "2026-11-01", "/docs/payroll.html": None}  # fmt: skip
    site.pages["/docs/sitemap.xml"] = sitemap(site, entries)
    report = kb(site.url("/docs/sitemap.xml"), spec=WEBSITE)
    assert report.report().errors == []
    assert indexed(kb) == ["parking.html", "payroll.html", "vpn.html"]  # robots.txt: no private
    site.fetched()
    site.pages["/docs/vpn.html"] = page("VPN", "Error 809: use the TLS profile on TCP 443.")
    site.pages["/docs/sitemap.xml"] = sitemap(site, {**entries, "/docs/vpn.html": "2026-12-02"})
    report = kb(site.url("/docs/sitemap.xml"), spec=WEBSITE)
    # vpn.html changed; payroll.html has no lastmod, so it is fetched and its bytes compared
    assert site.fetched() == ["/docs/sitemap.xml", "/docs/vpn.html", "/docs/payroll.html"]
    assert (report.changed, report.unchanged) == (1, 2)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("start-gone", "the start page could not be fetched (HTTP 404 Not Found)"),
        ("robots-down", "robots.txt could not be read (HTTP 503 Service Unavailable)"),
        ("robots-all", "may be indexed (robots.txt, noindex)"),
    ],
)
def test_a_site_that_cannot_be_read_is_one_line_and_keeps_what_was_indexed(
    kb, site, change, reason
):
    kb(site.url("/docs/index.html"), spec=WEBSITE)
    before = kb.store.document_hashes("kb")
    if change == "start-gone":
        del site.pages["/docs/index.html"]
    elif change == "robots-down":
        site.failing["/robots.txt"] = 503
    else:
        site.pages["/robots.txt"] = ("text/plain", b"User-agent: *\nDisallow: /\n")
    errors = kb(site.url("/docs/index.html"), spec=WEBSITE).report().errors
    assert len(errors) == 1 and reason in errors[0] and "\n" not in errors[0]
    assert errors[0].startswith(site.url("/docs/index.html"))
    assert kb.store.document_hashes("kb") == before


def test_an_unreachable_host_is_one_line_naming_it(kb, settings):
    settings.fetch_allowed_hosts = ["127.0.0.1"]
    errors = kb("http://127.0.0.1:1/docs/", spec=WEBSITE).report().errors
    assert len(errors) == 1 and errors[0].startswith("http://127.0.0.1:1/docs/: robots.txt")


def test_a_page_over_the_size_limit_is_one_line_and_the_rest_is_indexed(kb, site, settings):
    site.pages["/docs/vpn.html"] = page("VPN", "word " * 60_000)
    settings.max_file_mb = 0.1
    errors = kb(site.url("/docs/index.html"), spec=WEBSITE).report().errors
    assert errors == [
        f"{site.url('/docs/vpn.html')}: 0.3 MB, larger than the 0.1 MB limit (FAQBOT_MAX_FILE_MB)"
    ]
    assert "parking.html" in indexed(kb)
