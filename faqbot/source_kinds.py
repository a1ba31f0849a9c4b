"""What names a source: which connector reads a URL an admin adds, told from the URL alone
(one rule for `/faq-admin add` and `faqbot ingest`), the forges whose file links a Git source
cites, and how a Slack thread added as a source is written as its location."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from faqbot.visibility import CHANNEL_ID

THREAD_PREFIX = "slack-thread:"
_THREAD = re.compile(rf"{THREAD_PREFIX}({CHANNEL_ID.pattern})/(\d{{1,12}}\.\d{{1,8}})")

# How each forge links to a file at a commit; a repository elsewhere is cited without a link.
GIT_FORGES = {
    "github.com": "{base}/blob/{commit}/{path}",
    "gitlab.com": "{base}/-/blob/{commit}/{path}",
    "bitbucket.org": "{base}/src/{commit}/{path}",
    "codeberg.org": "{base}/src/commit/{commit}/{path}",
}


def kind_of_url(url: str) -> str:
    """confluence: an Atlassian wiki or a …/display/, …/spaces/ or viewpage.action URL;
    drive: a Google Drive folder; notion: a notion.so or notion.site page; git: a URL ending
    in .git, or a forge's owner/repository page; website: a sitemap (.xml) or a folder (a
    path ending in /, or none); url: one page or file."""
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path.lower()
    segments = [segment for segment in path.split("/") if segment]
    if host == "drive.google.com" and "/folders/" in path:
        return "drive"
    if host.endswith(("notion.so", "notion.site")):
        return "notion"
    if host.endswith("atlassian.net") and path.startswith("/wiki") or _confluence_path(path):
        return "confluence"
    if path.endswith(".git") or (host in GIT_FORGES and len(segments) == 2):
        return "git"
    if path.endswith((".xml", "/")) or not segments:
        return "website"
    return "url"


def _confluence_path(path: str) -> bool:
    return "/pages/viewpage.action" in path or path.startswith(("/display/", "/spaces/"))


def thread_target(channel: str, thread_ts: str) -> str:
    """A Slack thread as a source's location: `slack-thread:C0123/1700000000.000100`."""
    target = f"{THREAD_PREFIX}{channel}/{thread_ts}"
    parse_thread_target(target)
    return target


def parse_thread_target(target: str) -> tuple[str, str]:
    """The channel and thread ts a thread target names; ValueError for anything else."""
    match = _THREAD.fullmatch(target)
    if match is None:
        raise ValueError(f"{target!r} is not a Slack thread (slack-thread:<channel>/<ts>)")
    return match.group(1), match.group(2)
