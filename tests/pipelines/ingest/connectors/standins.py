"""Stand-ins for the services these machines cannot reach, serving their documented REST
responses on loopback: Confluence's REST API v1 (Cloud paths, under /wiki), with pagination by
`_links.next`, page restrictions, space permissions, 401/404 errors and 429 rate limits.
Like the Slack stand-in, each checks the credential it was given and records every request."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.pipelines.ingest.loopback import serving

Route = Callable[["Request"], tuple[int, dict]]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict | None
    raw: bytes = b""


@dataclass
class StandIn:
    """What every stand-in shares: the expected credential, requests seen, and throttling
    (the next `throttle` requests answer 429 with Retry-After: 0)."""

    authorization: str
    requests: list[Request] = field(default_factory=list)
    throttle: int = 0
    base: str = ""

    def answer(self, request: Request) -> tuple[int, dict, dict]:
        self.requests.append(request)
        if self.throttle > 0:
            self.throttle -= 1
            return 429, {"message": "Rate limit exceeded"}, {"Retry-After": "0"}
        if request.headers.get("authorization") != self.authorization:
            return 401, {"statusCode": 401, "message": "Unauthorized; scope does not match"}, {}
        status, body = self.route(request)
        return status, body, {}

    def route(self, request: Request) -> tuple[int, dict]:
        raise NotImplementedError


@contextmanager
def serving_standin(standin: StandIn) -> Iterator[StandIn]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self._answer()

        def do_POST(self):
            self._answer()

        def _answer(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Request(
                self.command,
                parts.path,
                {k: v[0] for k, v in parse_qs(parts.query).items()},
                {k.lower(): v for k, v in self.headers.items()},
                _json_or_none(raw),
                raw,
            )
            status, body, headers = standin.answer(request)
            raw_body = "_raw" in body  # a file's own bytes, not JSON
            data = body["_raw"] if raw_body else json.dumps(body).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/octet-stream" if raw_body else "application/json"
            )
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as server:
        standin.base = f"http://127.0.0.1:{server.server_address[1]}"
        yield standin


def _json_or_none(raw: bytes) -> dict | None:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None  # a form, as the token endpoint takes


@dataclass
class ConfluencePage:
    id: str
    title: str
    html: str
    space: str = "IT"
    version: int = 1
    parent: str | None = None
    restricted_to: list[str] = field(default_factory=list)  # group names


@dataclass
class ConfluenceStandIn(StandIn):
    """Confluence Cloud's REST API v1 under /wiki."""

    pages: dict[str, ConfluencePage] = field(default_factory=dict)
    spaces: dict[str, list[str] | None] = field(default_factory=dict)  # key → reader groups

    def route(self, request: Request) -> tuple[int, dict]:
        path = request.path.removeprefix("/wiki")
        if match := re.fullmatch(r"/rest/api/space/([^/]+)", path):
            return self._space(match[1])
        if path == "/rest/api/content":
            found = [p for p in self.pages.values() if p.space == request.query.get("spaceKey")]
            return self._listing(path, request, found)
        if path == "/rest/api/content/search":
            ancestor = re.match(r"ancestor=(\d+)", request.query.get("cql", ""))
            found = [p for p in self.pages.values() if ancestor and self._under(p, ancestor[1])]
            return self._listing(path, request, found)
        if match := re.fullmatch(r"/rest/api/content/(\d+)", path):
            page = self.pages.get(match[1])
            if page is None:
                return 404, {"statusCode": 404, "message": f"No content found with id: {match[1]}"}
            return 200, self._page(page, body="body.view" in request.query.get("expand", ""))
        return 404, {"statusCode": 404, "message": "null for uri"}

    def _space(self, key: str) -> tuple[int, dict]:
        if key not in self.spaces:
            return 404, {"statusCode": 404, "message": f"No space with key : {key}"}
        readers = self.spaces[key]
        if readers is None:
            permissions = [{"operation": {"operation": "read", "targetType": "space"},
                            "anonymousAccess": True}]  # fmt: skip
        else:
            group = {"results": [{"type": "group", "name": name} for name in readers]}
            permissions = [{"operation": {"operation": "read", "targetType": "space"},
                            "subjects": {"group": group}}]  # fmt: skip
        return 200, {"key": key, "name": key, "permissions": permissions}

    def _under(self, page: ConfluencePage, ancestor: str) -> bool:
        while page.parent:
            if page.parent == ancestor:
                return True
            page = self.pages[page.parent]
        return False

    def _listing(self, path: str, request: Request, found: list) -> tuple[int, dict]:
        start, limit = int(request.query.get("start", 0)), int(request.query.get("limit", 25))
        results = [self._page(p) for p in found[start : start + limit]]
        links = {"base": f"{self.base}/wiki", "context": "/wiki"}
        if start + limit < len(found):
            query = {**request.query, "start": start + limit}
            links["next"] = f"{path}?{urlencode(query)}"
        return 200, {"results": results, "start": start, "limit": limit, "size": len(results),
                     "_links": links}  # fmt: skip

    def _page(self, page: ConfluencePage, body: bool = False) -> dict:
        group = {"results": [{"type": "group", "name": name} for name in page.restricted_to]}
        data = {
            "id": page.id,
            "type": "page",
            "status": "current",
            "title": page.title,
            "version": {"number": page.version},
            "restrictions": {"read": {"restrictions": {"group": group, "user": {"results": []}}}},
            "_links": {"webui": f"/spaces/{page.space}/pages/{page.id}"},
        }
        if body:
            data["body"] = {"view": {"value": page.html, "representation": "view"}}
        return data


def rich(text: str) -> list[dict]:
    return [{"type": "text", "text": {"content": text}, "plain_text": text}]


def block(kind: str, text: str = "", children: list[dict] | None = None, **extra) -> dict:
    """A Notion block as the API returns it; `children` are served by /v1/blocks/{id}/children."""
    content = {"rich_text": rich(text), **extra} if kind != "table_row" else extra
    return {"object": "block", "id": f"b-{abs(hash((kind, text, id(children)))) % 10**12:012d}",
            "type": kind, kind: content, "has_children": bool(children),
            "_children": children or []}  # fmt: skip


@dataclass
class NotionPage:
    id: str
    title: str
    blocks: list[dict]
    edited: str = "2026-11-01T09:00:00.000Z"
    parent: str | None = None  # a page id
    database: str | None = None


@dataclass
class NotionStandIn(StandIn):
    """Notion's API (2022-06-28): databases queried with cursors, pages, block children."""

    pages: dict[str, NotionPage] = field(default_factory=dict)
    databases: set[str] = field(default_factory=set)
    page_size: int = 2  # results per call, whatever was asked: pagination is always exercised

    def route(self, request: Request) -> tuple[int, dict]:
        if request.headers.get("notion-version") != "2022-06-28":
            return 400, {"object": "error", "status": 400, "code": "missing_version",
                         "message": "Notion-Version header failed validation"}  # fmt: skip
        if match := re.fullmatch(r"/v1/databases/([0-9a-f-]+)", request.path):
            if match[1] not in self.databases:
                return self._missing("database", match[1])
            return 200, {"object": "database", "id": match[1]}
        if match := re.fullmatch(r"/v1/databases/([0-9a-f-]+)/query", request.path):
            found = [self._page(p) for p in self.pages.values() if p.database == match[1]]
            return 200, self._list(found, (request.body or {}).get("start_cursor"))
        if match := re.fullmatch(r"/v1/pages/([0-9a-f-]+)", request.path):
            page = self.pages.get(match[1])
            return (200, self._page(page)) if page else self._missing("page", match[1])
        if match := re.fullmatch(r"/v1/blocks/([0-9a-z-]+)/children", request.path):
            children = self._children(match[1])
            if children is None:
                return self._missing("block", match[1])
            shown = [{k: v for k, v in b.items() if k != "_children"} for b in children]
            return 200, self._list(shown, request.query.get("start_cursor"))
        return 400, {"object": "error", "status": 400, "code": "invalid_request_url"}

    def _children(self, block_id: str) -> list[dict] | None:
        if block_id in self.pages:
            subpages = [block("child_page", "", title=p.title) | {"id": p.id}
                        for p in self.pages.values() if p.parent == block_id]  # fmt: skip
            return self.pages[block_id].blocks + subpages
        stack = [b for p in self.pages.values() for b in p.blocks]
        while stack:
            current = stack.pop()
            if current["id"] == block_id:
                return current["_children"]
            stack += current["_children"]
        return None

    def _list(self, items: list[dict], cursor: str | None) -> dict:
        start = int(cursor or 0)
        end = start + self.page_size
        more = end < len(items)
        return {"object": "list", "results": items[start:end], "has_more": more,
                "next_cursor": str(end) if more else None}  # fmt: skip

    def _page(self, page: NotionPage) -> dict:
        return {
            "object": "page",
            "id": page.id,
            "url": f"https://www.notion.so/{page.title.replace(' ', '-')}-{page.id.replace('-', '')}",
            "last_edited_time": page.edited,
            "properties": {"Name": {"id": "title", "type": "title", "title": rich(page.title)}},
        }

    def _missing(self, kind: str, object_id: str) -> tuple[int, dict]:
        return 404, {
            "object": "error",
            "status": 404,
            "code": "object_not_found",
            "message": f"Could not find {kind} with ID: {object_id}. Make sure the relevant "
            "pages and databases are shared with your integration.",
        }


@dataclass
class DriveFile:
    id: str
    name: str
    mime: str
    data: bytes = b""
    parent: str = "root"
    modified: str = "2026-11-01T09:00:00.000Z"


@dataclass
class DriveStandIn(StandIn):
    """Google's token endpoint (the JWT bearer grant, signature checked with the service
    account's public key) and Drive API v3: folder listings with page tokens, permissions,
    Docs exported as HTML and files downloaded with alt=media."""

    public_key: object = None
    files: dict[str, DriveFile] = field(default_factory=dict)
    shared_with: list[dict] = field(default_factory=list)  # the folder's permissions
    page_size: int = 2

    def answer(self, request: Request) -> tuple[int, dict, dict]:
        if request.path == "/token":
            self.requests.append(request)
            return (*self._grant(request), {})
        return super().answer(request)

    def _grant(self, request: Request) -> tuple[int, dict]:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        form = {k: v[0] for k, v in parse_qs(request.raw.decode()).items()}
        head, claims, signature = form.get("assertion", "..").split(".")
        padded = signature + "=" * (-len(signature) % 4)
        try:
            self.public_key.verify(base64.urlsafe_b64decode(padded), f"{head}.{claims}".encode(),
                                   padding.PKCS1v15(), hashes.SHA256())  # fmt: skip
        except (InvalidSignature, ValueError):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        return 200, {"access_token": "ya29.standin", "expires_in": 3599, "token_type": "Bearer"}

    def route(self, request: Request) -> tuple[int, dict]:
        if request.path == "/drive/v3/files":
            parent = re.match(r"'([^']+)' in parents", request.query.get("q", ""))
            found = [self._meta(f) for f in self.files.values() if parent and f.parent == parent[1]]
            start = int(request.query.get("pageToken") or 0)
            page = {"files": found[start : start + self.page_size]}
            if start + self.page_size < len(found):
                page["nextPageToken"] = str(start + self.page_size)
            return 200, page
        if match := re.fullmatch(r"/drive/v3/files/([\w-]+)/permissions", request.path):
            return 200, {"permissions": self.shared_with}
        if match := re.fullmatch(r"/drive/v3/files/([\w-]+)(/export)?", request.path):
            item = self.files.get(match[1])
            if item is None:
                return 404, {"error": {"code": 404, "message": f"File not found: {match[1]}."}}
            if match[2] or request.query.get("alt") == "media":
                return 200, {"_raw": item.data}
            return 200, self._meta(item)
        return 404, {"error": {"code": 404, "message": "Not Found"}}

    def _meta(self, item: DriveFile) -> dict:
        meta = {"id": item.id, "name": item.name, "mimeType": item.mime,
                "modifiedTime": item.modified, "webViewLink": f"https://docs.google.com/d/{item.id}"}  # fmt: skip
        if not item.mime.startswith("application/vnd.google-apps"):
            meta |= {"size": str(len(item.data)), "md5Checksum": hashlib.md5(item.data).hexdigest()}
        return meta
