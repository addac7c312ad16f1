"""A fake of the Zotero web API v3 on 127.0.0.1, following its documented behaviour.

What it implements (https://www.zotero.org/support/dev/web_api/v3/basics and .../syncing):

- ``GET /{users|groups}/{id}/items/top`` and ``/collections``: JSON arrays, paged with
  ``start``/``limit`` (at most 100), with ``Total-Results``, ``Link`` (rel="next"/"last") and
  ``Last-Modified-Version`` headers; ``since=V`` returns only objects modified after version V;
  trashed items only with ``includeTrashed=1`` (then with ``"deleted": 1`` in their data);
- ``GET /{users|groups}/{id}/deleted?since=V``: the keys of objects deleted after V;
- a library version that every write bumps; each object carries the version of its last change;
- the key in ``Authorization: Bearer`` or ``Zotero-API-Key``: 403 without a valid one for a
  private library, 404 for an unknown library;
- scripted rate limiting: ``Backoff`` on a success, or 429 with ``Retry-After``.

With ``local=True`` it behaves as the Zotero desktop app's local API instead
(https://www.zotero.org/support/dev/web_api/v3/local_api, and Zotero 7's
``server_localAPI.js``): everything under ``/api/``; the user's own library as ``users/0`` (or
its real id; any other user id is 400); no authentication (a key is ignored); 403 "Local API is
not enabled" when ``enabled`` is False; no ``/deleted`` endpoint (404); results not paged unless
``limit`` is given; ``since`` keeps only objects with a version above it, 0 included. With
``never_synced`` every object and the library report version 0, as Zotero 7 does for a library
never synced to zotero.org (it reports synced versions, not local ones).

Every request is recorded (path, query, headers, how many items it returned).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from papercast.sample.server import LocalServer


@dataclass
class ZoteroRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int = 200
    returned: int = 0  # objects in the answer


@dataclass
class _Object:
    key: str
    version: int
    data: dict[str, Any]
    trashed: bool = False


@dataclass
class FakeZotero(LocalServer):
    library_type: str = "users"
    library_id: str = "475425"
    api_key: str | None = "zotero-KEY-sentinel-0123456789"
    version: int = 0
    items: dict[str, _Object] = field(default_factory=dict)
    collections: dict[str, _Object] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)  # item key -> version deleted at
    requests: list[ZoteroRequest] = field(default_factory=list)
    scripted: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    backoff: str | None = None  # a Backoff header for the next success
    local: bool = False  # behave as the desktop app's local API (module docstring)
    enabled: bool = True  # local: "Allow other applications ... to communicate with Zotero"
    never_synced: bool = False  # local: versions all 0 (a Zotero 7 library never synced)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = 0
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                status, headers, body = outer._answer(self)
                payload = json.dumps(body).encode("utf-8") if body is not None else b""
                self.send_response(status)
                self.send_header(
                    "Content-Type", "application/json" if body is not None else "text/plain"
                )
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        super().__init__(_Handler)

    # --- the library -------------------------------------------------------------------------

    def _key(self) -> str:
        self._counter += 1
        return f"K{self._counter:07d}"

    def add_collection(self, name: str, parent: str | None = None) -> str:
        with self._lock:
            self.version += 1
            key = self._key()
            data = {"key": key, "name": name, "parentCollection": parent or False}
            self.collections[key] = _Object(key, self.version, data)
            return key

    def add_item(self, title: str, collections: list[str] | None = None, **fields: Any) -> str:
        with self._lock:
            self.version += 1
            key = self._key()
            data = {
                "key": key,
                "itemType": fields.pop("itemType", "preprint"),
                "title": title,
                "abstractNote": fields.pop("abstractNote", ""),
                "dateAdded": fields.pop("dateAdded", "2024-10-01T09:00:00Z"),
                "collections": collections or [],
                **fields,
            }
            self.items[key] = _Object(key, self.version, data)
            return key

    def change_item(self, key: str, **fields: Any) -> None:
        with self._lock:
            self.version += 1
            item = self.items[key]
            item.data.update(fields)
            item.version = self.version

    def trash_item(self, key: str) -> None:
        with self._lock:
            self.version += 1
            self.items[key].trashed = True
            self.items[key].version = self.version

    def delete_item(self, key: str) -> None:
        with self._lock:
            self.version += 1
            del self.items[key]
            self.deleted[key] = self.version

    def fail_next(self, status: int, **headers: str) -> None:
        """Answer the next request with ``status`` (e.g. 429 with Retry-After="1")."""
        with self._lock:
            self.scripted.append((status, headers))

    # --- the API -----------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"/{self.library_type}/{self.library_id}"

    @property
    def api_url(self) -> str:
        """What ``[zotero] api_url`` is set to: the root, or ``/api/`` on the local API."""
        return self.url("/api/") if self.local else self.url()

    def _local_base(self, path: str) -> tuple[int, str]:
        """(status, library prefix) of a local API path, as Zotero checks it."""
        if not self.enabled:
            return 403, ""
        parts = path.split("/")  # "", "api", "users", "0", ...
        if len(parts) < 4 or parts[1] != "api" or parts[2] not in ("users", "groups"):
            return 404, ""
        if parts[2] == "users":
            if self.library_type != "users" or parts[3] not in ("0", self.library_id):
                return 400, ""  # "Only data for the logged-in user is available locally"
        elif self.library_type != "groups" or parts[3] != self.library_id:
            return 404, ""
        return 200, "/".join(parts[:4])

    def _answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in handler.headers.items()}
        request = ZoteroRequest(parts.path, query, headers)
        with self._lock:
            self.requests.append(request)
            status, extra, body = self._route(parts.path, query, headers)
            request.status = status
            request.returned = len(body) if isinstance(body, list) else 0
        return status, extra, body

    def _authorized(self, headers: dict[str, str]) -> bool:
        given = headers.get("zotero-api-key") or headers.get("authorization", "").removeprefix(
            "Bearer "
        )
        return self.api_key is None or given == self.api_key

    def _route(
        self, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        if self.scripted:
            status, extra = self.scripted.pop(0)
            return status, extra, None
        if self.local:
            status, base = self._local_base(path)
            if status != 200:
                return status, {}, None
        else:
            base = self.base
            if not path.startswith(base + "/"):
                return 404, {}, None
            if not self._authorized(headers):
                return 403, {}, None
        rest = path[len(base) :]
        since = int(query.get("since") or 0)
        common = {"Last-Modified-Version": str(0 if self.never_synced else self.version)}
        if self.backoff:
            common["Backoff"], self.backoff = self.backoff, None
        if rest == "/deleted" and not self.local:
            keys = [k for k, v in self.deleted.items() if v > since]
            body = {"collections": [], "searches": [], "items": keys, "tags": [], "settings": []}
            return 200, common, body
        if rest == "/items/top":
            trashed = query.get("includeTrashed") == "1"
            objects = [o for o in self.items.values() if trashed or not o.trashed]
        elif rest == "/collections":
            objects = list(self.collections.values())
        else:
            return 404, {}, None
        if "since" in query:
            objects = [o for o in objects if self._version(o) > since]
        start = int(query.get("start") or 0)
        if self.local:  # not paged unless asked, and then without the web API's cap
            limit = int(query.get("limit") or 0) or max(len(objects) - start, 1)
        else:
            limit = min(int(query.get("limit") or 25), 100)
        page = objects[start : start + limit]
        links = []
        if start + limit < len(objects):
            nxt = dict(query, start=str(start + limit))
            links.append(f'<{self.url(path)}?{urlencode(nxt)}>; rel="next"')
            last = dict(query, start=str(max(len(objects) - limit, 0)))
            links.append(f'<{self.url(path)}?{urlencode(last)}>; rel="last"')
        extra = {**common, "Total-Results": str(len(objects))}
        if links:
            extra["Link"] = ", ".join(links)
        return 200, extra, [self._json(o) for o in page]

    def _version(self, obj: _Object) -> int:
        return 0 if self.never_synced else obj.version

    def _json(self, obj: _Object) -> dict[str, Any]:
        data = {**obj.data, "version": self._version(obj)}
        if obj.trashed:
            data["deleted"] = True if self.local else 1
        return {
            "key": obj.key,
            "version": self._version(obj),
            "library": {"id": self.library_id},
            "data": data,
        }

    def items_requests(self) -> list[ZoteroRequest]:
        return [r for r in self.requests if r.path.endswith("/items/top")]

    def url(self, path: str = "") -> str:
        """The server's root without a trailing slash (the web API's base URL), or ``path`` on it."""
        return super().url(path)
