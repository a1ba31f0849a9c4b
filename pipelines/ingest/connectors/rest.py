"""A service's REST API as the Confluence, Notion and Drive connectors use it: JSON in and
out under a credential the workers hold, rate limits waited out (Retry-After, a few times at
most), and every other failure one line naming the service and the reason."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from faqbot.errors import first_line
from faqbot.settings import Settings
from pipelines.ingest.documents import ItemError
from pipelines.ingest.fetch import ApiResponse, api_request

MAX_RETRIES = 3
MAX_WAIT_S = 30.0
SECRET_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
STATUS_REASONS = {
    401: "refused the credential",
    403: "denied access",
    404: "has no such item",
}


def read_secret(settings: Settings, name: str | None, service: str) -> str:
    """The secret `name` from FAQBOT_SECRETS_DIR (one file per name, as Docker and Kubernetes
    mount secrets). Names only ever come from admins; the secret never passes through Slack."""
    if not name:
        raise ItemError(f"{service} needs a credential: the name of a secret on the workers")
    if SECRET_NAME.fullmatch(name) is None:
        raise ItemError(f"{name!r} is not a secret name (letters, digits, . _ -)")
    path = Path(settings.secrets_path) / name
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise ItemError(
            f"no secret {name!r} on this worker ({exc.strerror}: {path}; FAQBOT_SECRETS_DIR)"
        ) from exc


class RestApi:
    def __init__(
        self, settings: Settings, service: str, headers: dict[str, str], max_calls: int = 5000
    ):
        self.settings, self.service, self.headers = settings, service, headers
        self.max_calls, self.calls = max_calls, 0
        self.waited_s = 0.0  # time spent waiting out rate limits, for tests and logs

    def get(self, url: str) -> dict:
        return self._json(self.call("GET", url))

    def post(self, url: str, body: dict) -> dict:
        content = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        return self._json(self.call("POST", url, content, headers))

    def call(self, *args, **kwargs) -> ApiResponse:
        """`send`, then `check`: the response, or ItemError for a refusal."""
        return self.check(self.send(*args, **kwargs))

    def send(
        self,
        method: str,
        url: str,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        """The response once the service stopped rate-limiting, whatever its status. Each
        request counts against the budget of one sync (`max_calls`)."""
        for attempt in range(MAX_RETRIES + 1):
            self.calls += 1
            if self.calls > self.max_calls:
                raise ItemError(
                    f"{self.service}: more than {self.max_calls} API calls for one sync"
                )
            response = api_request(self.settings, url, method=method, content=content,
                                   headers={**self.headers, **(headers or {})})  # fmt: skip
            if response.status not in (429, 503) or attempt == MAX_RETRIES:
                return response
            wait = _retry_after(response, attempt)
            self.waited_s += wait
            time.sleep(wait)
        return response

    def check(self, response: ApiResponse) -> ApiResponse:
        """`response`, or ItemError naming the service and why it refused."""
        if response.status == 429:
            raise ItemError(
                f"{self.service} kept rate-limiting after {MAX_RETRIES} retries (HTTP 429)"
            )
        if response.status >= 300:
            raise ItemError(self._refusal(response))
        return response

    def _refusal(self, response: ApiResponse) -> str:
        reason = STATUS_REASONS.get(response.status, "answered")
        detail = _message(response.body)
        return f"{self.service} {reason} (HTTP {response.status}{': ' + detail if detail else ''})"

    def _json(self, response: ApiResponse) -> dict:
        try:
            return json.loads(response.body)
        except ValueError as exc:
            raise ItemError(f"{self.service} answered with something other than JSON") from exc


def _retry_after(response: ApiResponse, attempt: int) -> float:
    header = {k.lower(): v for k, v in response.headers.items()}.get("retry-after", "")
    try:
        wait = float(header)
    except ValueError:
        wait = 2.0**attempt
    return min(max(wait, 0.0), MAX_WAIT_S)


def _message(body: bytes) -> str:
    """The service's own error message, if its JSON has one, on one short line."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    error = data.get("error")
    text = data.get("message") or (error.get("message") if isinstance(error, dict) else error)
    return first_line(str(text))[:200] if text else ""
