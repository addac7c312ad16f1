"""Malformed and hostile payloads to the arXiv, bioRxiv and feed parsers (issue 8): 10 MB
titles, NUL bytes, invalid UTF-8, deeply nested documents, XML bombs and external entities.

Each gives a clear outcome (a SourceError saying what was wrong, or the record skipped with a
reason while the rest are kept) in bounded memory; pytest-timeout is the guard for time.
Memory is checked as the growth of peak RSS during the test, with the process's high-water
mark reset when the test starts (/proc/self/clear_refs): a pytest worker's lifetime peak would
read no growth in a worker that had already peaked. An expanded billion-laughs document, or a
parser that copied a 10 MB field a few dozen times, would need far more than the bound.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from papercast.config import Settings
from papercast.errors import SourceError
from papercast.fetch import fetch_window
from papercast.models import Paper
from papercast.sample.server import FixtureServer, Reply
from papercast.sources.arxiv import ArxivSource
from papercast.sources.base import SourceResult
from papercast.sources.biorxiv import BiorxivSource
from papercast.sources.feeds import FeedSource
from papercast.store import Database, PaperStore
from papercast.window import parse_week
from support.payloads import (
    ArxivEntry,
    arxiv_atom,
    biorxiv_details_page,
    journal_rss,
    synthetic_arxiv_week,
    synthetic_biorxiv_records,
)

pytestmark = pytest.mark.timeout(60)

WINDOW = parse_week("2024-W41")
TEN_MB = 10 * 1024 * 1024
MAX_GROWTH_MB = 200  # measured: at most 60 MB (the 10 MB title tests)
STATUS, CLEAR_REFS = Path("/proc/self/status"), Path("/proc/self/clear_refs")


def _status_mb(field: str) -> int:
    found = re.search(rf"^{field}:\s+(\d+) kB", STATUS.read_text(), re.MULTILINE)
    assert found, field
    return int(found.group(1)) // 1024


@pytest.fixture
def memory_bound() -> Iterator[None]:
    """The test's peak RSS growth stays under MAX_GROWTH_MB (Linux: the process's high-water
    mark is reset for the test, so a worker that peaked earlier still measures this test)."""
    try:
        CLEAR_REFS.write_text("5")  # reset VmHWM to the current RSS (Linux 4.0+)
    except OSError:
        yield  # no resettable high-water mark here: the outcome is still checked, not memory
        return
    before = _status_mb("VmRSS")
    yield
    assert _status_mb("VmHWM") - before < MAX_GROWTH_MB


def bomb(root: str, depth: int = 10) -> bytes:
    """Billion laughs: 10**depth copies of 'lol' if a parser expands entities."""
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, depth))
    return f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY l0 "lol">{entities}]>'.encode()


def arxiv_entries(n: int = 3) -> list[ArxivEntry]:
    return synthetic_arxiv_week(
        n, seed=1, since=WINDOW.since, until=WINDOW.until, categories=["cs.LG"]
    )


def fetch(source: ArxivSource | FeedSource | BiorxivSource) -> list[Paper]:
    try:
        return list(source.fetch(WINDOW, SourceResult(name=source.name)))
    finally:
        source.close()


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as s:
        yield s


def arxiv(server: FixtureServer, body: bytes) -> ArxivSource:
    server.route("/api/query", Reply(body=body, content_type="application/atom+xml"))
    settings = Settings(
        arxiv={
            "api_url": server.url("/api/query"),
            "delay_seconds": 0,
            "num_retries": 1,
            "categories": ["cs.LG"],
        }
    )
    return ArxivSource(settings.arxiv)


def feed(server: FixtureServer, body: bytes) -> FeedSource:
    server.route("/feed", Reply(body=body, content_type="application/rss+xml"))
    settings = Settings(feeds={"urls": [server.url("/feed")], "num_retries": 1})
    return FeedSource(settings.feeds, server.url("/feed"))


def biorxiv(server: FixtureServer, body: bytes) -> BiorxivSource:
    server.route(
        f"/details/biorxiv/{WINDOW.since}/{WINDOW.until}/0",
        Reply(body=body, content_type="application/json"),
    )
    settings = Settings(
        biorxiv={
            "servers": ["biorxiv"],
            "api_url": server.url(""),
            "delay_seconds": 0,
            "num_retries": 1,
        }
    )
    return BiorxivSource(settings.biorxiv, "biorxiv")


# --- XML bombs and external entities ---------------------------------------------------


@pytest.mark.usefixtures("memory_bound")
def test_billion_laughs_to_the_arxiv_parser_is_refused(server: FixtureServer) -> None:
    body = (
        bomb("feed")
        + b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2410.00001v1</id><title>&l9;</title></entry></feed>'
    )
    with pytest.raises(SourceError, match=r"not well-formed XML .*amplification"):
        fetch(arxiv(server, body))
    assert len(server.requests_to("/api/query")) == 1  # complete but unparseable: no retry


@pytest.mark.usefixtures("memory_bound")
def test_billion_laughs_to_the_feed_parser_is_refused(server: FixtureServer) -> None:
    body = (
        bomb("rss")
        + b'<rss version="2.0"><channel><title>&l9;</title><item><title>&l9;</title><link>https://e.org/a</link></item></channel></rss>'
    )
    with pytest.raises(
        SourceError, match="declares XML entities, which papercast never expands"
    ) as caught:
        fetch(feed(server, body))
    assert "XML bombs" in caught.value.hint


def test_external_entities_never_read_local_files(server: FixtureServer, tmp_path: object) -> None:
    secret = "TOP-SECRET-LOCAL-FILE-CONTENT"
    path = f"{tmp_path}/secret.txt"
    with open(path, "w") as handle:
        handle.write(secret)
    doctype = f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{path}">]>'.encode()
    atom = (
        doctype
        + b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2410.00001v1</id><title>&xxe;</title><published>2024-10-08T10:00:00Z</published><updated>2024-10-08T10:00:00Z</updated></entry></feed>'
    )
    rss = (
        doctype
        + b'<rss version="2.0"><channel><item><title>&xxe;</title><link>https://e.org/a</link></item></channel></rss>'
    )
    for make, body in ((arxiv, atom), (feed, rss)):
        try:
            papers = fetch(make(server, body))
        except SourceError as exc:
            assert secret not in str(exc)
        else:
            assert all(secret not in p.model_dump_json() for p in papers)


# --- deep nesting -----------------------------------------------------------------------


@pytest.mark.usefixtures("memory_bound")
def test_deeply_nested_xml_to_the_arxiv_parser_is_a_clear_error(server: FixtureServer) -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom">'
        + b"<a>" * 100_000
        + b"</a>" * 100_000
        + b"</feed>"
    )
    with pytest.raises(SourceError, match="Excessive depth"):
        fetch(arxiv(server, body))
    assert len(server.requests_to("/api/query")) == 1  # complete but unparseable: no retry


@pytest.mark.usefixtures("memory_bound")
def test_deeply_nested_xml_to_the_feed_parser_keeps_the_real_item(server: FixtureServer) -> None:
    body = (
        b'<rss version="2.0"><channel><item><title>Real item</title><link>https://e.org/a</link><pubDate>Tue, 08 Oct 2024 10:00:00 GMT</pubDate>'
        + b"<a>" * 100_000
        + b"</a>" * 100_000
        + b"</item></channel></rss>"
    )
    papers = fetch(feed(server, body))
    assert [p.title for p in papers] == ["Real item"]


@pytest.mark.usefixtures("memory_bound")
def test_deeply_nested_json_to_the_biorxiv_parser_is_a_clear_error(server: FixtureServer) -> None:
    body = (
        b'{"messages": [{"status": "ok"}], "collection": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    )
    with pytest.raises(SourceError, match="nested too deeply"):
        fetch(biorxiv(server, body))


# --- NUL bytes and invalid UTF-8 -----------------------------------------------------------


def test_nul_bytes_make_an_arxiv_page_malformed(server: FixtureServer) -> None:
    body = arxiv_atom(arxiv_entries()).replace(b"<title>", b"<title>\x00", 2)
    with pytest.raises(SourceError, match=r"not well-formed XML .*Char 0x0"):
        fetch(arxiv(server, body))
    assert len(server.requests_to("/api/query")) == 1  # a complete page: asking again is pointless


def test_nul_and_control_characters_never_reach_a_paper(server: FixtureServer) -> None:
    rss = b'<rss version="2.0"><channel><item><title>Nul\x00 and escape\x1b[31m title</title><link>https://e.org/a</link><pubDate>Tue, 08 Oct 2024 10:00:00 GMT</pubDate></item></channel></rss>'
    (paper,) = fetch(feed(server, rss))
    assert paper.title == "Nul and escape[31m title"
    record = synthetic_biorxiv_records(1, seed=2, since=WINDOW.since, until=WINDOW.until)[0]
    record["title"] = "Bio\u0000rxiv \u0007title"
    body = biorxiv_details_page([record], since=WINDOW.since, until=WINDOW.until, cursor=0, total=1)
    (bio,) = fetch(biorxiv(server, body))
    assert bio.title == "Biorxiv title"


def test_invalid_utf8_arxiv_page_is_a_clear_error(server: FixtureServer) -> None:
    body = arxiv_atom(arxiv_entries()).replace(b"<title>", b"<title>\xff\xfe\xc3", 1)
    with pytest.raises(SourceError, match="Invalid bytes in character encoding"):
        fetch(arxiv(server, body))


def test_invalid_utf8_biorxiv_page_is_a_clear_error(server: FixtureServer) -> None:
    with pytest.raises(SourceError, match="not UTF-8"):
        fetch(
            biorxiv(
                server, b'{"messages": [{"status": "ok"}], "collection": [{"title": "\xff\xfe"}]}'
            )
        )


def test_invalid_utf8_in_a_feed_is_replaced_not_fatal(server: FixtureServer) -> None:
    body = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><item><title>Caf\xe9 \xff paper</title><link>https://e.org/a</link><pubDate>Tue, 08 Oct 2024 10:00:00 GMT</pubDate></item></channel></rss>'
    (paper,) = fetch(feed(server, body))
    assert paper.title.startswith("Caf") and paper.title.endswith("paper")
    paper.title.encode("utf-8")  # valid text from here on


# --- 10 MB fields -------------------------------------------------------------------------


@pytest.mark.usefixtures("memory_bound")
def test_a_10_mb_arxiv_title_is_past_the_xml_parser_limit_and_a_clear_error(
    server: FixtureServer,
) -> None:
    entries = arxiv_entries(3)
    entries[1]["title"] = "T" * TEN_MB
    with pytest.raises(SourceError, match="Text node too long"):
        fetch(arxiv(server, arxiv_atom(entries)))
    assert len(server.requests_to("/api/query")) == 1  # complete but unparseable: no retry


SourceMaker = Callable[[FixtureServer], object]


def _huge_arxiv(server: FixtureServer) -> int:
    entries = arxiv_entries(3)
    entries[1]["title"] = "T" * (TEN_MB // 2)  # 10 MB is past libxml2's limit: see below
    server.route("/api/query", Reply(body=arxiv_atom(entries), content_type="application/atom+xml"))
    return 3


def _huge_feed(server: FixtureServer) -> int:
    when = datetime(2024, 10, 8, tzinfo=UTC)
    items = [
        {
            "title": t,
            "link": f"https://j.example/{i}",
            "summary": "s",
            "authors": ["A"],
            "published": when,
        }
        for i, t in enumerate(["One", "T" * TEN_MB, "Three"])
    ]
    server.route(
        "/feed",
        Reply(
            body=journal_rss("J", "https://j.example", items), content_type="application/rss+xml"
        ),
    )  # type: ignore[arg-type]
    return 3


def _huge_biorxiv(server: FixtureServer) -> int:
    records = synthetic_biorxiv_records(3, seed=4, since=WINDOW.since, until=WINDOW.until)
    records[1]["abstract"] = "A" * TEN_MB
    records[2]["authors"] = "; ".join(f"Person{i}, A." for i in range(30_000))
    body = biorxiv_details_page(records, since=WINDOW.since, until=WINDOW.until, cursor=0, total=3)
    server.route(
        f"/details/biorxiv/{WINDOW.since}/{WINDOW.until}/0",
        Reply(body=body, content_type="application/json"),
    )
    return 3


@pytest.mark.usefixtures("memory_bound")
@pytest.mark.parametrize(
    ("make", "config", "rule"),
    [
        (_huge_arxiv, "arxiv", "malformed: title over 2,000 characters"),
        (_huge_feed, "feeds", "malformed: title over 2,000 characters"),
        (_huge_biorxiv, "biorxiv", None),
    ],
)
def test_a_10_mb_field_skips_that_record_with_a_reason_and_keeps_the_rest(
    server: FixtureServer,
    tmp_path: object,
    make: Callable[[FixtureServer], int],
    config: str,
    rule: str | None,
) -> None:
    sent = make(server)
    settings = Settings(
        arxiv={
            "api_url": server.url("/api/query"),
            "delay_seconds": 0,
            "categories": ["cs.LG"] if config == "arxiv" else [],
        },
        feeds={"urls": [server.url("/feed")] if config == "feeds" else []},
        biorxiv={
            "servers": ["biorxiv"] if config == "biorxiv" else [],
            "api_url": server.url(""),
            "delay_seconds": 0,
        },
    )
    with Database(f"{tmp_path}/db.sqlite") as db:
        report = fetch_window(WINDOW, settings=settings, db=db)
        (source,) = report.sources
        assert source.error is None and source.fetched == sent
        if rule is None:  # bioRxiv: one huge abstract, one record with 30,000 authors
            assert source.excluded_by == {
                "malformed: abstract over 100,000 characters": 1,
                "malformed: over 20,000 authors": 1,
            }
        else:
            assert source.excluded_by == {rule: 1}
        expected = sent - source.excluded
        assert len(report.paper_ids) == expected == PaperStore(db).count()
        stored = PaperStore(db).get_many(report.paper_ids)
        assert all(len(p.title) < 2_000 and len(p.abstract) < 100_000 for p in stored)
        size = db.query_one("SELECT SUM(LENGTH(data)) FROM papers")[0]
        assert size < 1_000_000  # nothing of the 10 MB reached the store
