"""A website: the pages a sitemap lists, or a crawl from a start page bounded by URL prefix,
depth and page count. Every request goes through the SSRF-safe fetcher and robots.txt is
honoured (its Disallow rules, Crawl-delay up to MAX_CRAWL_DELAY_S, and `noindex` pages).

A sitemap's <lastmod> is the change marker, so an unchanged page is not fetched again. A
crawl has to fetch every page to find its links; the bytes then decide what is embedded.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
import urllib.robotparser
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit
from xml.etree import ElementTree

from faqbot.contracts import SourceSpec
from faqbot.settings import Settings
from pipelines.ingest.connectors.base import ReadDocument, RemoteDocument, Unrestricted
from pipelines.ingest.documents import ItemError
from pipelines.ingest.fetch import CONTENT_TYPES, Fetched, check_scheme, fetch_with

ROBOTS_AGENT = "faqbot-ingest"
MAX_CRAWL_DELAY_S = 5.0
MAX_SITEMAPS = 20  # a sitemap index and the sitemaps it names, at most
TEXT_TYPES = {"text/plain": ".txt"}
XML_TYPES = {"application/xml": ".xml", "text/xml": ".xml"}
GONE = ("HTTP 404", "HTTP 410")  # a page that answers so is deleted, not failing
_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


class WebsiteConnector(Unrestricted):
    kind = "website"

    def __init__(self, url: str, spec: SourceSpec, settings: Settings):
        check_scheme(url)
        self.root, self.settings = url, settings
        self.depth = settings.crawl_depth if spec.depth is None else spec.depth
        self.max_pages = spec.max_pages or settings.crawl_max_pages
        parts = urlsplit(url)
        self.prefix = f"{parts.scheme}://{parts.netloc}{(parts.path or '/').rsplit('/', 1)[0]}/"
        self._spool = tempfile.TemporaryDirectory(prefix="faqbot-crawl-")
        self._pages: dict[str, tuple[Path, str]] = {}  # doc_key → spooled body, suffix
        self._failed: dict[str, str] = {}  # doc_key → why it could not be fetched
        self._robots: urllib.robotparser.RobotFileParser | None = None
        self._last_request = 0.0

    def documents(self) -> list[RemoteDocument]:
        self._robots = self._read_robots()
        sitemap = urlsplit(self.root).path.lower().endswith(".xml")
        listed = self._from_sitemap() if sitemap else self._crawl()
        if not listed:  # robots.txt or noindex kept every page out: not "all deleted"
            raise ItemError(f"no page under {self.prefix} may be indexed (robots.txt, noindex)")
        return listed

    def read(self, document: RemoteDocument) -> ReadDocument:
        if document.doc_key in self._failed:
            raise ItemError(self._failed[document.doc_key])
        if document.doc_key in self._pages:
            path, suffix = self._pages[document.doc_key]
            return ReadDocument(path.read_bytes(), suffix)
        page = self._fetch(document.location)
        return ReadDocument(page.body, page.suffix)

    def close(self) -> None:
        self._spool.cleanup()

    def _fetch(self, url: str, content_types: dict[str, str] = CONTENT_TYPES) -> Fetched:
        delay = min(self._crawl_delay(), MAX_CRAWL_DELAY_S)
        wait = self._last_request + delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            return fetch_with(self.settings, url, content_types)
        finally:
            self._last_request = time.monotonic()

    def _crawl_delay(self) -> float:
        delay = self._robots.crawl_delay(ROBOTS_AGENT) if self._robots else None
        return float(delay or 0)

    def _read_robots(self) -> urllib.robotparser.RobotFileParser:
        """RFC 9309: a robots.txt that is missing (4xx) allows everything; one that cannot
        be read (5xx, unreachable) stops the sync, so nothing indexed is removed."""
        parts = urlsplit(self.root)
        url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        robots = urllib.robotparser.RobotFileParser(url)
        try:
            text = self._fetch(url, TEXT_TYPES).body.decode("utf-8", "replace")
        except ItemError as exc:
            if str(exc).startswith("HTTP 4"):
                robots.parse([])
                return robots
            raise ItemError(f"robots.txt could not be read ({exc})") from exc
        robots.parse(text.splitlines())
        return robots

    def _allowed(self, url: str) -> bool:
        return url.startswith(self.prefix) and self._robots.can_fetch(ROBOTS_AGENT, url)

    def _from_sitemap(self) -> list[RemoteDocument]:
        listed: dict[str, str | None] = {}
        queue, seen = deque([self.root]), set()
        while queue and len(seen) < MAX_SITEMAPS and len(listed) < self.max_pages:
            sitemap = queue.popleft()
            seen.add(sitemap)
            for kind, loc, lastmod in _sitemap_entries(self._fetch(sitemap, XML_TYPES).body):
                if kind == "sitemap" and loc not in seen:
                    queue.append(loc)
                elif kind == "url" and self._allowed(loc) and len(listed) < self.max_pages:
                    listed[loc] = lastmod
        return [
            RemoteDocument(url, url, marker=f"lastmod:{lastmod}" if lastmod else None, url=url)
            for url, lastmod in listed.items()
        ]

    def _crawl(self) -> list[RemoteDocument]:
        """Breadth first from the start page. The start page failing stops the sync; any
        other page failing is one item error, and a page that is gone (404, 410) is left out,
        so that the sync removes it."""
        listed: list[RemoteDocument] = []
        queue, seen = deque([(self.root, 0)]), {self.root}
        while queue and len(listed) < self.max_pages:
            url, depth = queue.popleft()
            if not self._allowed(url):
                continue
            try:
                page = self._fetch(url)
            except ItemError as exc:
                if url == self.root:
                    raise ItemError(f"the start page could not be fetched ({exc})") from exc
                if not str(exc).startswith(GONE):
                    self._failed[url] = str(exc)
                    listed.append(RemoteDocument(url, url, url=url))
                continue
            final = urldefrag(page.url).url
            if final != url and (final in seen or not self._allowed(final)):
                continue  # a redirect to a page already listed, or out of bounds
            seen.add(final)
            links, indexable = _links(page) if page.suffix == ".html" else ([], True)
            if indexable:
                listed.append(self._spooled(final, page))
            for link in links if depth < self.depth else ():
                if link not in seen:
                    seen.add(link)
                    queue.append((link, depth + 1))
        return listed

    def _spooled(self, url: str, page: Fetched) -> RemoteDocument:
        digest = hashlib.sha256(page.body).hexdigest()
        path = Path(self._spool.name) / f"{len(self._pages)}{page.suffix}"
        path.write_bytes(page.body)
        self._pages[url] = (path, page.suffix)
        return RemoteDocument(url, url, marker=f"sha256:{digest[:32]}", url=url)


def _links(page: Fetched) -> tuple[list[str], bool]:
    """The page's http(s) links without fragments, and whether it may be indexed (a robots
    meta tag's noindex says no; nofollow drops its links)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.body, "lxml")
    meta = soup.find("meta", attrs={"name": "robots"})
    rules = {rule.strip().lower() for rule in (meta.get("content", "") if meta else "").split(",")}
    if "nofollow" in rules or "none" in rules:
        return [], not ({"noindex", "none"} & rules)
    links = []
    for anchor in soup.find_all("a", href=True):
        link = urldefrag(urljoin(page.url, anchor["href"].strip())).url
        if urlsplit(link).scheme in ("http", "https"):
            links.append(link)
    return list(dict.fromkeys(links)), "noindex" not in rules


def _sitemap_entries(body: bytes) -> list[tuple[str, str, str | None]]:
    """(url or sitemap, loc, lastmod) for each entry of a sitemap or sitemap index."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise ItemError(f"the sitemap is not valid XML ({exc})") from exc
    entries = []
    for element in root:
        kind = element.tag.removeprefix(_SITEMAP_NS)
        loc = element.findtext(f"{_SITEMAP_NS}loc") or element.findtext("loc")
        lastmod = element.findtext(f"{_SITEMAP_NS}lastmod") or element.findtext("lastmod")
        if kind in ("url", "sitemap") and loc:
            entries.append((kind, urldefrag(loc.strip()).url, lastmod and lastmod.strip()))
    return entries
