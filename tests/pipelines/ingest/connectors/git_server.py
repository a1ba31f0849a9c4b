"""A Git smart-HTTP server on loopback: git's own http-backend behind a small CGI bridge, so
a test can sync a repository by URL the way a worker syncs one on an intranet host."""

from __future__ import annotations

import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"


def git_http_server(projects: Path, requests: list[str]) -> ThreadingHTTPServer:
    """Serves every repository under `projects` at http://127.0.0.1:PORT/<name>; each
    request's path and query is appended to `requests`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self._cgi()

        def do_POST(self):
            self._cgi()

        def _cgi(self):
            requests.append(self.path)
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            env = {
                "PATH": "/usr/bin:/bin",
                "GIT_PROJECT_ROOT": str(projects),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": parts.path,
                "QUERY_STRING": parts.query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(length),
                "HTTP_GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "REMOTE_ADDR": "127.0.0.1",
            }
            if self.headers.get("Content-Encoding"):
                env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
            body = self.rfile.read(length) if length else b""
            done = subprocess.run(
                [HTTP_BACKEND], input=body, env=env, capture_output=True, check=False
            )
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            status, headers = 200, []
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)
