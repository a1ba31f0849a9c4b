"""Confluence, Cloud or Data Center, through its REST API (v1, which both serve): every current
page of a space, or a page and the pages under it. A page's version number is its change
marker; its rendered HTML (body.view) keeps the headings the chunker splits on.

Permissions: a space readable only by some groups (or a page tree whose root page restricts
reading) is shown only in the channels the admin mapped those groups to, never wider than the
visibility asked for; a page with read restrictions of its own is left out (counted).

Credentials: the secret the source names holds `email:api-token` (Cloud: HTTP Basic) or a
personal access token (Data Center: Bearer).
"""

from __future__ import annotations

import base64
import html
import re
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from faqbot.contracts import SourceSpec
from faqbot.settings import Settings
from faqbot.visibility import permitted
from pipelines.ingest.connectors.base import ReadDocument, RemoteDocument
from pipelines.ingest.connectors.rest import RestApi, read_secret
from pipelines.ingest.documents import ItemError
from pipelines.ingest.fetch import check_scheme

SERVICE = "Confluence"
MAX_LISTING_CALLS = 1000  # pages of results: 50,000 pages at the default page size
_SPACE = re.compile(r"^(?P<base>.*?)/(?:spaces|display)/(?P<space>[^/?#]+)")
_PAGE = re.compile(r"^(?P<base>.*?)/spaces/(?P<space>[^/]+)/pages/(?P<page>\d+)")


def parse_location(url: str) -> tuple[str, str | None, str | None]:
    """(REST base, space key, page id) from a space or page URL as a browser shows it:
    …/wiki/spaces/IT, …/wiki/spaces/IT/pages/123/Title, …/display/IT,
    …/pages/viewpage.action?pageId=123."""
    parts = urlsplit(url)
    page_id = parse_qs(parts.query).get("pageId", [None])[0]
    if page_id and "/pages/viewpage.action" in parts.path:
        base = url.split("/pages/viewpage.action", 1)[0]
        return base, None, page_id
    if match := _PAGE.match(url):
        return match["base"], match["space"], match["page"]
    if match := _SPACE.match(url):
        return match["base"], match["space"], None
    raise ItemError("not a Confluence space or page URL (…/spaces/KEY or …/pages/ID)")


class ConfluenceConnector:
    kind = "confluence"

    def __init__(self, target: str, spec: SourceSpec, settings: Settings):
        check_scheme(target)
        self.root, self.settings, self.groups = target, settings, spec.groups
        self.base, self.space, self.page_id = parse_location(target)
        secret = read_secret(settings, spec.credential, SERVICE)
        if ":" in secret:
            auth = "Basic " + base64.b64encode(secret.encode()).decode()
        else:
            auth = f"Bearer {secret}"
        self.api = RestApi(settings, SERVICE, {"Authorization": auth, "Accept": "application/json"})
        self.skipped = 0
        self._readers: list[str] | None = None
        self._titles: dict[str, str] = {}

    def documents(self) -> list[RemoteDocument]:
        expand = "version,restrictions.read.restrictions.group,restrictions.read.restrictions.user"
        if self.page_id:
            root = self._get(f"/rest/api/content/{self.page_id}?expand={expand}", "page")
            self._readers = _restricted_to(root)
            cql = f"ancestor={self.page_id} and type=page"
            pages = [
                root,
                *self._listing("/rest/api/content/search", {"cql": cql, "expand": expand}),
            ]
        else:
            space = self._get(f"/rest/api/space/{quote(self.space)}?expand=permissions", "space")
            self._readers = _space_readers(space)
            query = {"spaceKey": self.space, "type": "page", "status": "current", "expand": expand}
            pages = self._listing("/rest/api/content", query)
        root, listed = (pages[0] if self.page_id else None), []
        for page in pages:
            if page is not root and _restricted_to(page) is not None:
                self.skipped += 1  # restricted more narrowly than the source: left out
                continue
            listed.append(self._document(page))
        return listed

    def read(self, document: RemoteDocument) -> ReadDocument:
        page = self._get(f"/rest/api/content/{document.doc_key}?expand=body.view", "page")
        body = ((page.get("body") or {}).get("view") or {}).get("value") or ""
        title = html.escape(page.get("title") or self._titles.get(document.doc_key, ""))
        return ReadDocument(
            f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode(), ".html"
        )

    def visibility(self, asked: list[str]) -> list[str]:
        return permitted(asked, self._readers, self.groups)

    def close(self) -> None:
        pass

    def _document(self, page: dict) -> RemoteDocument:
        page_id, version = str(page["id"]), (page.get("version") or {}).get("number")
        self._titles[page_id] = page.get("title") or page_id
        webui = (page.get("_links") or {}).get("webui")
        url = f"{self.base}{webui}" if webui else None
        return RemoteDocument(
            page_id, url or f"{self.root} page {page_id}",
            marker=f"version:{version}" if version else None, url=url,
        )  # fmt: skip

    def _get(self, path: str, what: str) -> dict:
        try:
            return self.api.get(self.base + path)
        except ItemError as exc:
            if "HTTP 404" in str(exc):
                name = self.space if what == "space" else self.page_id
                raise ItemError(f"{SERVICE} has no {what} {name!r} (HTTP 404)") from exc
            raise

    def _listing(self, path: str, query: dict) -> list[dict]:
        """Every result of a paginated listing, following `_links.next`."""
        query = {**query, "limit": self.settings.confluence_page_limit}
        url, results = f"{self.base}{path}?{urlencode(query)}", []
        for _ in range(MAX_LISTING_CALLS):
            page = self.api.get(url)
            results += page.get("results") or []
            following = (page.get("_links") or {}).get("next")
            if not following:
                return results
            url = self.base + following
        raise ItemError(f"{SERVICE}: more than {MAX_LISTING_CALLS} pages of results")


def _restricted_to(page: dict) -> list[str] | None:
    """The groups (and people) a page's own read restriction names; None when it has none."""
    read = ((page.get("restrictions") or {}).get("read") or {}).get("restrictions") or {}
    groups = [g.get("name") for g in (read.get("group") or {}).get("results") or []]
    users = [
        u.get("accountId") or u.get("username")
        for u in (read.get("user") or {}).get("results") or []
    ]
    named = [name for name in (*groups, *users) if name]
    return named or None


def _space_readers(space: dict) -> list[str] | None:
    """The groups that may read a space; None when anyone may (anonymous access), or when the
    listing of permissions is not shown to this credential (then pages' own restrictions
    still apply)."""
    permissions = space.get("permissions")
    if not permissions:
        return None
    readers = []
    for permission in permissions:
        operation = permission.get("operation") or {}
        if (operation.get("operation"), operation.get("targetType")) != ("read", "space"):
            continue
        if permission.get("anonymousAccess"):
            return None
        subjects = (permission.get("subjects") or {}).get("group") or {}
        readers += [
            group.get("name") for group in subjects.get("results") or [] if group.get("name")
        ]
    return sorted(set(readers)) or None
