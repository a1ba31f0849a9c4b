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
        ("https://acme.atlassian.net/wiki/spaces/IT/overview", "confluence"),
        ("https://confluence.corp.example/display/IT", "confluence"),
        ("https://confluence.corp.example/pages/viewpage.action?pageId=123", "confluence"),
        ("https://drive.google.com/drive/u/0/folders/1AbCdEfGhIjKlMn", "drive"),
        ("https://www.notion.so/acme/Handbook-0f1e2d3c4b5a69788796a5b4c3d2e1f0", "notion"),
    ],
)
def test_the_kind_is_told_from_the_url(url, kind):
    assert kind_of_url(url) == kind


def test_group_mappings_are_read_as_admins_write_them():
    from faqbot.visibility import parse_group_channels

    text = "hr-team=C0HR00001, C0HR00002; staff@acme.example = public\nIT Ops=#C0OPS0001"
    assert parse_group_channels(text) == {
        "hr-team": ["C0HR00001", "C0HR00002"],
        "staff@acme.example": ["public"],
        "IT Ops": ["C0OPS0001"],
    }
    assert parse_group_channels("  ") is None
    with pytest.raises(ValueError, match="'hr-team': write group=C0123ABC"):
        parse_group_channels("hr-team")
    with pytest.raises(ValueError, match="'general' is not a Slack channel ID"):
        parse_group_channels("hr=general")
