"""Which connector reads a URL an admin adds, told from the URL alone: one rule for
`/faq-admin add` and `faqbot ingest`, and the forges whose file links a Git source cites."""

from __future__ import annotations

from urllib.parse import urlsplit

# How each forge links to a file at a commit; a repository elsewhere is cited without a link.
GIT_FORGES = {
    "github.com": "{base}/blob/{commit}/{path}",
    "gitlab.com": "{base}/-/blob/{commit}/{path}",
    "bitbucket.org": "{base}/src/{commit}/{path}",
    "codeberg.org": "{base}/src/commit/{commit}/{path}",
}


def kind_of_url(url: str) -> str:
    """git: a URL ending in .git, or a forge's owner/repository page; website: a sitemap
    (.xml) or a folder (a path ending in /, or none); url: one page or file."""
    parts = urlsplit(url)
    path = parts.path.lower()
    segments = [segment for segment in path.split("/") if segment]
    if path.endswith(".git") or ((parts.hostname or "") in GIT_FORGES and len(segments) == 2):
        return "git"
    if path.endswith((".xml", "/")) or not segments:
        return "website"
    return "url"
