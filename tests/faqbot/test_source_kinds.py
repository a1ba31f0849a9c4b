"""The kind of source `/faq-admin add <url>` reads a URL as."""

import pytest

from faqbot.source_kinds import kind_of_url


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://github.com/acme/handbook", "git"),
        ("https://github.com/acme/handbook/", "git"),
        ("https://git.corp.example/it/handbook.git", "git"),
        ("https://intranet.example/", "website"),
        ("https://intranet.example", "website"),
        ("https://intranet.example/it/docs/", "website"),
        ("https://intranet.example/sitemap.xml", "website"),
        ("https://intranet.example/it/parking.html", "url"),
        ("https://intra.example/parking", "url"),
        ("https://github.com/acme/handbook/blob/main/README.md", "url"),
    ],
)
def test_the_kind_is_told_from_the_url(url, kind):
    assert kind_of_url(url) == kind
