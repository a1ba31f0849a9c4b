"""A local HTTP server that stands in for the Slack Web API (Slack cannot be reached from the
machines tests and benchmarks run on). It answers the methods faqbot calls the way Slack does,
serves response URLs and uploaded files, and records every call for assertions."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qsl

BOT_USER_ID, BOT_ID, TEAM_ID = "UFAQBOT01", "BFAQBOT01", "T0TEST001"
TOKEN = "xoxb-test-token"


@dataclass
class Call:
    method: str  # Web API method, "response" for a response URL, "file" for a download
    params: dict
    path: str
    at: float = field(default_factory=time.time)


class SlackStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict] = {}  # (channel, ts) -> latest state
        self.usergroups: dict[str, list[str]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # file id -> (name, bytes)
        self.uploads: dict[str, bytes] = {}  # file id -> bytes, uploaded by the app
        self.failures: dict[str, list[tuple[int, dict]]] = {}  # method -> queued failures
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base}/response/{name}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(
        self,
        method: str,
        times: int = 1,
        status: int = 429,
        retry_after: int = 0,
        error: str | None = None,
    ) -> None:
        """The next `times` calls of `method` fail as Slack fails them: 429 (rate limited), a
        5xx, or with `error` a 200 that says `"ok": false` (not_in_channel, …)."""
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        if error is None:
            error = "ratelimited" if status == 429 else "internal_error"
        self.failures.setdefault(method, []).extend([(status, headers, error)] * times)

    def _failure(self, method: str) -> tuple[int, dict, str] | None:
        with self._lock:
            queued = self.failures.get(method)
            return queued.pop(0) if queued else None

    # What tests read

    def thread(self, channel: str, thread_ts: str) -> dict[tuple[str, str], dict]:
        """The messages now in a thread, by (channel, ts): deleted ones are gone."""
        with self._lock:
            messages = dict(self.messages)
        return {
            key: message
            for key, message in messages.items()
            if key[0] == channel and message.get("thread_ts") == thread_ts
        }

    def called(self, method: str, **match) -> list[Call]:
        with self._lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if c.method == method and all(c.params.get(k) == v for k, v in match.items())
        ]

    def wait_for(self, check: Callable[[], object], timeout_s: float = 120) -> object:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(
            f"the stand-in never saw it in {timeout_s} s; calls: "
            f"{[(c.method, c.params.get('channel')) for c in self.calls][-20:]}"
        )

    # The Web API

    def api(self, method: str, params: dict) -> dict:
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        return handler(params) if handler else {"ok": True}

    def _auth_test(self, params: dict) -> dict:
        return {
            "ok": True,
            "url": "https://test.slack.com/",
            "team": "Test",
            "user": "faqbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _chat_postMessage(self, params: dict) -> dict:
        channel = params["channel"]
        if channel.startswith("U"):  # posting to a user opens the app's DM with them
            channel = "D" + channel[1:]
        ts = f"{1_700_000_000 + next(self._ts)}.000100"
        with self._lock:
            self.messages[(channel, ts)] = {**params, "channel": channel, "ts": ts}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "message": {"text": params.get("text"), "ts": ts},
        }

    def _chat_update(self, params: dict) -> dict:
        key = (params["channel"], params["ts"])
        with self._lock:
            if key not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            self.messages[key] = {**self.messages[key], **params}
        return {"ok": True, "channel": params["channel"], "ts": params["ts"]}

    # Native streaming, as Slack documents it: a stream is a reply in a thread; outside a DM
    # it names its recipient; appends and the stop only reach a message still streaming
    # (Slack ends a stream after about five minutes, or when the user stops it).

    def _chat_startStream(self, params: dict) -> dict:
        channel, thread_ts = params.get("channel"), params.get("thread_ts")
        if not channel or not thread_ts:
            return {"ok": False, "error": "invalid_arguments"}
        if not channel.startswith("D"):
            for field in ("recipient_team_id", "recipient_user_id"):
                if not params.get(field):
                    return {"ok": False, "error": f"missing_{field}"}
        ts = f"{1_700_000_000 + next(self._ts)}.000300"
        message = {"channel": channel, "ts": ts, "thread_ts": thread_ts, "streaming": True}
        message["text"] = params.get("markdown_text") or ""
        with self._lock:
            self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts}

    def _streaming(self, params: dict) -> tuple[tuple[str, str], dict | None]:
        key = (params.get("channel"), params.get("ts"))
        message = self.messages.get(key)
        if message is None:
            return key, {"ok": False, "error": "message_not_found"}
        if not message.get("streaming"):
            return key, {"ok": False, "error": "message_not_in_streaming_state"}
        return key, None

    def _chat_appendStream(self, params: dict) -> dict:
        if not params.get("markdown_text") and not params.get("chunks"):
            return {"ok": False, "error": "no_text"}
        with self._lock:
            key, refused = self._streaming(params)
            if refused:
                return refused
            self.messages[key]["text"] += params.get("markdown_text") or ""
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _chat_stopStream(self, params: dict) -> dict:
        with self._lock:
            key, refused = self._streaming(params)
            if refused:
                return refused
            message = self.messages[key]
            message["text"] += params.get("markdown_text") or ""
            message["blocks"] = _json_list(params.get("blocks"))
            message["streaming"] = False
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def end_stream(self, channel: str, ts: str) -> None:
        """What Slack does to a stream after five minutes: no more appends or stop."""
        with self._lock:
            self.messages[(channel, ts)]["streaming"] = False

    def _assistant_threads_setStatus(self, params: dict) -> dict:
        if not params.get("channel_id") or not params.get("thread_ts") or "status" not in params:
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True}

    def _assistant_threads_setSuggestedPrompts(self, params: dict) -> dict:
        prompts = params.get("prompts")
        if not params.get("channel_id") or not isinstance(prompts, list) or not prompts:
            return {"ok": False, "error": "invalid_arguments"}
        if len(prompts) > 4 or not all(p.get("title") and p.get("message") for p in prompts):
            return {"ok": False, "error": "invalid_prompts"}
        return {"ok": True}

    def _chat_delete(self, params: dict) -> dict:
        with self._lock:
            self.messages.pop((params["channel"], params["ts"]), None)
        return {"ok": True}

    def _views_open(self, params: dict) -> dict:
        return {"ok": True, "view": {"id": "V0TEST", **_json(params.get("view"))}}

    def _usergroups_users_list(self, params: dict) -> dict:
        group = params.get("usergroup")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": self.usergroups[group]}

    def _conversations_replies(self, params: dict) -> dict:
        """The thread `ts` is in, parent first, as Slack returns it for a parent's or a
        reply's ts."""
        channel, ts = params.get("channel"), params.get("ts")
        with self._lock:
            message = self.messages.get((channel, ts)) or {}
            root = message.get("thread_ts") or ts
            thread = [
                message
                for (where, when), message in self.messages.items()
                if where == channel and (when == root or message.get("thread_ts") == root)
            ]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        ordered = sorted(thread, key=lambda m: float(m["ts"]))
        start, limit = int(params.get("cursor") or 0), int(params.get("limit") or 1000)
        page = {"ok": True, "messages": ordered[start : start + limit], "has_more": False}
        if start + limit < len(ordered):  # Slack's cursor pagination, the cursor an offset here
            page["has_more"] = True
            page["response_metadata"] = {"next_cursor": str(start + limit)}
        return page

    def _chat_getPermalink(self, params: dict) -> dict:
        channel, ts = params.get("channel"), params.get("message_ts")
        with self._lock:
            if (channel, ts) not in self.messages:
                return {"ok": False, "error": "message_not_found"}
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://standin.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def user_says(self, channel: str, text: str, user: str, thread_ts: str | None = None) -> str:
        """A person's message (not the bot's) in `channel`, as if they had posted it; its ts."""
        ts = f"{1_800_000_000 + next(self._ts)}.000200"
        message = {"channel": channel, "ts": ts, "text": text, "user": user}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._lock:
            self.messages[(channel, ts)] = message
        return ts

    def _files_getUploadURLExternal(self, params: dict) -> dict:
        """Step one of files_upload_v2: where to send the bytes."""
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F0UP{next(self._ts):05d}"
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, params: dict) -> dict:
        """Step three: the uploaded files shared in `channel_id` (and `thread_ts`)."""
        files = _json(params.get("files")) if params.get("files") else []
        if not files or any(f.get("id") not in self.uploads for f in files):
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def _files_info(self, params: dict) -> dict:
        file_id = params.get("file")
        if file_id not in self.files:
            return {"ok": False, "error": "file_not_found"}
        name, data = self.files[file_id]
        return {
            "ok": True,
            "file": {
                "id": file_id,
                "name": name,
                "size": len(data),
                "url_private_download": f"{self.base}/files/{file_id}",
            },
        }


def _json_list(value) -> list:
    if isinstance(value, str):
        return json.loads(value)
    return list(value or [])


def _json(value) -> dict:
    if isinstance(value, str):
        return json.loads(value)
    return value or {}


def _handler_for(standin: SlackStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _params(self) -> dict:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                return json.loads(body or "{}")
            return dict(parse_qsl(body))

        def _reply(
            self,
            status: int,
            body: bytes,
            kind: str = "application/json",
            headers: dict | None = None,
        ) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            if self.path.startswith("/upload/"):  # step two of files_upload_v2: raw bytes
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                file_id = self.path.rsplit("/", 1)[-1]
                with standin._lock:
                    standin.uploads[file_id] = data
                    standin.calls.append(Call("upload", {"file": file_id}, self.path))
                self._reply(200, b"OK - " + str(len(data)).encode(), "text/plain")
                return
            params = self._params()
            kind, _, name = self.path.lstrip("/").partition("/")
            method = name if kind == "api" else "response"
            with standin._lock:
                standin.calls.append(Call(method, params, self.path))
            failure = standin._failure(method) if kind == "api" else None
            if failure:
                status, headers, error = failure
                self._reply(
                    status, json.dumps({"ok": False, "error": error}).encode(), headers=headers
                )
            elif kind == "api":
                self._reply(200, json.dumps(standin.api(method, params)).encode())
            else:
                self._reply(200, b"ok", "text/plain")

        def do_GET(self) -> None:
            file_id = self.path.rsplit("/", 1)[-1]
            with standin._lock:
                standin.calls.append(Call("file", {"file": file_id}, self.path))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._reply(403, b"not authorised", "text/plain")
            elif file_id not in standin.files:
                self._reply(404, b"no such file", "text/plain")
            else:
                self._reply(200, standin.files[file_id][1], "application/octet-stream")

    return Handler


def main() -> None:
    """`python -m pipelines.bench.slack_standin`: serve until killed (benchmarks run it as its
    own process, so its work does not slow the load generator); prints its base URL."""
    standin = SlackStandIn()
    print(standin.base, flush=True)
    standin.server.serve_forever()


if __name__ == "__main__":
    main()
