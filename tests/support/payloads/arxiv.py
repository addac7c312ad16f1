"""arXiv API payloads in the real Atom format, a synthetic week of entries, and a paging server.

The layout copies a real response recorded in 2026 (tests/fixtures/
arxiv_query_testing_10_entries.xml): the feed header carries ``opensearch:itemsPerPage``,
``totalResults`` and ``startIndex``; each entry has ``id`` ``http://arxiv.org/abs/<id>v<N>``,
``title``, ``updated``, an ``alternate`` link and a ``related`` link titled ``pdf`` (no ``.pdf``
suffix), ``summary``, ``category`` terms, ``published``, optional ``arxiv:comment``,
``arxiv:primary_category``, optional ``arxiv:journal_ref``, ``author`` (with optional
``arxiv:affiliation``) and optional ``arxiv:doi`` plus a ``doi`` link.
"""

from __future__ import annotations

import base64
import hashlib
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NotRequired, TypedDict
from xml.sax.saxutils import escape, quoteattr

from papercast.sample.server import RecordedRequest, Reply
from support.payloads import words

ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
DEFAULT_CATEGORIES = ("cs.LG", "cs.CL", "cs.AI")
# Primary categories of papers cross-listed into the requested ones.
CROSS_LIST_PRIMARIES = ("stat.ML", "cs.CV", "cs.IR", "math.OC", "eess.AS", "q-bio.NC", "cs.RO")
# arXiv has never reached 90,000 submissions in one month, so ids from here on are synthetic
# by construction and never point at a real paper.
SYNTHETIC_ID_BASE = 90000
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


class ArxivAuthor(TypedDict):
    name: str
    affiliations: NotRequired[list[str]]


class ArxivEntry(TypedDict):
    """One arXiv API entry. ``categories`` lists every category, the primary one first."""

    id: str  # version-free, e.g. "2410.05258"
    version: int
    title: str
    summary: str
    authors: list[ArxivAuthor]
    published: datetime  # first version
    updated: datetime  # this version
    primary_category: str
    categories: list[str]
    comment: NotRequired[str]
    journal_ref: NotRequired[str]
    doi: NotRequired[str]


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: str) -> str:
    return escape(value)


def _feed_id(query: str) -> str:
    digest = hashlib.sha1(query.encode("utf-8"), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii").rstrip("=")


def _entry_xml(entry: ArxivEntry) -> str:
    vid = f"{entry['id']}v{entry['version']}"
    lines = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{vid}</id>",
        f"    <title>{_text(entry['title'])}</title>",
        f"    <updated>{_ts(entry['updated'])}</updated>",
        f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{vid}" rel="related" type="application/pdf"'
        ' title="pdf"/>',
        f"    <summary>{_text(entry['summary'])}</summary>",
    ]
    lines += [
        f'    <category term={quoteattr(term)} scheme="http://arxiv.org/schemas/atom"/>'
        for term in entry["categories"]
    ]
    lines.append(f"    <published>{_ts(entry['published'])}</published>")
    if "comment" in entry:
        lines.append(f"    <arxiv:comment>{_text(entry['comment'])}</arxiv:comment>")
    lines.append(f"    <arxiv:primary_category term={quoteattr(entry['primary_category'])}/>")
    if "journal_ref" in entry:
        lines.append(f"    <arxiv:journal_ref>{_text(entry['journal_ref'])}</arxiv:journal_ref>")
    for author in entry["authors"]:
        lines.append("    <author>")
        lines.append(f"      <name>{_text(author['name'])}</name>")
        for affiliation in author.get("affiliations", []):
            lines.append(f"      <arxiv:affiliation>{_text(affiliation)}</arxiv:affiliation>")
        lines.append("    </author>")
    if "doi" in entry:
        doi = entry["doi"]
        lines.append(f"    <arxiv:doi>{_text(doi)}</arxiv:doi>")
        lines.append(
            f'    <link rel="related" href={quoteattr("https://doi.org/" + doi)} title="doi"/>'
        )
    lines.append("  </entry>")
    return "\n".join(lines)


def _header(query: str, start: int, per_page: int, total: int, updated: datetime) -> list[str]:
    q = _text(query)
    return [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>https://arxiv.org/api/{_feed_id(f'{query}|{start}|{per_page}')}</id>",
        f"  <title>arXiv Query: search_query={q}&amp;id_list=&amp;start={start}"
        f"&amp;max_results={per_page}</title>",
        f"  <updated>{_ts(updated)}</updated>",
        f'  <link href="https://arxiv.org/api/query?search_query={q}&amp;start={start}'
        f'&amp;max_results={per_page}&amp;id_list=" type="application/atom+xml"/>',
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>",
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
    ]


def arxiv_atom(
    entries: Sequence[ArxivEntry],
    total: int | None = None,
    start: int = 0,
    per_page: int | None = None,
    *,
    query: str = "all:electron",
    updated: datetime | None = None,
) -> bytes:
    """One page of an arXiv API answer: ``entries`` are the page's entries (already sliced).

    ``total`` defaults to ``start + len(entries)``, ``per_page`` (what arXiv echoes from
    ``max_results``) to ``len(entries)``; ``updated`` (the feed's own timestamp) defaults to
    the newest entry's, so the bytes are reproducible.
    """
    total = start + len(entries) if total is None else total
    per_page = len(entries) if per_page is None else per_page
    if updated is None:
        updated = max((e["updated"] for e in entries), default=_EPOCH)
    lines = _header(query, start, per_page, total, updated)
    lines.extend(_entry_xml(entry) for entry in entries)
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def arxiv_entries_from_atom(content: bytes) -> list[ArxivEntry]:
    """The entries of an API page (recorded or generated), to serve again with any paging."""
    from arxiv import _feed  # the real parser

    entries: list[ArxivEntry] = []
    for result in _feed.parse(content).results:
        short, _, version = result.get_short_id().rpartition("v")
        entry: ArxivEntry = {
            "id": short,
            "version": int(version),
            "title": result.title,
            "summary": result.summary,
            "authors": [
                {"name": a.name, "affiliations": list(a.affiliation)}
                if a.affiliation
                else {"name": a.name}
                for a in result.authors
            ],
            "published": result.published,
            "updated": result.updated,
            "primary_category": result.primary_category,
            "categories": list(result.categories),
        }
        if result.comment:
            entry["comment"] = result.comment
        if result.journal_ref:
            entry["journal_ref"] = result.journal_ref
        if result.doi:
            entry["doi"] = result.doi
        entries.append(entry)
    return entries


def arxiv_error_feed(
    message: str,
    *,
    query: str = "",
    updated: datetime | None = None,
) -> bytes:
    """arXiv's error answer (sent with HTTP 400): a feed whose one entry is titled ``Error``.

    The entry has no ``<published>``, exactly like the real one, so ``arxiv``'s parser skips it
    and a client that only looks at parsed results sees an empty page.
    """
    stamp = _ts(updated or _EPOCH)
    anchor = "http://arxiv.org/api/errors#" + message.replace(" ", "_")
    lines = _header(query, 0, 1, 1, updated or _EPOCH)
    lines += [
        "  <entry>",
        f"    <id>{_text(anchor)}</id>",
        "    <title>Error</title>",
        f"    <summary>{_text(message)}</summary>",
        f"    <updated>{stamp}</updated>",
        f'    <link href={quoteattr(anchor)} rel="alternate" type="text/html"/>',
        "    <author>",
        "      <name>arXiv api core</name>",
        "    </author>",
        "  </entry>",
        "</feed>",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def arxiv_error_reply(message: str, *, query: str = "") -> Reply:
    """The error feed as arXiv sends it: HTTP 400 with an Atom body."""
    return Reply(
        status=400,
        body=arxiv_error_feed(message, query=query),
        content_type=ATOM_CONTENT_TYPE,
    )


# --- a synthetic week ------------------------------------------------------------------


def _moment(rng: random.Random, since: date, until: date) -> datetime:
    """A submission time in [since, until], weekdays about five times likelier than weekends."""
    days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
    weights = [1 if day.weekday() >= 5 else 5 for day in days]
    day = rng.choices(days, weights)[0]
    seconds = rng.randrange(24 * 3600)
    return datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=seconds)


def _categories(rng: random.Random, wanted: Sequence[str]) -> tuple[str, list[str]]:
    if rng.random() < 0.15:  # cross-listed from elsewhere into one of ours
        primary = rng.choice(CROSS_LIST_PRIMARIES)
        return primary, [primary, *rng.sample(list(wanted), rng.randint(1, len(wanted)))]
    primary = rng.choice(list(wanted))
    others = [c for c in wanted if c != primary and rng.random() < 0.35]
    if rng.random() < 0.2:
        others.append(rng.choice(("stat.ML", "cs.CV", "cs.NE", "cs.IR")))
    return primary, [primary, *others]


def _authors(rng: random.Random) -> list[ArxivAuthor]:
    authors: list[ArxivAuthor] = []
    with_affiliation = rng.random() < 0.1
    for name in words.people(rng):
        author: ArxivAuthor = {"name": name}
        if with_affiliation:
            author["affiliations"] = [rng.choice(words.AFFILIATIONS)]
        authors.append(author)
    return authors


def _version(rng: random.Random, published: datetime, until: date) -> tuple[int, datetime]:
    roll = rng.random()
    version = 3 if roll < 0.04 else 2 if roll < 0.18 else 1
    updated = published
    limit = datetime.combine(until, time(23, 59), tzinfo=UTC)
    for _ in range(version - 1):
        updated = min(limit, updated + timedelta(hours=rng.randint(6, 60)))
    return version, updated


def _extras(rng: random.Random, entry: ArxivEntry, serial: int) -> None:
    if rng.random() < 0.5:
        entry["comment"] = rng.choice(words.COMMENTS)
    if rng.random() < 0.05:
        entry["journal_ref"] = f"Proc. of the Example Conference on Learning {2024}, pp. 1-{serial}"
    if rng.random() < 0.04:
        entry["doi"] = f"10.5555/example.{serial}"


def synthetic_arxiv_week(
    n: int,
    seed: int,
    since: date,
    until: date,
    categories: Sequence[str] = DEFAULT_CATEGORIES,
) -> list[ArxivEntry]:
    """``n`` realistic entries submitted between ``since`` and ``until``, newest first.

    Ids are new-style ``YYMM.NNNNN`` with NNNNN >= 90000 (never a real paper), unique, and
    increase with submission time; about 14% are v2 and 4% v3 (``updated`` later than
    ``published``); about 15% are cross-lists whose primary category is outside
    ``categories``; some carry affiliations, comments, a journal ref or a DOI.
    """
    if until < since:
        raise ValueError(f"until ({until}) is before since ({since})")
    if not categories:
        raise ValueError("give at least one category")
    rng = random.Random(seed)
    moments = sorted(_moment(rng, since, until) for _ in range(n))
    serials: dict[str, int] = {}
    entries: list[ArxivEntry] = []
    for published in moments:
        yymm = published.strftime("%y%m")
        serial = serials.get(yymm, SYNTHETIC_ID_BASE)
        if serial > 99999:
            raise ValueError(f"more than {100000 - SYNTHETIC_ID_BASE} entries in one month")
        serials[yymm] = serial + 1
        method = words.method_name(rng)
        primary, cats = _categories(rng, categories)
        version, updated = _version(rng, published, until)
        entry: ArxivEntry = {
            "id": f"{yymm}.{serial:05d}",
            "version": version,
            "title": words.title(rng, method),
            "summary": words.abstract(rng, method),
            "authors": _authors(rng),
            "published": published,
            "updated": updated,
            "primary_category": primary,
            "categories": cats,
        }
        _extras(rng, entry, serial)
        entries.append(entry)
    entries.reverse()
    return entries


# --- a paging API server ----------------------------------------------------------------


def _pick_ids(entries: Sequence[ArxivEntry], wanted: list[str]) -> list[ArxivEntry]:
    by_id = {e["id"]: e for e in entries}
    picked: list[ArxivEntry] = []
    for raw in wanted:
        short, _, version = raw.partition("v") if raw[:1].isdigit() else (raw, "", "")
        entry = by_id.get(short)
        if entry is not None and (not version or version == str(entry["version"])):
            picked.append(entry)
    return picked


@dataclass
class ArxivApiHandler:
    """A FixtureServer handler answering ``/api/query`` by paging over ``entries``.

    Honours ``start`` and ``max_results`` (default 10, like arXiv), ``id_list`` (comma-separated
    ids, with or without a version: only those entries, in that order), sorts by ``sortBy``
    (``submittedDate`` / ``lastUpdatedDate``; anything else keeps the given order) and
    ``sortOrder``; a page never holds more than ``max_page`` entries (arXiv's documented
    per-request limit is 2000). Records each request's ``(start, max_results)`` in ``calls``.
    A malformed ``start``/``max_results`` gets arXiv's HTTP 400 error feed.

    ``server.route("/api/query", ArxivApiHandler(entries))``
    """

    entries: Sequence[ArxivEntry]
    max_page: int = 2000
    calls: list[tuple[int, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _sorted: dict[tuple[str, str], list[ArxivEntry]] = field(default_factory=dict, repr=False)

    @property
    def requests(self) -> int:
        return len(self.calls)

    def _ordered(self, sort_by: str, order: str) -> list[ArxivEntry]:
        key = {"submittedDate": "published", "lastUpdatedDate": "updated"}.get(sort_by)
        if key is None:
            return list(self.entries)
        with self._lock:  # sorted once per order: page-size-1 benchmarks make 1000s of calls
            cached = self._sorted.get((key, order))
            if cached is None:
                cached = sorted(
                    self.entries,
                    key=lambda e: (e[key], e["id"]),  # type: ignore[literal-required]
                    reverse=order != "ascending",
                )
                self._sorted[(key, order)] = cached
        return cached

    def __call__(self, request: RecordedRequest) -> Reply:
        query = request.param("search_query")
        try:
            start = int(request.param("start", "0"))
            size = int(request.param("max_results", "10"))
            if start < 0 or size < 0:
                raise ValueError
        except ValueError:
            return arxiv_error_reply("start and max_results must be non-negative integers")
        with self._lock:
            self.calls.append((start, size))
        ordered = self._ordered(request.param("sortBy"), request.param("sortOrder"))
        wanted = [i.strip() for i in request.param("id_list").split(",") if i.strip()]
        if wanted:
            ordered = _pick_ids(ordered, wanted)
        page = ordered[start : start + min(size, self.max_page)]
        body = arxiv_atom(page, total=len(ordered), start=start, per_page=size, query=query)
        return Reply(body=body, content_type=ATOM_CONTENT_TYPE)
