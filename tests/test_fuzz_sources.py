"""Property tests (hypothesis) for the arXiv Atom, bioRxiv JSON and RSS/Atom feed parsers,
driven through the real source classes against a FixtureServer (issue 8).

The contract under fuzzing: whatever a server sends, a source yields valid Papers or raises a
SourceError that says what went wrong: never another exception (which would end the whole run
with a traceback), never a hang, never a Paper with a link papercast would not fetch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papercast.config import Settings
from papercast.errors import SourceError
from papercast.models import DateWindow, Paper
from papercast.sample.server import FixtureServer, Reply
from papercast.sources.arxiv import ArxivSource
from papercast.sources.base import SourceResult
from papercast.sources.biorxiv import BiorxivSource
from papercast.sources.feeds import FeedSource
from support.payloads import (
    ArxivEntry,
    JournalItem,
    arxiv_atom,
    biorxiv_details_page,
    journal_atom,
    journal_rss,
)

WINDOW = DateWindow(since=date(2024, 10, 7), until=date(2024, 10, 13))
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
# text as papers and servers really carry it: any unicode scalar, XML-forbidden ones included
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
XML_TEXT = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=60)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as s:
        yield s


SOURCE_WORDS = {"arxiv": "arXiv", "biorxiv": "biorxiv", "feed": "127.0.0.1"}


def drain(source: Any) -> list[Paper] | SourceError:
    """The papers, or the SourceError: one line that names the source, with a hint. Any other
    exception fails the test (it would end the whole run with a traceback)."""
    try:
        papers = list(source.fetch(WINDOW, SourceResult(name=source.name)))
    except SourceError as exc:
        message = str(exc)
        assert message and exc.hint and "\n" not in exc.message  # what went wrong, what to do
        word = SOURCE_WORDS[source.name.split()[0]]
        assert word.lower() in message.lower(), (word, message)
        return exc
    finally:
        source.close()
    for paper in papers:
        assert_clean_text(paper.title)
        assert_clean_text(paper.abstract)
    return papers


def assert_clean_text(text: str) -> None:
    """What reaches an issue: no control characters, no runs of or edge whitespace."""
    assert not any(ord(c) < 32 or ord(c) == 127 for c in text), repr(text)
    assert text == " ".join(text.split()), repr(text)


def assert_fetchable_links(paper: Paper) -> None:
    for url in (paper.abs_url, paper.pdf_url):
        assert url is None or url.startswith(("http://", "https://")), url


def arxiv_source(server: FixtureServer) -> ArxivSource:
    config = Settings(
        arxiv={
            "api_url": server.url("/api/query"),
            "delay_seconds": 0,
            "num_retries": 0,
            "categories": ["cs.LG"],
        }
    )
    return ArxivSource(config.arxiv)


def feed_source(server: FixtureServer) -> FeedSource:
    config = Settings(feeds={"urls": [server.url("/feed")], "num_retries": 0})
    return FeedSource(config.feeds, server.url("/feed"))


def biorxiv_source(server: FixtureServer) -> BiorxivSource:
    config = Settings(
        biorxiv={
            "servers": ["biorxiv"],
            "api_url": server.url(""),
            "delay_seconds": 0,
            "num_retries": 0,
        }
    )
    return BiorxivSource(config.biorxiv, "biorxiv")


def route_biorxiv(server: FixtureServer, body: bytes) -> None:
    for cursor in range(4):
        server.route(
            f"/details/biorxiv/{WINDOW.since}/{WINDOW.until}/{cursor}",
            Reply(body=body, content_type="application/json"),
        )


# --- arXiv Atom -------------------------------------------------------------------------


# a title of words (letters of any script, digits) with any blanks and line breaks between
# them, as arXiv's Atom wraps titles: a reader expects the words, single-spaced
WORDS = st.lists(
    st.text(st.characters(categories=["L", "Nd"]), min_size=1, max_size=10), min_size=1, max_size=8
)
BLANKS = st.text(st.sampled_from([" ", "\t", "\n", "\r"]), min_size=1, max_size=3)


@st.composite
def wrapped_titles(draw: st.DrawFn) -> str:
    words = draw(WORDS)
    return draw(BLANKS) + "".join(w + draw(BLANKS) for w in words)


@st.composite
def arxiv_entries(draw: st.DrawFn) -> ArxivEntry:
    when = datetime(2024, 10, draw(st.integers(7, 13)), 12, tzinfo=UTC)
    return {
        "id": f"2410.{draw(st.integers(90000, 99999)):05d}",
        "version": draw(st.integers(1, 9)),
        "title": draw(wrapped_titles() | TEXT),
        "summary": draw(TEXT),
        "authors": [
            {"name": draw(TEXT), "affiliations": []} for _ in range(draw(st.integers(0, 3)))
        ],
        "published": when,
        "updated": when,
        "primary_category": "cs.LG",
        "categories": ["cs.LG"],
    }


@FUZZ
@given(entries=st.lists(arxiv_entries(), max_size=4, unique_by=lambda e: e["id"]))
def test_arxiv_pages_with_any_text_become_papers_or_a_clear_error(
    server: FixtureServer, entries: list[ArxivEntry]
) -> None:
    server.route("/api/query", Reply(body=arxiv_atom(entries), content_type="application/atom+xml"))
    outcome = drain(arxiv_source(server))
    if isinstance(outcome, SourceError):
        # only text XML cannot carry (control characters) may make a page unreadable
        assert any(
            any(
                ord(c) < 32 and c not in "\t\n\r"
                for c in e["title"] + e["summary"] + "".join(a["name"] for a in e["authors"])
            )
            for e in entries
        ), outcome
        assert "not well-formed XML" in str(outcome)
        return
    assert [p.id for p in outcome] == [f"arxiv:{e['id']}" for e in entries]
    for paper, entry in zip(outcome, entries, strict=True):
        words = entry["title"].split()
        if all(w.isalnum() for w in words):  # a title of words: exactly those words
            assert paper.title == " ".join(words)
        assert paper.version == entry["version"]
        assert_fetchable_links(paper)


@FUZZ
@given(body=st.binary(max_size=400) | XML_TEXT.map(lambda t: f"<feed>{t}</feed>".encode()))
def test_arxiv_any_bytes_are_papers_or_a_clear_error(server: FixtureServer, body: bytes) -> None:
    server.route("/api/query", Reply(body=body, content_type="application/atom+xml"))
    outcome = drain(arxiv_source(server))
    for paper in outcome if isinstance(outcome, list) else []:
        assert paper.id.startswith("arxiv:")
        assert_fetchable_links(paper)


# --- bioRxiv JSON -----------------------------------------------------------------------


@st.composite
def biorxiv_records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {
        "doi": draw(
            st.sampled_from(["10.1101/2024.10.08.617000", "10.1101/x", "", "not a doi"]) | TEXT
        ),
        "title": draw(TEXT),
        "authors": draw(TEXT),
        "date": draw(st.sampled_from(["2024-10-08", "2024-13-45", "", "yesterday"])),
        "version": draw(st.sampled_from(["1", "2", "x", "", "-1"])),
        "category": draw(TEXT),
        "abstract": draw(TEXT),
        "published": draw(st.sampled_from(["NA", "10.5555/j.1", ""])),
    }
    for key in draw(st.lists(st.sampled_from(sorted(record)), max_size=3)):
        record[key] = draw(JSON)  # some fields of the wrong type, or gone
    return record


@FUZZ
@given(records=st.lists(biorxiv_records(), max_size=4))
def test_biorxiv_records_of_any_shape_become_papers_or_are_skipped(
    server: FixtureServer, records: list[dict[str, Any]]
) -> None:
    body = biorxiv_details_page(
        records, since=WINDOW.since, until=WINDOW.until, cursor=0, total=len(records)
    )  # type: ignore[arg-type]
    route_biorxiv(server, body)
    outcome = drain(biorxiv_source(server))
    assert isinstance(outcome, list), outcome  # a bad record is skipped, never the page
    assert len(outcome) <= len(records)
    for paper in outcome:
        assert paper.id.startswith("biorxiv:10.") and paper.published is not None
        assert_fetchable_links(paper)


@FUZZ
@given(data=JSON)
def test_biorxiv_any_json_is_papers_or_a_clear_error(server: FixtureServer, data: Any) -> None:
    route_biorxiv(server, json.dumps(data).encode())
    assert_biorxiv_papers(drain(biorxiv_source(server)))


def assert_biorxiv_papers(outcome: list[Paper] | SourceError) -> None:
    for paper in outcome if isinstance(outcome, list) else []:
        assert paper.id.startswith("biorxiv:10.") and paper.published is not None
        assert_fetchable_links(paper)


@FUZZ
@given(data=st.fixed_dictionaries({"messages": JSON, "collection": JSON}))
def test_biorxiv_api_shaped_json_with_wrong_types_is_papers_or_a_clear_error(
    server: FixtureServer, data: Any
) -> None:
    route_biorxiv(server, json.dumps(data).encode())
    assert_biorxiv_papers(drain(biorxiv_source(server)))


# --- RSS / Atom feeds -------------------------------------------------------------------

LINKS = st.sampled_from(
    [
        "https://journal.example/a/1",
        "http://journal.example/b",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,<script>x</script>",
        "ftp://journal.example/c",
        "//journal.example/d",
        "",
        "https://www.biorxiv.org/content/10.1101/2024.10.08.617001v2",
        "https://arxiv.org/abs/2410.05258v3",
    ]
)


@st.composite
def journal_items(draw: st.DrawFn) -> JournalItem:
    item: JournalItem = {
        "title": draw(XML_TEXT),
        "link": draw(LINKS | XML_TEXT),
        "summary": draw(XML_TEXT),
        "authors": draw(st.lists(XML_TEXT, max_size=3)),
        "published": datetime(2024, 10, draw(st.integers(7, 13)), 9, tzinfo=UTC),
    }
    if draw(st.booleans()):
        item["doi"] = draw(st.sampled_from(["10.1038/s41586-024-0001-1", "nonsense"]) | XML_TEXT)
    return item


@FUZZ
@given(items=st.lists(journal_items(), max_size=5), atom=st.booleans())
def test_feeds_with_any_text_and_links_never_yield_an_unfetchable_link(
    server: FixtureServer, items: list[JournalItem], atom: bool
) -> None:
    build = journal_atom if atom else journal_rss
    server.route(
        "/feed",
        Reply(
            body=build("Journal", "https://journal.example", items),
            content_type="application/rss+xml",
        ),
    )
    outcome = drain(feed_source(server))
    assert isinstance(outcome, list), outcome
    for paper in outcome:
        assert_fetchable_links(paper)
        assert "\x00" not in paper.title


@FUZZ
@given(
    body=st.binary(max_size=400)
    | TEXT.map(
        lambda t: (
            f'<rss version="2.0"><channel><item><title>{t}</title></item></channel></rss>'.encode()
        )
    )
)
def test_feeds_any_bytes_are_papers_or_a_clear_error(server: FixtureServer, body: bytes) -> None:
    server.route("/feed", Reply(body=body, content_type="application/rss+xml"))
    outcome = drain(feed_source(server))
    for paper in outcome if isinstance(outcome, list) else []:
        assert_fetchable_links(paper)
