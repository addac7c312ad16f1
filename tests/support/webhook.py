"""A JSON webhook receiver on 127.0.0.1: what Apprise's ``json://`` channels post to.

Records every POST (path, headers, parsed JSON body); a path can be scripted to answer with an
error status a number of times (``fail``) to exercise retries and failing channels.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from papercast.sample.server import LocalServer


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class WebhookServer(LocalServer):
    posts: list[Post] = field(default_factory=list)
    failures: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses to answer

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status = outer._record(self.path, dict(self.headers.items()), raw)
                payload = b"{}" if status < 400 else b'{"error": "scripted failure"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        super().__init__(_Handler)

    def _record(self, path: str, headers: dict[str, str], raw: bytes) -> int:
        with self._lock:
            try:
                body = json.loads(raw.decode("utf-8") or "{}")
            except ValueError:
                body = {"unparsed": raw.decode("utf-8", "replace")}
            self.posts.append(Post(path, {k.lower(): v for k, v in headers.items()}, body))
            statuses = self.failures.get(path.split("?", 1)[0])
            return statuses.pop(0) if statuses else 200

    def fail(self, path: str, *statuses: int) -> None:
        """Answer the next POSTs to ``path`` with these statuses, in order."""
        with self._lock:
            self.failures.setdefault(path, []).extend(statuses)

    def apprise_url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def posts_to(self, path: str) -> list[Post]:
        return [p for p in self.posts if p.path.split("?", 1)[0] == path]
