"""bioRxiv/medRxiv ``/details`` API payloads and a paging server with a non-100 page size.

Real answer (``GET https://api.biorxiv.org/details/biorxiv/2024-10-07/2024-10-13/0``, an
optional ``/json`` after the cursor, optional ``?category=neuroscience``)::

    {"messages": [{"status": "ok", "category": "all", "interval": "2024-10-07:2024-10-13",
                   "cursor": 0, "count": 30, "count_new_papers": "25", "total": "120"}],
     "collection": [{"doi": ..., "title": ..., "authors": "Smith, J.; Doe, A.", ...}]}

As observed on the live API: ``total`` and ``count_new_papers`` are strings, ``cursor`` and
``count`` numbers, pages hold 30 records (documented as 100), one record per *version*, and
an empty interval answers HTTP 200 ``{"messages":[{"status":"no posts found"}],
"collection":[]}``.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, TypedDict

from papercast.sample.server import FixtureServer, RecordedRequest, Reply
from support.payloads import words

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
RxivServer = Literal["biorxiv", "medrxiv"]
BIORXIV_CATEGORIES = (
    "neuroscience",
    "bioinformatics",
    "genomics",
    "systems biology",
    "cell biology",
    "synthetic biology",
    "biophysics",
)
MEDRXIV_CATEGORIES = ("epidemiology", "health informatics", "radiology and imaging", "oncology")
LICENSES = ("cc_by", "cc_by_nc_nd", "cc_no", "cc_by_nc", "cc0")
_PATH = re.compile(
    r"^/details/(?P<server>[a-z]+)/(?P<since>\d{4}-\d{2}-\d{2})/(?P<until>\d{4}-\d{2}-\d{2})"
    r"/(?P<cursor>\d+)(?:/json)?/?$"
)


class BiorxivRecord(TypedDict):
    """One element of ``collection``, keys in the API's order; every value is a string."""

    doi: str
    title: str
    authors: str  # "Smith, J.; Doe, A."
    author_corresponding: str
    author_corresponding_institution: str
    date: str  # YYYY-MM-DD, the day this version was posted
    version: str
    type: str
    license: str
    category: str
    jatsxml: str
    abstract: str
    published: str  # "NA" or the journal DOI
    server: str  # "bioRxiv" / "medRxiv"


def biorxiv_author_list(names: Sequence[str]) -> str:
    """'Jane Ann Smith', 'Bo Li' -> 'Smith, J. A.; Li, B.' (the API's author format)."""
    parts = []
    for name in names:
        *given, family = name.split()
        initials = " ".join(f"{g[0]}." for g in given)
        parts.append(f"{family}, {initials}" if initials else family)
    return "; ".join(parts)


def jats_url(server: RxivServer, doi: str, day: str) -> str:
    host = "www.biorxiv.org" if server == "biorxiv" else "www.medrxiv.org"
    return f"https://{host}/content/early/{day.replace('-', '/')}/{doi.split('/', 1)[1]}.source.xml"


def biorxiv_details_page(
    records: Sequence[BiorxivRecord],
    *,
    since: date,
    until: date,
    cursor: int = 0,
    total: int | None = None,
    category: str | None = None,
    count_new_papers: int | None = None,
) -> bytes:
    """One page of ``/details``: ``records`` are this page's records (already sliced)."""
    if not records:
        return biorxiv_no_posts()
    total = cursor + len(records) if total is None else total
    new = count_new_papers if count_new_papers is not None else total
    message = {
        "status": "ok",
        "category": category or "all",
        "interval": f"{since.isoformat()}:{until.isoformat()}",
        "cursor": cursor,
        "count": len(records),
        "count_new_papers": str(new),
        "total": str(total),
    }
    payload = {"messages": [message], "collection": list(records)}
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def biorxiv_no_posts() -> bytes:
    """What the API answers (HTTP 200) for an interval or DOI with nothing in it."""
    return b'{"messages":[{"status":"no posts found"}],"collection":[]}'


def synthetic_biorxiv_records(
    n: int,
    seed: int,
    since: date,
    until: date,
    server: RxivServer = "biorxiv",
    categories: Sequence[str] | None = None,
) -> list[BiorxivRecord]:
    """``n`` plausible records posted in [since, until], oldest first (the API's order).

    DOIs are ``10.1101/YYYY.MM.DD.9NNNNN`` (bioRxiv) / ``...9NNNNNNN`` (medRxiv), numbers real
    preprints do not use; about 20% of records are a later version (v2/v3) of an older DOI.
    """
    rng = random.Random(seed)
    cats = list(categories or (BIORXIV_CATEGORIES if server == "biorxiv" else MEDRXIV_CATEGORIES))
    days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
    records: list[BiorxivRecord] = []
    for index in range(n):
        day = rng.choice(days)
        version = 1 if rng.random() >= 0.2 else rng.choice((2, 3))
        posted = day - timedelta(days=rng.randint(20, 200)) if version > 1 else day
        digits = f"9{index:05d}" if server == "biorxiv" else f"9{index:07d}"
        doi = f"10.1101/{posted:%Y.%m.%d}.{digits}"
        method = words.method_name(rng)
        names = words.people(rng, 2, 8)
        records.append(
            {
                "doi": doi,
                "title": words.title(rng, method),
                "authors": biorxiv_author_list(names),
                "author_corresponding": names[-1],
                "author_corresponding_institution": rng.choice(words.AFFILIATIONS),
                "date": day.isoformat(),
                "version": str(version),
                "type": rng.choice(("new results", "new results", "confirmatory results")),
                "license": rng.choice(LICENSES),
                "category": rng.choice(cats),
                "jatsxml": jats_url(server, doi, day.isoformat()),
                "abstract": words.abstract(rng, method),
                "published": "NA" if rng.random() < 0.9 else f"10.5555/journal.{index}",
                "server": "bioRxiv" if server == "biorxiv" else "medRxiv",
            }
        )
    records.sort(key=lambda r: (r["date"], r["doi"]))
    return records


@dataclass
class BiorxivApiHandler:
    """Answers ``/details/{server}/{from}/{to}/{cursor}[/json][?category=]`` by paging.

    ``records`` maps a server name to its records. Records are kept when their ``date`` lies
    in the requested interval (compared as dates) and, with ``?category=``, when their
    category matches (spaces may come as ``_``). Pages hold ``page_size`` records (30, as
    observed; deliberately not the documented 100). ``calls`` records (server, from, to,
    cursor, category) per request. FixtureServer routes exact paths, so use :meth:`mount`.
    """

    records: dict[str, list[BiorxivRecord]]
    page_size: int = 30
    calls: list[tuple[str, str, str, int, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def requests(self) -> int:
        return len(self.calls)

    def mount(self, server: FixtureServer, since: date, until: date) -> None:
        """Route every cursor of every server's ``since``..``until`` interval to this handler."""
        for name, records in self.records.items():
            for cursor in range(len(records) + self.page_size + 1):
                base = f"/details/{name}/{since.isoformat()}/{until.isoformat()}/{cursor}"
                server.route(base, self)
                server.route(base + "/json", self)

    def __call__(self, request: RecordedRequest) -> Reply:
        match = _PATH.match(request.path)
        if match is None:
            return Reply(status=404, body="not a /details path")
        name, cursor = match["server"], int(match["cursor"])
        category = request.param("category").replace("_", " ").strip().lower()
        with self._lock:
            self.calls.append((name, match["since"], match["until"], cursor, category))
        if name not in self.records:
            unknown = json.dumps({"messages": [{"status": "Server not recognized"}]})
            return Reply(body=unknown, content_type=JSON_CONTENT_TYPE)
        since, until = date.fromisoformat(match["since"]), date.fromisoformat(match["until"])
        kept = [
            r
            for r in self.records[name]
            if since <= date.fromisoformat(r["date"]) <= until
            and (not category or r["category"].lower() == category)
        ]
        page = kept[cursor : cursor + self.page_size]
        body = biorxiv_details_page(
            page,
            since=since,
            until=until,
            cursor=cursor,
            total=len(kept),
            category=category or None,
            count_new_papers=sum(1 for r in kept if r["version"] == "1"),
        )
        return Reply(body=body, content_type=JSON_CONTENT_TYPE)
