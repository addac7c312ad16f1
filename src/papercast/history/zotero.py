"""The reader's Zotero library, live: ``papercast history sync`` through pyzotero.

Incremental, as the Zotero web API intends (its "Syncing" documentation): papercast keeps the
library version it last synced (``Last-Modified-Version``) and asks only for items changed
since (``?since=``), pages through them (``start``/``limit`` up to ``Total-Results``), then
for what was deleted since (``/deleted?since=``). Rate limits are honoured: ``Backoff`` and
``Retry-After`` make the next request wait (up to ``[zotero] max_wait``), a 429 is retried.

Each item becomes a history record (a pick) when it names a paper: an arXiv id (in the URL,
the DOI 10.48550/arXiv..., "Archive ID", or "arXiv: ..." in Extra), a DOI, or a
bioRxiv/medRxiv link; items naming none are skipped and counted. The date each item was added
to Zotero is kept (recent additions may weigh more in the ranking).

``collections`` and ``exclude_collections`` take names or keys; a named collection includes its
subcollections. Changing them makes the next sync a full one.

The desktop app's local API (Zotero 7+, ``api_url = "http://localhost:23119/api/"``, user id 0)
answers the same requests without a key, but it cannot sync incrementally: it has no
``/deleted`` endpoint, and before Zotero 10 the versions it reports are the last *synced* ones
(0 for an item never synced, unchanged by a local edit), so ``?since=`` would miss local changes.
Every sync through it therefore reads the whole library (it is fast and never rate-limits) and
drops whatever it no longer has. A full read sends no ``since`` at all: the local API keeps only
objects newer than ``since`` even for 0, which would drop the never-synced ones. No key is sent
to it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from papercast.config import Settings, ZoteroConfig
from papercast.errors import ConfigError, PapercastError
from papercast.history import reference_paper_id
from papercast.models import HistoryRecord
from papercast.store.db import Database
from papercast.store.history import HistoryStore
from papercast.store.zotero import ZoteroStore

log = logging.getLogger(__name__)

API_KEY_ENV = "ZOTERO_API_KEY"
_COLLECTION_KEY = re.compile(r"^[A-Z0-9]{8}$")
_ARXIV_IN_EXTRA = re.compile(r"arxiv:\s*(\S+)", re.IGNORECASE)
_DOI_IN_EXTRA = re.compile(r"^doi:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
_NOT_PAPERS = {"attachment", "note", "annotation"}


class ZoteroError(PapercastError):
    """The Zotero library could not be read (wrong key or id, unreachable, rate limited)."""


@dataclass
class SyncReport:
    """What one sync did."""

    library: str
    version: int = 0
    previous_version: int = 0
    full: bool = False
    fetched: int = 0  # items the API returned
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped_without_id: int = 0
    skipped_other: int = 0  # notes, attachments, items outside the chosen collections
    requests: int = 0
    waited_seconds: float = 0.0
    local: bool = False  # through the desktop app's local API: always a full read


def library_label(config: ZoteroConfig) -> str:
    return f"{config.library_type}s/{config.library_id}"


def _origin(config: ZoteroConfig) -> str:
    return f"zotero:{library_label(config)}"


def _client_class() -> type[Any]:
    from pyzotero import zotero

    class Client(zotero.Zotero):  # type: ignore[misc]
        """pyzotero's client with its Backoff handling made synchronous and bounded: the
        stock one starts a timer thread per Backoff header (which keeps the process alive)."""

        def __init__(
            self, *args: Any, sleep: Callable[[float], None], max_wait: float, **kwargs: Any
        ) -> None:
            super().__init__(*args, **kwargs)
            self._sleep, self._max_wait, self._wait = sleep, max_wait, 0.0
            self.requests = 0
            self.waited = 0.0

        def _set_backoff(self, duration: Any) -> None:
            try:
                seconds = max(float(duration), 0.0)
            except (TypeError, ValueError):
                seconds = 1.0
            if seconds > self._max_wait:
                raise ZoteroError(
                    f"Zotero asks papercast to wait {seconds:g} s before its next request",
                    "run `papercast history sync` again later (or raise [zotero] max_wait)",
                )
            self._wait = max(self._wait, seconds)

        def _check_backoff(self) -> None:
            if self._wait > 0:
                self._sleep(self._wait)
                self.waited += self._wait
                self._wait = 0.0
            self.requests += 1

    return Client


@dataclass
class _Library:
    """One sync's view of the API: pyzotero calls with papercast's errors and retries."""

    client: Any
    config: ZoteroConfig
    has_key: bool

    def call(self, method: str, *args: Any, **params: Any) -> Any:
        from pyzotero import zotero_errors as ze

        for _attempt in range(self.config.retries + 1):
            try:
                result = getattr(self.client, method)(*args, **params)
            except ze.UserNotAuthorisedError:
                raise self._denied() from None
            except ze.ResourceNotFoundError:
                raise self._not_found() from None
            except ze.UnsupportedParamsError:
                if self.config.local:  # the local API's answer for another user's library
                    raise ZoteroError(
                        "Zotero's local API serves only the library of the user signed in to "
                        f"the desktop app, not users/{self.config.library_id} (HTTP 400)",
                        "set [zotero] library_id = 0 (your own library) or your userID",
                    ) from None
                raise ZoteroError(
                    "the Zotero API refused a request (HTTP 400)",
                    f"check [zotero] api_url ({self.config.api_url}) and try again",
                ) from None
            except ze.TooManyRetriesError:
                raise ZoteroError(
                    "Zotero is rate-limiting papercast and gave no time to wait",
                    "run `papercast history sync` again in a few minutes",
                ) from None
            except ze.PyZoteroError as exc:
                raise ZoteroError(
                    f"the Zotero API refused a request ({type(exc).__name__})",
                    f"check [zotero] api_url ({self.config.api_url}) and try again",
                ) from None
            except Exception as exc:  # httpx transport errors
                if type(exc).__module__.startswith(("httpx", "httpcore")) and self.config.local:
                    raise ZoteroError(
                        f"cannot reach Zotero's local API at {self.config.api_url} "
                        f"({type(exc).__name__})",
                        "start the Zotero desktop app (7 or later), or set [zotero] api_url to "
                        "the web API",
                    ) from None
                if type(exc).__module__.startswith(("httpx", "httpcore")):
                    raise ZoteroError(
                        f"cannot reach the Zotero API at {self.config.api_url} "
                        f"({type(exc).__name__})",
                        "check the network and [zotero] api_url",
                    ) from None
                raise
            if self.client.request is not None and self.client.request.status_code == 429:
                continue  # pyzotero noted the Retry-After; the next call waits it out
            return result
        raise ZoteroError(
            f"Zotero kept answering 429 (too many requests) after {self.config.retries} retries",
            "run `papercast history sync` again later",
        )

    def _denied(self) -> ZoteroError:
        label = library_label(self.config)
        if self.config.local:
            return ZoteroError(
                f"Zotero's local API at {self.config.api_url} refused access (HTTP 403): "
                "it is not enabled",
                'in Zotero, check Settings > Advanced > "Allow other applications on this '
                'computer to communicate with Zotero"',
            )
        if not self.has_key:
            return ZoteroError(
                f"Zotero refused access to the {label} library (HTTP 403): it is private "
                f"and {API_KEY_ENV} is not set",
                "create a read-only key at https://www.zotero.org/settings/keys and export "
                f"{API_KEY_ENV}",
            )
        return ZoteroError(
            f"Zotero refused the API key in {API_KEY_ENV} for the {label} library (HTTP 403)",
            f"check that {API_KEY_ENV} is the key's full text and that the key may read "
            f"this library (zotero.org/settings/keys); or check [zotero] library_id "
            f"'{self.config.library_id}'",
        )

    def _not_found(self) -> ZoteroError:
        if self.config.local:
            return ZoteroError(
                f"Zotero's local API at {self.config.api_url} has no {library_label(self.config)}"
                " library (HTTP 404)",
                "a group must be in the desktop app (synced there); your own library is "
                'library_id = 0 with library_type = "user"',
            )
        return ZoteroError(
            f"Zotero has no {self.config.library_type} library with id "
            f"'{self.config.library_id}' (HTTP 404)",
            "set [zotero] library_id to your userID (zotero.org/settings/keys) or the group's "
            "number (in its URL), and library_type to match",
        )

    @property
    def version(self) -> int:
        request = self.client.request
        return int(request.headers.get("last-modified-version", 0)) if request else 0

    @property
    def total(self) -> int:
        request = self.client.request
        return int(request.headers.get("total-results", 0)) if request else 0

    def pages(self, method: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
        """Every page of a multi-object request, ``page_size`` at a time."""
        start, size = 0, self.config.page_size
        while True:
            page = self.call(method, start=start, limit=size, **params)
            if not isinstance(page, list):
                raise ZoteroError(
                    "the Zotero API answered with something other than a list of items",
                    f"check [zotero] api_url ({self.config.api_url})",
                )
            yield page
            start += len(page)
            if not page or start >= self.total:
                return


def _connect(config: ZoteroConfig, sleep: Callable[[float], None]) -> _Library:
    # the local API needs no key: a web API key is not sent to it
    key = None if config.local else os.environ.get(API_KEY_ENV) or None
    client = _client_class()(
        config.library_id,
        config.library_type,
        key,
        local=config.local,
        sleep=sleep,
        max_wait=config.max_wait,
    )
    client.endpoint = config.api_url.rstrip("/")
    return _Library(client, config, key is not None)


# --- collections ---------------------------------------------------------------------------


def _resolve(
    library: _Library, wanted: list[str], collections: list[dict[str, Any]], key: str
) -> set[str]:
    """Collection keys for names or keys, each with its subcollections."""
    by_key = {c["key"]: c for c in collections}
    children: dict[str, list[str]] = {}
    for c in collections:
        parent = c.get("data", {}).get("parentCollection")
        if parent:
            children.setdefault(str(parent), []).append(c["key"])
    result: set[str] = set()
    for name in wanted:
        matches = (
            [name]
            if name in by_key
            else [c["key"] for c in collections if c.get("data", {}).get("name") == name]
        )
        if not matches and _COLLECTION_KEY.match(name) is None:
            known = sorted({str(c.get("data", {}).get("name", "")) for c in collections})
            raise ConfigError(
                f"[zotero] {key}: the {library_label(library.config)} library has no "
                f"collection named '{name}'",
                "use a collection's exact name or key; the library has: "
                + (", ".join(known[:20]) or "no collections"),
            )
        stack = list(matches) or [name]
        while stack:
            current = stack.pop()
            if current not in result:
                result.add(current)
                stack.extend(children.get(current, []))
    return result


def _scope(config: ZoteroConfig) -> str:
    return json.dumps({"in": sorted(config.collections), "out": sorted(config.exclude_collections)})


# --- items -----------------------------------------------------------------------------------


def item_paper_id(data: dict[str, Any]) -> str | None:
    """The papercast id an item names: arXiv (URL, DOI, Archive ID, Extra), DOI, bioRxiv."""
    extra = str(data.get("extra") or "")
    arxiv = _ARXIV_IN_EXTRA.search(extra)
    doi_in_extra = _DOI_IN_EXTRA.search(extra)
    candidates = [
        str(data.get("archiveID") or ""),
        arxiv.group(1) if arxiv else "",
        str(data.get("url") or ""),
        str(data.get("DOI") or ""),
        doi_in_extra.group(1) if doi_in_extra else "",
    ]
    for candidate in candidates:
        if candidate.strip():
            paper_id = reference_paper_id(candidate.strip())
            if paper_id:
                return paper_id
    return None


def _record(item: dict[str, Any]) -> HistoryRecord | None:
    data = item.get("data", {})
    paper_id = item_paper_id(data)
    if paper_id is None:
        return None
    return HistoryRecord(
        title=str(data.get("title") or ""),
        abstract=str(data.get("abstractNote") or ""),
        paper_id=paper_id,
        ref=str(data.get("url") or data.get("DOI") or paper_id),
        picked=True,
        added=_added(data.get("dateAdded")),
    )


def _added(value: object) -> datetime | None:
    """Zotero's dateAdded ("2024-10-14T09:30:00Z"), as an aware datetime; None if unreadable."""
    text = str(value or "").strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _in_scope(data: dict[str, Any], include: set[str] | None, exclude: set[str]) -> bool:
    member = set(data.get("collections") or [])
    if include is not None and not member & include:
        return False
    return not member & exclude


# --- the sync --------------------------------------------------------------------------------


def sync_zotero(
    settings: Settings,
    db: Database,
    *,
    full: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Bring the history up to date with the Zotero library; returns what changed."""
    config = settings.zotero
    if not config.configured:
        raise ConfigError(
            "no Zotero library is configured",
            'set [zotero] library_id (and library_type = "group" for a group library)',
        )
    library = _connect(config, sleep)
    try:
        return _sync(library, config, db, full)
    finally:
        if library.client.client is not None:
            library.client.client.close()


def _sync(library: _Library, config: ZoteroConfig, db: Database, full: bool) -> SyncReport:
    label, origin = library_label(config), _origin(config)
    store = ZoteroStore(db)
    state = store.state(label)
    # the local API cannot say what changed or was deleted since a version: read it all
    full = full or config.local or state is None or state.scope != _scope(config)
    since = 0 if full else state.version if state else 0
    report = SyncReport(library=label, previous_version=since, full=full, local=config.local)

    include: set[str] | None = None
    exclude: set[str] = set()
    if config.collections or config.exclude_collections:
        collections = [c for page in library.pages("collections") for c in page]
        if config.collections:
            include = _resolve(library, config.collections, collections, "collections")
        exclude = _resolve(library, config.exclude_collections, collections, "exclude_collections")

    known = store.item_keys(label)
    records: list[HistoryRecord] = []
    mapped: dict[str, str] = {}
    removed: set[str] = set()
    seen: set[str] = set()
    version = 0
    listing: dict[str, Any] = (
        {"includeTrashed": 1} if full else {"since": since, "includeTrashed": 1}
    )
    for page in library.pages("top", **listing):
        version = max(version, library.version)
        for item in page:
            report.fetched += 1
            key, data = str(item.get("key")), item.get("data", {})
            seen.add(key)
            if data.get("itemType") in _NOT_PAPERS or data.get("deleted"):
                report.skipped_other += int(not data.get("deleted"))
                removed.add(key)
                continue
            if not _in_scope(data, include, exclude):
                report.skipped_other += 1
                removed.add(key)
                continue
            record = _record(item)
            if record is None:
                report.skipped_without_id += 1
                removed.add(key)
                continue
            records.append(record)
            mapped[key] = record.key
    if full:
        removed |= set(known) - seen  # a full sync: whatever it did not see is gone
    else:
        deleted = library.call("deleted", since=since)
        if isinstance(deleted, dict):
            removed |= {str(k) for k in deleted.get("items", [])}
        version = max(version, library.version)
    report.version = max(version, since)
    report.requests, report.waited_seconds = library.client.requests, library.client.waited
    counts = HistoryStore(db).import_records(records, origin=origin)
    report.added, report.updated, report.unchanged = counts.added, counts.updated, counts.unchanged
    report.removed = store.apply(
        label,
        version=report.version,
        scope=_scope(config),
        mapped=mapped,
        removed=removed - set(mapped),
        origin=origin,
    )
    log.info(
        "zotero %s: version %d -> %d, %d items fetched, %d added, %d updated, %d removed, "
        "%d without an id",
        label,
        since,
        report.version,
        report.fetched,
        report.added,
        report.updated,
        report.removed,
        report.skipped_without_id,
    )
    return report
