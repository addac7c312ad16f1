"""arXiv through its API, with the ``arxiv`` package doing search URLs, paging and parsing.

We subclass ``arxiv.Client`` only to route its page requests through our HttpFetcher, so that
politeness (one request at a time, ``delay_seconds`` apart), bounded retries with backoff on
429/5xx/timeouts, a configurable API URL, and our typed errors apply. A page that comes back
empty or truncated mid-way is retried, never taken as the end of the results.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import arxiv
from arxiv import _feed
from lxml import etree

from papercast.config import ArxivConfig, Settings
from papercast.errors import InputError, NotFoundError, SourceError
from papercast.http import HttpFetcher, HTTPStatusError, Limits, RetryableHTTPError
from papercast.ids import arxiv_paper_id, parse_arxiv_id
from papercast.models import Author, DateWindow, Paper
from papercast.sources.arxiv_taxonomy import check_category
from papercast.sources.base import SourceResult, explain_empty_window

log = logging.getLogger(__name__)

_ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV_FIRST_DAY = date(1991, 8, 14)


def _strict_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)


def api_error_message(content: bytes) -> str | None:
    """arXiv reports bad queries as an Atom feed with one entry titled 'Error'."""
    try:
        root = etree.fromstring(content, _strict_parser())
    except etree.XMLSyntaxError:
        return None
    for entry in root.iter(f"{_ATOM}entry"):
        entry_id = entry.findtext(f"{_ATOM}id") or ""
        title = (entry.findtext(f"{_ATOM}title") or "").strip()
        if title == "Error" or "/api/errors" in entry_id:
            return " ".join((entry.findtext(f"{_ATOM}summary") or "unknown error").split())
    return None


class _Client(arxiv.Client):  # type: ignore[misc]
    """``arxiv.Client`` whose page requests go through our fetcher."""

    def __init__(self, config: ArxivConfig, fetcher: HttpFetcher) -> None:
        super().__init__(
            page_size=config.page_size,
            delay_seconds=config.delay_seconds,
            num_retries=config.num_retries,
        )
        self.query_url_format = config.api_url.rstrip("?") + "?{}"
        self._fetcher = fetcher
        self.total_results: int | None = None

    def _parse_feed(
        self, url: str, first_page: bool = True, _try_index: int = 0
    ) -> _feed.ParsedFeed:
        parsed: list[_feed.ParsedFeed] = []

        def validate(response: Any) -> None:
            content: bytes = response.content
            try:
                etree.fromstring(content, _strict_parser())
            except etree.XMLSyntaxError as exc:
                reason = " ".join(str(exc).split())  # libxml2's messages may hold line breaks
                if content.rstrip().endswith(b"</feed>"):  # complete, so not cut off in transit
                    raise SourceError(
                        f"arXiv API sent a page that is not well-formed XML ({reason})",
                        "asking again would get the same page; check [arxiv] api_url",
                        source="arxiv",
                    ) from None
                raise RetryableHTTPError(
                    url, 200, f"malformed or truncated XML ({reason})", None
                ) from None
            message = api_error_message(content)
            if message:
                raise SourceError(
                    f"arXiv rejected the query: {message}",
                    "check [arxiv] categories, include keywords and authors",
                    source="arxiv",
                )
            feed = _feed.parse(content)
            if not feed.results and not first_page:
                raise RetryableHTTPError(url, 200, "a page of results came back empty", None)
            parsed.append(feed)

        try:
            self._fetcher.get(url, what="arXiv API", source="arxiv", validate=validate)
        except HTTPStatusError as exc:
            message = api_error_message(exc.response.content)
            status = exc.response.status_code
            raise SourceError(
                f"arXiv rejected the query (HTTP {status}): {message or exc.response.reason_phrase}",
                "check [arxiv] categories, keywords and api_url",
                source="arxiv",
                status=status,
            ) from None
        feed = parsed[-1]
        if first_page:
            self.total_results = feed.header.total_results
        return feed


def result_to_paper(result: arxiv.Result, origin: str = "arXiv API") -> Paper:
    short, version = parse_arxiv_id(result.entry_id)
    pdf_url = result.pdf_url or f"https://arxiv.org/pdf/{short}" + (
        f"v{version}" if version else ""
    )
    if pdf_url.startswith("http://arxiv.org/"):
        pdf_url = "https://" + pdf_url[len("http://") :]
    aliases = [f"doi:10.48550/arxiv.{short}".lower()]
    if result.doi:
        aliases.append(f"doi:{result.doi.strip().lower()}")
    return Paper(
        id=arxiv_paper_id(short),
        source="arxiv",
        version=version,
        title=result.title,
        authors=[Author(name=a.name, affiliations=list(a.affiliation)) for a in result.authors],
        abstract=result.summary,
        categories=list(result.categories),
        primary_category=result.primary_category or None,
        published=result.published,
        updated=result.updated,
        doi=result.doi or None,
        comment=result.comment or None,
        journal_ref=result.journal_ref or None,
        abs_url=f"https://arxiv.org/abs/{short}",
        pdf_url=pdf_url,
        origin=origin,
        aliases=aliases,
    )


def _quote(term: str) -> str:
    cleaned = term.replace('"', " ").strip()
    return f'"{cleaned}"' if " " in cleaned else cleaned


def build_query(config: ArxivConfig, window: DateWindow) -> list[tuple[str, str]]:
    """(label, search_query) pairs: one for the categories, one for followed authors."""
    for code in config.categories:
        problem = check_category(code)
        if problem:
            raise InputError(problem, "fix [arxiv] categories (see arxiv.org/category_taxonomy)")
    since = window.since - timedelta(days=config.lookback_days)
    span = f"submittedDate:[{since:%Y%m%d}0000 TO {window.until:%Y%m%d}2359]"
    queries: list[tuple[str, str]] = []
    if config.categories:
        cats = " OR ".join(f"cat:{code}" for code in config.categories)
        query = f"({cats}) AND {span}"
        if config.include_in_query and config.include:
            words = " OR ".join(
                f"ti:{_quote(k)} OR abs:{_quote(k)}" for k in config.include if k.strip()
            )
            query += f" AND ({words})"
        queries.append(("categories", query))
    if config.authors:
        names = " OR ".join(f"au:{_quote(name)}" for name in config.authors if name.strip())
        queries.append(("authors", f"({names}) AND {span}"))
    return queries


class ArxivSource:
    name = "arxiv"

    def __init__(self, config: ArxivConfig, limits: Limits | None = None) -> None:
        self.config = config
        self.lookback_days = config.lookback_days  # the query asks for these days too
        self.fetcher = HttpFetcher.polite(
            timeout=config.timeout,
            retries=config.num_retries,
            delay=config.delay_seconds,
            limits=limits,
        )

    def close(self) -> None:
        self.fetcher.close()

    def fetch(self, window: DateWindow, result: SourceResult) -> Iterator[Paper]:
        queries = build_query(self.config, window)
        seen: set[str] = set()
        total = 0
        try:
            for _label, query in queries:
                client = _Client(self.config, self.fetcher)
                search = arxiv.Search(
                    query=query,
                    max_results=self.config.max_results,
                    sort_by=arxiv.SortCriterion.SubmittedDate,
                    sort_order=arxiv.SortOrder.Descending,
                )
                for item in client.results(search):
                    paper = result_to_paper(item)
                    if paper.id in seen:
                        continue
                    seen.add(paper.id)
                    yield paper
                total += client.total_results or 0
        finally:
            result.requests += self.fetcher.requests_made
            self.fetcher.requests_made = 0
        result.total_reported = total
        if not seen:
            result.empty_reason = explain_empty_window(window) or self._why_empty(window)

    def _why_empty(self, window: DateWindow) -> str:
        if window.until < ARXIV_FIRST_DAY:
            return f"the window ends before arXiv's first paper ({ARXIV_FIRST_DAY})"
        cats = ", ".join(self.config.categories) or "the followed authors"
        return (
            f"arXiv has no submissions in {cats} between {window.since} and {window.until}; "
            "its index can lag the announcement by a day, so a window ending today may be empty"
        )


def fetch_by_ids(settings: Settings, ids: list[str]) -> list[Paper]:
    """Metadata for specific arXiv ids (any form parse_arxiv_id accepts), in the given order.

    Raises NotFoundError naming the ids arXiv does not know.
    """
    wanted = [parse_arxiv_id(raw) for raw in ids]
    id_list = [f"{short}v{version}" if version else short for short, version in wanted]
    source = ArxivSource(settings.arxiv, Limits.from_config(settings.download))
    try:
        client = _Client(settings.arxiv, source.fetcher)
        search = arxiv.Search(id_list=id_list, max_results=len(id_list))
        found = {}
        for item in client.results(search):
            try:
                paper = result_to_paper(item)
            except InputError:
                continue
            if paper.title:
                found[paper.id] = paper
    finally:
        source.close()
    missing = [
        raw for raw, (short, _v) in zip(ids, wanted, strict=True) if f"arxiv:{short}" not in found
    ]
    if missing:
        raise NotFoundError(
            f"arXiv has no paper {', '.join(missing)}", "check the id (e.g. 2410.05258)"
        )
    return [found[f"arxiv:{short}"] for short, _v in wanted]
