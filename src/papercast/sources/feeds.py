"""Any RSS or Atom feed through ``feedparser``, including arXiv's announcement feeds.

arXiv RSS items (rss.arxiv.org/rss/cs.LG) carry ``arxiv:announce_type`` (new, cross, replace,
replace-cross); they become arXiv papers with the same id as the API's, so one paper seen in
both is stored once. Replacements are not new papers: selection excludes them by rule.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from papercast.config import FeedsConfig
from papercast.errors import InputError, SourceError
from papercast.http import HttpFetcher, HTTPStatusError, Limits, RetryableHTTPError
from papercast.ids import DOI, normalize_doi, parse_arxiv_id, parse_reference
from papercast.models import Author, DateWindow, Paper
from papercast.sources.base import SourceResult, explain_empty_window

log = logging.getLogger(__name__)

_ARXIV_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+?)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<[^>]+>")
# an internal DTD subset declaring entities: how XML bombs and external-entity reads start
_ENTITY_DECLARATION = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.IGNORECASE)
_CLOSED_ROOT = re.compile(rb"</(?:[\w-]+:)?(?:rss|feed|RDF)>\s*$")


def _cut_off(content: bytes, parsed: Any) -> bool:
    """A feed whose root element never closes was cut off in transit: feedparser would quietly
    return only the items before the cut."""
    return bool(parsed.get("bozo") and parsed.get("version")) and not _CLOSED_ROOT.search(
        content[-1024:]
    )


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _authors(entry: Any) -> list[Author]:
    names: list[str] = []
    for author in entry.get("authors") or []:
        name = (author.get("name") or "").strip()
        if name:
            names.append(name)
    if len(names) == 1 and "," in names[0]:
        # arXiv's dc:creator is one comma-separated string: "A, B, C"
        names = [n.strip() for n in re.split(r",\s*|\s+and\s+", names[0]) if n.strip()]
    return [Author(name=n) for n in names]


def _plain(html: str) -> str:
    return _TAGS.sub(" ", html or "")


def _entry_doi(entry: Any) -> str | None:
    for key in ("prism_doi", "dc_identifier", "doi"):
        value = str(entry.get(key) or "").strip()
        match = DOI.match(value.removeprefix("doi:").strip()) if value else None
        if match:
            return normalize_doi(match.group("doi"))
    return None


def entry_to_paper(entry: Any, feed_title: str) -> Paper | None:
    """One feed item as a Paper, or None if it has no title and no link."""
    title = (entry.get("title") or "").strip()
    link = (entry.get("link") or "").strip()
    if not title and not link:
        return None
    summary = _plain(entry.get("summary") or entry.get("description") or "")
    announce = (entry.get("arxiv_announce_type") or "").strip().lower() or None
    published = _when(entry)
    categories = [t.get("term") for t in entry.get("tags") or [] if t.get("term")]
    doi = _entry_doi(entry)
    guid = (entry.get("id") or "").strip()
    base: dict[str, Any] = {
        "title": title or link,
        "authors": _authors(entry),
        "categories": categories,
        "published": published,
        "updated": published,
        "origin": feed_title,
        "announce_type": announce,
    }
    arxiv_match = _ARXIV_DESCRIPTION.match(summary)
    arxiv_ref = None
    for candidate in (
        arxiv_match.group("id") if arxiv_match else "",
        guid.rsplit(":", 1)[-1],
        link,
    ):
        if not candidate:
            continue
        try:
            arxiv_ref = parse_arxiv_id(candidate)
            break
        except InputError:
            continue
    if arxiv_ref is not None:
        short, version = arxiv_ref
        abstract = summary[arxiv_match.end() :] if arxiv_match else summary
        return Paper(
            id=f"arxiv:{short}",
            source="arxiv",
            version=version,
            abstract=abstract,
            primary_category=categories[0] if categories else None,
            abs_url=f"https://arxiv.org/abs/{short}",
            pdf_url=f"https://arxiv.org/pdf/{short}" + (f"v{version}" if version else ""),
            aliases=[f"doi:10.48550/arxiv.{short}".lower()],
            **base,
        )
    if link.startswith(("http://", "https://")):
        try:
            ref = parse_reference(link)
        except InputError:
            ref = None
        if ref is not None and ref.kind in ("biorxiv", "medrxiv") and ref.doi:
            return Paper(
                id=f"{ref.kind}:{ref.doi}",
                source=ref.kind,
                version=ref.version,
                abstract=summary,
                doi=ref.doi,
                abs_url=link,
                aliases=[f"doi:{ref.doi}"],
                **base,
            )
    key = doi or guid or link or title
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return Paper(
        id=f"feed:{digest}",
        source="feed",
        abstract=summary,
        doi=doi,
        abs_url=link if link.startswith(("http://", "https://")) else None,
        aliases=[f"doi:{doi}"] if doi else [],
        **base,
    )


class FeedSource:
    lookback_days = 0

    def __init__(self, config: FeedsConfig, url: str, limits: Limits | None = None) -> None:
        self.config = config
        self.url = url
        host = urlsplit(url).hostname or url
        self.name = f"feed {host}{urlsplit(url).path}"
        self.fetcher = HttpFetcher(
            timeout=config.timeout,
            retries=config.num_retries,
            backoff=1.0,
            limits=limits or Limits(),
        )

    def close(self) -> None:
        self.fetcher.close()

    def _parse(self) -> Any:
        attempts: list[Any] = []

        def validate(response: Any) -> None:
            parsed = self._feedparse(response)
            attempts.append(parsed)
            if _cut_off(response.content, parsed):
                raise RetryableHTTPError(self.url, 200, "the feed was cut off", None)

        try:
            self.fetcher.get(self.url, what=f"feed {self.url}", source=self.name, validate=validate)
        except SourceError:
            if not attempts:
                raise
            log.warning(
                "%s still looks cut off after %d tries; reading the %d items it has",
                self.url,
                len(attempts),
                len(attempts[-1].entries),
            )
        except HTTPStatusError as exc:
            raise SourceError(
                f"feed {self.url} answered HTTP {exc.response.status_code}",
                "check the URL in [feeds] urls",
                source=self.name,
                status=exc.response.status_code,
            ) from None
        except InputError as exc:
            raise SourceError(exc.message, exc.hint, source=self.name) from None
        parsed = attempts[-1]
        if not parsed.get("version") and not parsed.entries:
            problem = parsed.get("bozo_exception")
            detail = f" ({type(problem).__name__})" if problem else ""
            raise SourceError(
                f"{self.url} is not an RSS or Atom feed{detail}",
                "check the URL in [feeds] urls points at the feed, not a web page",
                source=self.name,
            )
        return parsed

    def _feedparse(self, response: Any) -> Any:
        if _ENTITY_DECLARATION.search(response.content):
            raise SourceError(
                f"{self.url} declares XML entities, which papercast never expands",
                "entity declarations are how XML bombs work; real feeds do not need them: "
                "remove this feed from [feeds] urls or ask its publisher",
                source=self.name,
            )
        return feedparser.parse(
            response.content,
            response_headers={"content-type": response.headers.get("content-type", "")},
            sanitize_html=True,
            resolve_relative_uris=False,
        )

    def fetch(self, window: DateWindow, result: SourceResult) -> Iterator[Paper]:
        try:
            parsed = self._parse()
        finally:
            result.requests += self.fetcher.requests_made
            self.fetcher.requests_made = 0
        feed_title = (parsed.feed.get("title") or self.url).strip()
        yielded = 0
        dates: list[datetime] = []
        for entry in parsed.entries:
            paper = entry_to_paper(entry, feed_title)
            if paper is None:
                continue
            if paper.published is not None:
                dates.append(paper.published)
                if not window.contains(paper.published.date()):
                    result.out_of_window += 1  # a feed carries its latest items, whatever week
                    continue
            yielded += 1
            yield paper
        if not yielded:
            result.empty_reason = explain_empty_window(window) or self._why_empty(
                window, len(parsed.entries), dates
            )

    def _why_empty(self, window: DateWindow, items: int, dates: list[datetime]) -> str:
        if items == 0:
            if "arxiv.org" in self.url:
                return (
                    "the feed has no items: arXiv announces Sunday to Thursday evenings "
                    "(US Eastern), so its feeds are empty on Saturdays, Sundays and holidays"
                )
            return "the feed has no items right now"
        span = f"{min(dates).date()}..{max(dates).date()}" if dates else "undated"
        return (
            f"the feed's {items} items are dated {span}, outside {window.since}..{window.until}; "
            "feeds only carry their latest items, so past weeks come from the APIs"
        )
