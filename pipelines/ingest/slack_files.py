"""Files admins upload with `/faq-admin add`: fetched from Slack with the bot token (files:read)
and kept under the uploads dir, so a later reindex or visibility change reads them again."""

from __future__ import annotations

import re
from pathlib import Path

from faqbot.settings import Settings
from faqbot.slack import web_client
from pipelines.ingest.documents import ItemError
from pipelines.ingest.fetch import too_large_message

PREFIX = "slack-file:"


def is_slack_file(target: str) -> bool:
    return target.startswith(PREFIX)


def download(target: str, settings: Settings) -> Path:
    """The uploaded file on local disk (downloaded once; Slack files do not change)."""
    import httpx

    file_id = target.removeprefix(PREFIX)
    if not re.fullmatch(r"F[A-Z0-9]+", file_id):
        raise ItemError(f"{target!r} is not a Slack file ID like F0123ABC")
    info = web_client(settings).files_info(file=file_id)["file"]
    name = re.sub(r"[^\w.\-]+", "_", info.get("name") or file_id).lstrip(".") or file_id
    path = settings.uploads_dir / file_id / name
    if path.exists():
        return path
    max_bytes = int(settings.max_file_mb * 1e6)
    if int(info.get("size") or 0) > max_bytes:
        raise ItemError(too_large_message(int(info["size"]), max_bytes))
    token = settings.slack_bot_token.get_secret_value()
    response = httpx.get(info["url_private_download"], headers={"Authorization": f"Bearer {token}"},
                         timeout=settings.fetch_timeout_s, follow_redirects=True)  # fmt: skip
    if response.status_code >= 400:
        raise ItemError(f"Slack refused the download of {name}: HTTP {response.status_code}")
    if len(response.content) > max_bytes:
        raise ItemError(too_large_message(len(response.content), max_bytes))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(response.content)
    partial.replace(path)
    return path
