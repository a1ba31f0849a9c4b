"""Google Drive, through the Drive API v3 under a service account: every file in a folder and
its subfolders that faqbot can read. Google Docs are exported as HTML (headings kept); PDFs,
DOCX, Markdown, text and HTML files are downloaded and read by the usual loaders. A file's
md5Checksum (a Doc's modifiedTime) is its change marker.

Permissions: a folder shared with anyone or the whole domain is visible where the admin said;
one shared only with groups or people is shown in the channels the admin mapped those email
addresses to, never wider than asked. The secret the source names holds the service account's
JSON key; the folder must be shared with that account.
"""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import quote, urlencode

from faqbot.contracts import SourceSpec
from faqbot.settings import Settings
from faqbot.visibility import permitted
from pipelines.ingest.connectors.base import ReadDocument, RemoteDocument
from pipelines.ingest.connectors.rest import RestApi, read_secret
from pipelines.ingest.documents import ItemError
from pipelines.ingest.fetch import check_scheme, too_large_message

SERVICE = "Google Drive"
SCOPE = "https://www.googleapis.com/auth/drive.readonly"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
FOLDER = "application/vnd.google-apps.folder"
GOOGLE_DOC = "application/vnd.google-apps.document"
READABLE = {
    GOOGLE_DOC: ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/html": ".html",
}
FILE_FIELDS = "id,name,mimeType,modifiedTime,md5Checksum,size,webViewLink"
_FOLDER_URL = re.compile(r"/folders/([A-Za-z0-9_-]{10,})")


class DriveConnector:
    kind = "drive"

    def __init__(self, target: str, spec: SourceSpec, settings: Settings):
        check_scheme(target)
        match = _FOLDER_URL.search(target)
        if match is None:
            raise ItemError("not a Google Drive folder URL (…/drive/folders/<id>)")
        self.root, self.settings, self.folder, self.groups = target, settings, match[1], spec.groups
        self.max_pages = spec.max_pages or settings.crawl_max_pages
        self.account = _service_account(read_secret(settings, spec.credential, SERVICE))
        self.api = RestApi(settings, SERVICE, {"Authorization": f"Bearer {self._token()}"})
        self.skipped = 0
        self._files: dict[str, dict] = {}
        self._readers: list[str] | None = None

    def documents(self) -> list[RemoteDocument]:
        folder = self._get(f"/drive/v3/files/{self.folder}", fields="id,name,mimeType")
        if folder.get("mimeType") != FOLDER:
            raise ItemError(f"{folder.get('name', self.folder)!r} is not a folder")
        self._readers = self._folder_readers()
        pending, listed = [self.folder], []
        while pending and len(listed) < self.max_pages:
            for item in self._children(pending.pop(0)):
                if item.get("mimeType") == FOLDER:
                    pending.append(item["id"])
                elif item.get("mimeType") in READABLE and len(listed) < self.max_pages:
                    self._files[item["id"]] = item
                    listed.append(_document(item))
        return listed

    def read(self, document: RemoteDocument) -> ReadDocument:
        item = self._files[document.doc_key]
        size, max_bytes = int(item.get("size") or 0), int(self.settings.max_file_mb * 1e6)
        if size > max_bytes:
            raise ItemError(too_large_message(size, max_bytes))
        mime, path = item["mimeType"], f"/drive/v3/files/{quote(item['id'])}"
        if mime == GOOGLE_DOC:
            url = self._url(f"{path}/export", mimeType="text/html")
        else:
            url = self._url(path, alt="media", supportsAllDrives="true")
        return ReadDocument(self.api.call("GET", url).body, READABLE[mime])

    def visibility(self, asked: list[str]) -> list[str]:
        return permitted(asked, self._readers, self.groups)

    def close(self) -> None:
        pass

    def _url(self, path: str, **query) -> str:
        return f"{self.settings.google_api_url}{path}?{urlencode(query)}"

    def _get(self, path: str, **query) -> dict:
        return self.api.get(self._url(path, supportsAllDrives="true", **query))

    def _children(self, folder_id: str) -> list[dict]:
        items, token = [], None
        query = f"'{folder_id}' in parents and trashed = false"
        while True:
            extra = {"pageToken": token} if token else {}
            page = self._get("/drive/v3/files", q=query, pageSize=100,
                             fields=f"nextPageToken,files({FILE_FIELDS})",
                             includeItemsFromAllDrives="true", **extra)  # fmt: skip
            items += page.get("files") or []
            token = page.get("nextPageToken")
            if not token:
                return items

    def _folder_readers(self) -> list[str] | None:
        """None when anyone or the whole domain may read the folder; else the groups' and
        people's addresses, the service account's own left out."""
        fields = "permissions(type,role,emailAddress,domain)"
        permissions = self._get(f"/drive/v3/files/{self.folder}/permissions", fields=fields)
        readers = []
        for permission in permissions.get("permissions") or []:
            if permission.get("type") in ("anyone", "domain"):
                return None
            email = permission.get("emailAddress")
            if email and email != self.account["client_email"]:
                readers.append(email)
        return sorted(readers)

    def _token(self) -> str:
        """An access token for the service account (OAuth 2.0 JWT bearer grant, RFC 7523)."""
        token_uri = self.account.get("token_uri") or DEFAULT_TOKEN_URI
        form = urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                          "assertion": _assertion(self.account, token_uri)})  # fmt: skip
        api = RestApi(self.settings, SERVICE, {})
        response = api.call("POST", token_uri, form.encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        try:
            return json.loads(response.body)["access_token"]
        except (ValueError, KeyError) as exc:
            raise ItemError(f"{SERVICE}: the token endpoint gave no access token") from exc


def _document(item: dict) -> RemoteDocument:
    marker = item.get("md5Checksum") or item.get("modifiedTime")
    link = item.get("webViewLink")
    return RemoteDocument(
        item["id"], link or item.get("name") or item["id"],
        marker=f"drive:{marker}" if marker else None, url=link, title=item.get("name"),
    )  # fmt: skip


def _service_account(secret: str) -> dict:
    try:
        account = json.loads(secret)
    except ValueError as exc:
        raise ItemError(f"the {SERVICE} credential is not a service-account JSON key") from exc
    missing = [key for key in ("client_email", "private_key") if not account.get(key)]
    if missing:
        raise ItemError(f"the {SERVICE} service-account key lacks {', '.join(missing)}")
    return account


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _assertion(account: dict, token_uri: str) -> str:
    """The signed JWT (RS256) that a service account exchanges for an access token."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": account.get("private_key_id")}
    claims = {"iss": account["client_email"], "scope": SCOPE, "aud": token_uri,
              "iat": now, "exp": now + 3600}  # fmt: skip
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    try:
        key = serialization.load_pem_private_key(account["private_key"].encode(), password=None)
    except ValueError as exc:
        raise ItemError(f"the {SERVICE} service-account private key cannot be read") from exc
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"
