"""bioRxiv and medRxiv through their JSON API (https://api.biorxiv.org).

``/details/{server}/{from}/{to}/{cursor}[?category=...]`` returns a page of records and a
``messages`` block with the ``total``. The page size is not fixed (documented 100, observed
30), so the cursor advances by the number of records actually returned.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any, TypeGuard

from papercast.config import BiorxivConfig, Settings
from papercast.errors import NotFoundError, SourceError
from papercast.http import HttpFetcher, HTTPStatusError, Limits, RetryableHTTPError
from papercast.ids import DOI, normalize_doi
from papercast.models import Author, DateWindow, Paper
from papercast.sources.base import SourceResult, explain_empty_window

log = logging.getLogger(__name__)

SERVER_FIRST_DAY = {"biorxiv": date(2013, 11, 7), "medrxiv": date(2019, 6, 6)}
_SITES = {"biorxiv": "https://www.biorxiv.org", "medrxiv": "https://www.medrxiv.org"}
MAX_PAGES = 10_000


def _parse_json(content: bytes, url: str) -> dict[str, Any]:
    try:
        data = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise RetryableHTTPError(url, 200, "the response is not UTF-8", None) from None
    except json.JSONDecodeError as exc:
        raise RetryableHTTPError(
            url, 200, f"malformed or truncated JSON ({exc.msg})", None
        ) from None
    except RecursionError:
        raise SourceError(
            f"{url} sent JSON nested too deeply to be an API answer",
            "check [biorxiv] api_url",
            source="biorxiv",
        ) from None
    if not _api_shaped(data):
        raise SourceError(
            f"{url} did not answer in the bioRxiv API format",
            "check [biorxiv] api_url",
            source="biorxiv",
        )
    return data


def _api_shaped(data: object) -> TypeGuard[dict[str, Any]]:
    """``{"messages": [{...}], "collection": [...]}``, as the API always answers."""
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        return False
    if not all(isinstance(message, dict) for message in data["messages"]):
        return False
    return isinstance(data.get("collection", []), list | None)


def split_authors(text: str) -> list[str]:
    """'Smith, J.; Doe, A. B.' -> ['Smith, J.', 'Doe, A. B.']"""
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def record_to_paper(record: dict[str, Any], server: str) -> Paper:
    """One API record as a Paper; ValueError/KeyError/TypeError for a record that is not one."""
    doi = normalize_doi(str(record["doi"]))
    if not DOI.match(doi):
        raise ValueError(f"not a DOI: {doi[:80]!r}")
    if not str(record.get("title") or "").strip():
        raise ValueError(f"{doi} has no title")
    version = int(record.get("version") or 1)
    posted = date.fromisoformat(str(record["date"]))
    corresponding = (record.get("author_corresponding") or "").strip()
    institution = (record.get("author_corresponding_institution") or "").strip()
    authors = []
    for name in split_authors(str(record.get("authors") or "")):
        is_corr = bool(corresponding) and _same_person(name, corresponding)
        authors.append(
            Author(name=name, affiliations=[institution] if is_corr and institution else [])
        )
    site = _SITES[server]
    aliases = [f"doi:{doi}"]
    published_doi = str(record.get("published") or "").strip()
    if published_doi and published_doi.upper() != "NA":
        aliases.append(f"doi:{normalize_doi(published_doi)}")
    category = str(record.get("category") or "").strip()
    return Paper(
        id=f"{server}:{doi}",
        source=server,
        version=version,
        title=str(record.get("title") or ""),
        authors=authors,
        abstract=str(record.get("abstract") or ""),
        categories=[category] if category else [],
        primary_category=category or None,
        published=datetime(posted.year, posted.month, posted.day, tzinfo=UTC),
        updated=datetime(posted.year, posted.month, posted.day, tzinfo=UTC),
        doi=doi,
        abs_url=f"{site}/content/{doi}v{version}",
        pdf_url=f"{site}/content/{doi}v{version}.full.pdf",
        origin=f"{server} API",
        aliases=aliases,
    )


def _same_person(listed: str, corresponding: str) -> bool:
    surname = listed.split(",")[0].strip().lower()
    return bool(surname) and surname in corresponding.lower()


class BiorxivSource:
    lookback_days = 0

    def __init__(self, config: BiorxivConfig, server: str, limits: Limits | None = None) -> None:
        self.config = config
        self.server = server
        self.name = server
        self.fetcher = HttpFetcher.polite(
            timeout=config.timeout,
            retries=config.num_retries,
            delay=config.delay_seconds,
            limits=limits,
        )

    def close(self) -> None:
        self.fetcher.close()

    def _page(self, window: DateWindow, cursor: int, category: str | None) -> dict[str, Any]:
        base = self.config.api_url.rstrip("/")
        url = f"{base}/details/{self.server}/{window.since}/{window.until}/{cursor}"
        params = {"category": category.strip().lower().replace(" ", "_")} if category else None
        holder: list[dict[str, Any]] = []

        def validate(response: Any) -> None:
            data = _parse_json(response.content, url)
            collection = data.get("collection") or []
            total = _total(data)
            if not collection and cursor > 0 and total is not None and cursor < total:
                raise RetryableHTTPError(url, 200, "a page of results came back empty", None)
            holder.append(data)

        try:
            self.fetcher.get(
                url, params, what=f"{self.server} API", source=self.server, validate=validate
            )
        except HTTPStatusError as exc:
            raise SourceError(
                f"{self.server} API answered HTTP {exc.response.status_code} for {url}",
                "check [biorxiv] api_url and categories",
                source=self.server,
                status=exc.response.status_code,
            ) from None
        return holder[-1]

    def fetch(self, window: DateWindow, result: SourceResult) -> Iterator[Paper]:
        categories: list[str | None] = list(self.config.categories) or [None]
        yielded = 0
        messages: list[str] = []
        try:
            for category in categories:
                cursor = 0
                for _ in range(MAX_PAGES):
                    data = self._page(window, cursor, category)
                    status = str((data["messages"] or [{}])[0].get("status", "")).strip()
                    collection = data.get("collection") or []
                    if status.lower() != "ok" and not collection:
                        messages.append(status)
                        break
                    for record in collection:
                        try:
                            paper = record_to_paper(record, self.server)
                        except (KeyError, ValueError, TypeError) as exc:
                            log.warning("%s: skipping a malformed record (%s)", self.server, exc)
                            continue
                        if paper.published and window.contains(paper.published.date()):
                            yielded += 1
                            yield paper
                        else:
                            result.out_of_window += 1
                    cursor += len(collection)
                    total = _total(data)
                    if not collection or total is None or cursor >= total:
                        break
        finally:
            result.requests += self.fetcher.requests_made
            self.fetcher.requests_made = 0
        if not yielded:
            result.empty_reason = explain_empty_window(window) or self._why_empty(window, messages)

    def _why_empty(self, window: DateWindow, messages: list[str]) -> str:
        first = SERVER_FIRST_DAY[self.server]
        if window.until < first:
            return f"the window ends before {self.server}'s data begins ({first})"
        said = f" (the API said: {messages[0]})" if messages else ""
        cats = f" in {', '.join(self.config.categories)}" if self.config.categories else ""
        return f"{self.server} posted nothing{cats} between {window.since} and {window.until}{said}"


def _total(data: dict[str, Any]) -> int | None:
    try:
        return int((data.get("messages") or [{}])[0].get("total"))
    except (TypeError, ValueError):
        return None


def fetch_by_doi(settings: Settings, doi: str, servers: list[str] | None = None) -> Paper:
    """The latest version of a bioRxiv/medRxiv preprint by DOI; NotFoundError if neither has it."""
    doi = normalize_doi(doi)
    for server in servers or ["biorxiv", "medrxiv"]:
        source = BiorxivSource(settings.biorxiv, server, Limits.from_config(settings.download))
        url = f"{settings.biorxiv.api_url.rstrip('/')}/details/{server}/{doi}/na/json"
        try:
            response = source.fetcher.get(url, what=f"{server} API", source=server)
            data = _parse_json(response.content, url)
        except RetryableHTTPError as exc:
            raise SourceError(
                f"{server} API: {exc.reason}", "try again later", source=server
            ) from None
        except HTTPStatusError:
            continue
        finally:
            source.close()
        records = [
            r for r in data.get("collection") or [] if normalize_doi(str(r.get("doi", ""))) == doi
        ]
        if records:
            latest = max(records, key=lambda r: int(r.get("version") or 1))
            return record_to_paper(latest, server)
    raise NotFoundError(f"no bioRxiv or medRxiv preprint has DOI {doi}", "check the DOI")
