"""Notion, through its public API (version 2022-06-28): every page of a database, or a page
and its child pages. A page's last_edited_time is its change marker; its blocks become
Markdown (headings, lists, to-dos, quotes, code, tables), so the chunker keeps its sections.

Permissions: Notion shows an integration only what was shared with it and says nothing of who
else may read a page, so a Notion source is visible where the admin said. The secret the
source names holds the integration token.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

from faqbot.contracts import SourceSpec
from faqbot.settings import Settings
from pipelines.ingest.connectors.base import ReadDocument, RemoteDocument, Unrestricted
from pipelines.ingest.connectors.rest import RestApi, read_secret
from pipelines.ingest.documents import ItemError
from pipelines.ingest.fetch import check_scheme

SERVICE = "Notion"
NOTION_VERSION = "2022-06-28"
PAGE_SIZE = 100
MAX_DEPTH = 8  # nested blocks and child pages followed
_ID = re.compile(r"([0-9a-f]{32})(?:[?#]|$)")
PREFIXES = {
    "heading_1": "# ", "heading_2": "## ", "heading_3": "### ", "bulleted_list_item": "- ",
    "numbered_list_item": "1. ", "quote": "> ", "callout": "> ", "toggle": "",
    "paragraph": "",
}  # fmt: skip


def notion_id(url: str) -> str:
    """The page or database id in a Notion URL (the 32 hex digits ending its path), dashed."""
    match = _ID.search(urlsplit(url).path.replace("-", "") + "#")
    if match is None:
        raise ItemError("not a Notion page or database URL (…/Title-<32 hex digits>)")
    raw = match.group(1)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


class NotionConnector(Unrestricted):
    kind = "notion"

    def __init__(self, target: str, spec: SourceSpec, settings: Settings):
        check_scheme(target)
        self.root, self.settings, self.id = target, settings, notion_id(target)
        self.max_pages = spec.max_pages or settings.crawl_max_pages
        token = read_secret(settings, spec.credential, SERVICE)
        headers = {"Authorization": f"Bearer {token}", "Notion-Version": NOTION_VERSION}
        self.api = RestApi(settings, SERVICE, headers)

    def documents(self) -> list[RemoteDocument]:
        database = self._database()
        pages = self._database_pages() if database else self._page_tree(self.id, 0, [])
        return [self._document(page) for page in pages[: self.max_pages]]

    def read(self, document: RemoteDocument) -> ReadDocument:
        page = self._get(f"/v1/pages/{document.doc_key}")
        lines = [f"# {_title(page)}", ""]
        self._blocks(document.doc_key, lines, 0)
        return ReadDocument("\n".join(lines).encode(), ".md")

    def _url(self, path: str, **query) -> str:
        query = {k: v for k, v in query.items() if v is not None}
        return f"{self.settings.notion_api_url}{path}" + (f"?{urlencode(query)}" if query else "")

    def _get(self, path: str, **query) -> dict:
        return self.api.get(self._url(path, **query))

    def _database(self) -> bool:
        """Whether the id is a database (else it must be a page the integration can see)."""
        response = self.api.send("GET", self._url(f"/v1/databases/{self.id}"))
        if response.status in (400, 404):
            self._get(f"/v1/pages/{self.id}")  # raises, naming the reason, if not a page either
            return False
        self.api.check(response)
        return True

    def _database_pages(self) -> list[dict]:
        pages, cursor = [], None
        while len(pages) < self.max_pages:
            body = {"page_size": PAGE_SIZE, **({"start_cursor": cursor} if cursor else {})}
            result = self.api.post(self._url(f"/v1/databases/{self.id}/query"), body)
            pages += result.get("results") or []
            cursor = result.get("next_cursor")
            if not result.get("has_more") or not cursor:
                break
        return pages

    def _page_tree(self, page_id: str, depth: int, found: list[dict]) -> list[dict]:
        found.append(self._get(f"/v1/pages/{page_id}"))
        if depth >= MAX_DEPTH:
            return found
        for block in self._children(page_id):
            if block.get("type") == "child_page" and len(found) < self.max_pages:
                self._page_tree(block["id"], depth + 1, found)
        return found

    def _children(self, block_id: str) -> list[dict]:
        blocks, cursor = [], None
        while True:
            page = self._get(f"/v1/blocks/{block_id}/children", page_size=PAGE_SIZE,
                             start_cursor=cursor)  # fmt: skip
            blocks += page.get("results") or []
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return blocks

    def _blocks(self, block_id: str, lines: list[str], depth: int) -> None:
        for block in self._children(block_id):
            kind = block.get("type", "")
            content = block.get(kind) or {}
            if kind == "child_page":
                continue  # a document of its own
            if kind == "code":
                lines += ["```", _text(content), "```", ""]
            elif kind == "to_do":
                lines += [f"- [{'x' if content.get('checked') else ' '}] {_text(content)}"]
            elif kind == "table_row":
                lines.append(
                    "| " + " | ".join(_plain(cell) for cell in content.get("cells", [])) + " |"
                )
            elif kind in PREFIXES:
                lines += [PREFIXES[kind] + _text(content), ""]
            if block.get("has_children") and depth < MAX_DEPTH:
                self._blocks(block["id"], lines, depth + 1)
                if kind == "table":
                    lines.append("")

    def _document(self, page: dict) -> RemoteDocument:
        edited = page.get("last_edited_time")
        return RemoteDocument(
            page["id"], page.get("url") or f"{self.root} page {page['id']}",
            marker=f"edited:{edited}" if edited else None, url=page.get("url"),
        )  # fmt: skip


def _plain(rich_text: list[dict]) -> str:
    return "".join(part.get("plain_text", "") for part in rich_text or [])


def _text(content: dict) -> str:
    return _plain(content.get("rich_text") or [])


def _title(page: dict) -> str:
    for prop in (page.get("properties") or {}).values():
        if prop.get("type") == "title":
            return _plain(prop.get("title")) or "Untitled"
    return "Untitled"
