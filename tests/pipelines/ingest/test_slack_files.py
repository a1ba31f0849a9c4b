"""Downloading an uploaded file: the bot token goes only where Slack's files live, the body is
streamed under the size cap, and environment proxies never see the token. A fake Slack Web API
on loopback answers files.info and serves the files from its own origin, as the stand-in does;
a second loopback server plays every other host and records whatever reaches it."""

from __future__ import annotations

import json
import re
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from faqbot.settings import Settings
from faqbot.slack import web_client
from pipelines.ingest.documents import ItemError
from pipelines.ingest.slack_files import download
from tests.pipelines.ingest.loopback import serving

TOKEN = "xoxb-test-token"
FILE_ID = "F0GYM0001"
CONTENT = b"# Gym\n\nThe gym on floor 2 is open 7-22 on weekdays.\n"
HTTPS_ONLY = "not https (the bot token is only sent over https)"
NOT_A_FILE_HOST = "is not a Slack file host (FAQBOT_SLACK_FILE_HOSTS)"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, *args):
        pass

    def do_POST(self):  # the Web API: files.info only
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"ok": True, "file": self.server.info}).encode()
        self.reply(200, body, "application/json")

    def do_GET(self):  # a file
        self.server.requests.append((self.path, self.headers.get("Authorization")))
        route = self.server.routes.get(self.path)
        try:
            if route is None:
                self.reply(200, CONTENT, "application/octet-stream")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading on purpose

    def reply(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.info: dict = {}  # what files.info answers
        self.requests: list[tuple[str, str | None]] = []  # (path, Authorization) of each GET
        self.routes: dict = {}  # path -> handler method, for special answers
        self.streamed = 0  # bytes of the endless file written before the client hung up

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def running_server() -> Iterator[Server]:
    with serving(Server()) as server:
        yield server


@pytest.fixture
def slack() -> Iterator[Server]:
    """The fake Slack: Web API at /api/, files at /files/."""
    yield from running_server()


@pytest.fixture
def elsewhere() -> Iterator[Server]:
    """Any other host: a download URL, a redirect target or a proxy must never reach it."""
    yield from running_server()


@pytest.fixture
def slack_settings(settings, slack) -> Settings:
    return Settings(
        _env_file=None,
        **settings.model_dump()
        | {"slack_bot_token": TOKEN, "slack_api_url": f"{slack.base}/api/", "max_file_mb": 1.0},
    )


def upload(slack: Server, url: str, size: int = len(CONTENT)) -> None:
    slack.info = {"id": FILE_ID, "name": "gym.md", "size": size, "url_private_download": url}


def download_error(settings: Settings) -> str:
    with pytest.raises(ItemError) as info:
        download(f"slack-file:{FILE_ID}", settings)
    message = str(info.value)
    assert "\n" not in message, f"item error is not one line: {message!r}"
    return message


def test_a_file_on_the_slack_api_origin_is_downloaded_with_the_token(slack, slack_settings):
    upload(slack, f"{slack.base}/files/{FILE_ID}")

    path = download(f"slack-file:{FILE_ID}", slack_settings)

    assert path.read_bytes() == CONTENT and path.name == "gym.md"
    assert slack.requests == [(f"/files/{FILE_ID}", f"Bearer {TOKEN}")]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("{elsewhere}/files/F0GYM0001", f"an http URL, {HTTPS_ONLY}"),
        ("http://files.slack.com/files-pri/T0/F0GYM0001/gym.md", f"an http URL, {HTTPS_ONLY}"),
        ("https://localhost:{elsewhere_port}/files/F0GYM0001", f"localhost {NOT_A_FILE_HOST}"),
        ("https://files.slack.com@localhost:{elsewhere_port}/", f"localhost {NOT_A_FILE_HOST}"),
        (
            "https://files.slack.com.evil.example/x",
            f"files.slack.com.evil.example {NOT_A_FILE_HOST}",
        ),
        ("https://evil.example/files.slack.com/x", f"evil.example {NOT_A_FILE_HOST}"),
        ("", "Slack gave no valid download URL"),
    ],
)
def test_a_download_url_off_slack_is_refused_before_any_request(
    slack, elsewhere, slack_settings, url, reason
):
    port = elsewhere.server_address[1]
    upload(slack, url.format(elsewhere=elsewhere.base, elsewhere_port=port))

    assert download_error(slack_settings) == f"gym.md: refused: {reason}"
    assert elsewhere.requests == [] and slack.requests == []
    assert not (slack_settings.uploads_dir / FILE_ID).exists()


def test_a_redirect_off_slack_is_refused_without_sending_the_token(
    slack, elsewhere, slack_settings
):
    def redirect(handler: Handler) -> None:
        handler.reply(302, b"", "text/plain", Location=f"{elsewhere.base}/steal")

    slack.routes["/files/moved"] = redirect
    upload(slack, f"{slack.base}/files/moved")

    message = download_error(slack_settings)

    assert message == f"gym.md: refused: redirected to an http URL, {HTTPS_ONLY}"
    assert elsewhere.requests == []


def test_a_redirect_within_the_allowed_origin_is_followed(slack, slack_settings):
    slack.routes["/files/moved"] = lambda h: h.reply(301, b"", "text/plain", Location="/files/new")
    upload(slack, f"{slack.base}/files/moved")

    assert download(f"slack-file:{FILE_ID}", slack_settings).read_bytes() == CONTENT
    assert [auth for _path, auth in slack.requests] == [f"Bearer {TOKEN}"] * 2


def test_proxies_from_the_environment_never_see_the_token(
    slack, elsewhere, slack_settings, monkeypatch
):
    web_client(slack_settings)  # slack_sdk's own proxy choice is made here, before the proxies
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, elsewhere.base)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    upload(slack, f"{slack.base}/files/{FILE_ID}")

    assert download(f"slack-file:{FILE_ID}", slack_settings).read_bytes() == CONTENT
    assert elsewhere.requests == [] and len(slack.requests) == 1


def stream_endlessly(handler: Handler) -> None:
    """A file whose size files.info understated: 64 KB blocks until the client hangs up."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/octet-stream")
    handler.send_header("Connection", "close")
    handler.end_headers()
    block = b"x" * 65_536
    for _ in range(2000):  # 131 MB at most
        handler.wfile.write(block)
        handler.server.streamed += len(block)


def test_a_file_larger_than_files_info_said_stops_at_the_cap_in_bounded_memory(
    slack, slack_settings
):
    slack.routes["/files/endless"] = stream_endlessly
    upload(slack, f"{slack.base}/files/endless", size=1000)
    messages = []

    tracemalloc.start()
    try:
        messages.append(download_error(slack_settings))
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

    assert messages == ["gym.md: over 1.0 MB, larger than the 1 MB limit (FAQBOT_MAX_FILE_MB)"]
    assert peak < 3_000_000, f"held {peak / 1e6:.1f} MB for a 1 MB cap"
    assert slack.streamed < 20_000_000  # the download stopped; the server was not read dry
    assert not (slack_settings.uploads_dir / FILE_ID).exists()  # no file, no .part left


def test_a_declared_size_over_the_cap_is_refused_before_downloading(slack, slack_settings):
    upload(slack, f"{slack.base}/files/{FILE_ID}", size=5_000_000)

    message = download_error(slack_settings)

    assert message == "gym.md: 5.0 MB, larger than the 1 MB limit (FAQBOT_MAX_FILE_MB)"
    assert slack.requests == []


def test_file_hosts_are_https_origins_from_the_setting_plus_the_api_origin(monkeypatch):
    from pipelines.ingest.slack_files import allowed_origins, check_file_url

    monkeypatch.setenv(
        "FAQBOT_SLACK_FILE_HOSTS", "Files.Gateway.Corp.Example:8443, files.slack.com"
    )
    settings = Settings(_env_file=None)
    allowed = allowed_origins(settings)

    assert allowed == {
        ("https", "files.gateway.corp.example", 8443),
        ("https", "files.slack.com", 443),
        ("https", "slack.com", 443),  # the default API URL: the token goes there anyway
    }
    assert check_file_url("https://files.gateway.corp.example:8443/F0/x.pdf", allowed)
    with pytest.raises(ItemError, match=re.escape(f"files.gateway.corp.example {NOT_A_FILE_HOST}")):
        check_file_url("https://files.gateway.corp.example/F0/x.pdf", allowed)  # another port


def test_files_slack_com_is_the_default_file_host(settings):
    from pipelines.ingest.slack_files import allowed_origins, check_file_url

    assert settings.slack_file_hosts == ["files.slack.com"]
    allowed = allowed_origins(settings)
    assert check_file_url("https://files.slack.com/files-pri/T0-F0/gym.md", allowed)
    assert check_file_url("https://FILES.slack.com./files-pri/T0-F0/gym.md", allowed)
