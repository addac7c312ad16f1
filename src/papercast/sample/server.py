"""Small HTTP servers on 127.0.0.1, each on a free port, served from a thread.

- ``LocalServer``: the start/stop of any of them (a ``ThreadingHTTPServer`` served from a daemon
  thread inside a ``with`` block); the test suite's fake services build on it too.
- ``FixtureServer``: routes paths to recorded payloads or scripted faults (``run --sample``).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up mid-request (a timeout, a killed run) is no error of the
        server's: no traceback on stderr for it; anything else is reported as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class LocalServer:
    """A ``ThreadingHTTPServer`` on 127.0.0.1 (a free port), serving while in a ``with`` block.

    Subclasses pass their request handler class; ``__exit__`` stops serving, closes the socket,
    and first calls ``_stopping()`` (e.g. to wake handlers that are waiting).
    """

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], *, poll_interval: float = 0.5
    ) -> None:
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _stopping(self) -> None:
        """Called when the ``with`` block ends, before the server shuts down."""

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping()
        self._server.shutdown()
        self._server.server_close()


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float

    def param(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/plain; charset=utf-8"
    delay: float = 0.0
    drop: bool = False  # close the connection without answering
    truncate_to: int | None = None  # send only this many bytes of the body
    trickle: tuple[int, float] | None = None  # (bytes, seconds): send the body this slowly

    def payload(self) -> bytes:
        data = self.body.encode("utf-8") if isinstance(self.body, str) else self.body
        return data


Handler = Callable[[RecordedRequest], Reply]


class FixtureServer(LocalServer):
    """Routes a path to a handler (or a queue of replies); records every request.

    Usage::

        with FixtureServer() as server:
            server.route("/api/query", lambda req: Reply(body=atom, content_type="application/atom+xml"))
            url = server.url("/api/query")
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._routes: dict[str, Handler] = {}
        self._queues: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each keep-alive answer waits ~40 ms

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                outer._handle(self)

            def do_HEAD(self) -> None:
                outer._handle(self)

        super().__init__(_Handler, poll_interval=0.05)

    def route(self, path: str, handler: Handler | Reply) -> None:
        """Answer ``path`` with ``handler(request)`` (or always the same Reply)."""
        with self._lock:
            if isinstance(handler, Reply):
                reply = handler
                self._routes[path] = lambda _req: reply
            else:
                self._routes[path] = handler

    def queue(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` with these replies, in order, before the route."""
        with self._lock:
            self._queues.setdefault(path, []).extend(replies)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def _pick(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            queued = self._queues.get(request.path)
            if queued:
                return queued.pop(0)
            handler = self._routes.get(request.path)
        if handler is None:
            return Reply(status=404, body=f"no fixture for {request.path}")
        return handler(request)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        request = RecordedRequest(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            at=time.monotonic(),
        )
        reply = self._pick(request)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(2)
            return
        body = reply.payload()
        length = len(body)
        if reply.truncate_to is not None:
            body = body[: reply.truncate_to]
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header(
            "Content-Length", str(length if reply.truncate_to is None else len(body))
        )
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if handler.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                if reply.trickle is None:
                    handler.wfile.write(body)
                    return
                size, pause = reply.trickle
                for start in range(0, len(body), size):
                    handler.wfile.write(body[start : start + size])
                    handler.wfile.flush()
                    time.sleep(pause)
