"""Files admins upload with `/faq-admin add`: fetched from Slack with the bot token (files:read)
and kept under the uploads dir, so a later reindex or visibility change reads them again.

The token goes only to a Slack file host over https (or to the configured Slack API URL's own
origin, which has it already): `files.info` names the download URL, and a URL elsewhere would
hand the token to whoever serves it."""

from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from faqbot.settings import Settings
from faqbot.slack import api_url, web_client
from pipelines.ingest.documents import ItemError
from pipelines.ingest.fetch import (
    ACCEPT_ENCODING,
    DEFAULT_PORTS,
    BodyLimits,
    read_body,
    too_large_message,
)

if TYPE_CHECKING:
    import httpx

PREFIX = "slack-file:"
HOSTS_SETTING = "FAQBOT_SLACK_FILE_HOSTS"
MAX_REDIRECTS = 3
Origin = tuple[str, str, int]  # scheme, host, port


def is_slack_file(target: str) -> bool:
    return target.startswith(PREFIX)


def download(target: str, settings: Settings) -> Path:
    """The uploaded file on local disk (downloaded once; Slack files do not change)."""
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
        raise ItemError(f"{name}: {too_large_message(int(info['size']), max_bytes)}")
    try:
        data = fetch_file(info.get("url_private_download") or "", settings)
    except ItemError as exc:
        raise ItemError(f"{name}: {exc}") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(path)
    return path


def fetch_file(url: str, settings: Settings) -> bytes:
    """The file's bytes, streamed under the size cap and the time limit. Redirects are
    followed here, each checked like the first URL; environment proxies are never used (one
    would see the token)."""
    import httpx

    allowed = allowed_origins(settings)
    timeout_s = settings.fetch_timeout_s
    limits = BodyLimits.from_settings(settings)
    auth = {"Authorization": f"Bearer {settings.slack_bot_token.get_secret_value()}"}
    target = check_file_url(url, allowed)
    try:
        headers = {"Accept-Encoding": ACCEPT_ENCODING}
        with httpx.Client(headers=headers, follow_redirects=False, trust_env=False) as client:
            for _hop in range(MAX_REDIRECTS + 1):
                request = client.build_request(
                    "GET", target, headers=auth, timeout=limits.remaining_s()
                )
                with closing(client.send(request, stream=True)) as response:
                    if not response.has_redirect_location:
                        return _accept(response, limits)
                    location = target.join(response.headers["location"])
                target = check_file_url(str(location), allowed, redirected=True)
    except httpx.TimeoutException as exc:
        raise ItemError(f"timed out after {timeout_s:g} s") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise ItemError(f"could not download ({type(exc).__name__}: {exc})") from exc
    raise ItemError(f"more than {MAX_REDIRECTS} redirects")


def _accept(response: httpx.Response, limits: BodyLimits) -> bytes:
    if response.status_code >= 400:
        raise ItemError(f"Slack refused the download: HTTP {response.status_code}")
    return read_body(response, limits)


def check_file_url(url: str, allowed: set[Origin], redirected: bool = False) -> httpx.URL:
    """The URL, if the bot token may be sent there; else a one-line refusal saying why."""
    import httpx

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or not parsed.host:
        raise ItemError("refused: Slack gave no valid download URL")
    if origin_of(parsed) in allowed:
        return parsed
    via = "redirected to " if redirected else ""
    if parsed.scheme != "https":
        raise ItemError(
            f"refused: {via}an {parsed.scheme} URL, not https (the bot token is only sent "
            "over https)"
        )
    where = f"redirected to {parsed.host}, which" if redirected else parsed.host
    raise ItemError(f"refused: {where} is not a Slack file host ({HOSTS_SETTING})")


def allowed_origins(settings: Settings) -> set[Origin]:
    """https on each configured file host, and the Slack API URL's origin as it is set."""
    import httpx

    hosts = (
        host.strip().removeprefix("https://").rstrip("/") for host in settings.slack_file_hosts
    )
    origins = {origin_of(httpx.URL(f"https://{host}/")) for host in hosts}
    origins.add(origin_of(httpx.URL(api_url(settings))))
    return origins


def origin_of(url: httpx.URL) -> Origin:
    """Scheme, host and port as connected to: case and a trailing dot do not count."""
    port = url.port or DEFAULT_PORTS.get(url.scheme, 0)
    return (url.scheme, url.host.lower().rstrip("."), port)
