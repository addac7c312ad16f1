"""The payload generators write the services' real formats, read back by the real parsers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, Literal

import arxiv
import feedparser
import httpx
import pytest
from arxiv import _feed
from lxml import etree
from pydantic import BaseModel, ConfigDict

from papercast.ids import parse_arxiv_id
from papercast.sample.server import FixtureServer
from support.fixtures import fixture_bytes
from support.payloads import (
    ArxivApiHandler,
    ArxivEntry,
    BiorxivApiHandler,
    JournalItem,
    announce_type_for,
    arxiv_atom,
    arxiv_entries_from_atom,
    arxiv_error_feed,
    arxiv_error_reply,
    arxiv_rss,
    biorxiv_author_list,
    biorxiv_details_page,
    biorxiv_no_posts,
    journal_atom,
    journal_rss,
    rss_item_from_entry,
    synthetic_arxiv_week,
    synthetic_biorxiv_records,
)

ATOM = "{http://www.w3.org/2005/Atom}"
WEEK = (date(2024, 10, 7), date(2024, 10, 13))


def _entry(**overrides: Any) -> ArxivEntry:
    entry: ArxivEntry = {
        "id": "2410.05258",
        "version": 2,
        "title": "Differential Transformer",
        "summary": "Transformer tends to overallocate attention & noise <here>.",
        "authors": [
            {"name": "Tianzhu Ye", "affiliations": ["Tsinghua University"]},
            {"name": "Petar Veličković"},
        ],
        "published": datetime(2024, 10, 7, 17, 57, 38, tzinfo=UTC),
        "updated": datetime(2024, 10, 9, 8, 0, 0, tzinfo=UTC),
        "primary_category": "cs.CL",
        "categories": ["cs.CL", "cs.LG"],
        "comment": "Accepted at ICLR",
        "journal_ref": "Proc. ICLR 2025",
        "doi": "10.5555/example.1",
    }
    entry.update(overrides)  # type: ignore[typeddict-item]
    return entry


def _tags(element: Any) -> list[str]:
    return [child.tag for child in element]


# --- arXiv Atom ---------------------------------------------------------------------------


def test_arxiv_atom_parses_with_the_arxiv_package_to_the_given_entries() -> None:
    entry = _entry()
    feed = _feed.parse(arxiv_atom([entry], total=250, start=100, per_page=50))

    assert not feed.malformed
    assert (feed.header.total_results, feed.header.start_index) == (250, 100)
    assert feed.header.items_per_page == 50
    [result] = feed.results
    assert result.entry_id == "http://arxiv.org/abs/2410.05258v2"
    assert result.get_short_id() == "2410.05258v2"
    assert result.title == "Differential Transformer"
    assert result.summary == "Transformer tends to overallocate attention & noise <here>."
    assert [(a.name, a.affiliation) for a in result.authors] == [
        ("Tianzhu Ye", ["Tsinghua University"]),
        ("Petar Veličković", []),
    ]
    assert result.published == entry["published"]
    assert result.updated == entry["updated"]
    assert result.primary_category == "cs.CL"
    assert result.categories == ["cs.CL", "cs.LG"]
    assert (result.comment, result.journal_ref, result.doi) == (
        "Accepted at ICLR",
        "Proc. ICLR 2025",
        "10.5555/example.1",
    )
    assert result.pdf_url == "https://arxiv.org/pdf/2410.05258v2"  # no .pdf suffix


def test_arxiv_atom_leaves_out_optional_elements_like_arxiv_does() -> None:
    bare = _entry()
    for key in ("comment", "journal_ref", "doi"):
        del bare[key]  # type: ignore[misc]
    xml = arxiv_atom([bare])
    for tag in (b"arxiv:comment", b"arxiv:journal_ref", b"arxiv:doi", b'title="doi"'):
        assert tag not in xml
    [result] = _feed.parse(xml).results
    assert (result.comment, result.journal_ref, result.doi) == (None, None, None)


def test_arxiv_atom_has_the_recorded_responses_layout() -> None:
    """Header elements and per-entry element order are those of the real recorded response."""
    real = etree.fromstring(fixture_bytes("arxiv_query_testing_10_entries.xml"))
    ours = etree.fromstring(arxiv_atom([_entry(), _entry(id="2410.06205")], per_page=10))

    assert real.nsmap == ours.nsmap
    header = [t for t in _tags(real) if t != f"{ATOM}entry"]
    assert [t for t in _tags(ours) if t != f"{ATOM}entry"] == header
    real_entry = real.find(f"{ATOM}entry")  # has comment, journal_ref and doi, like ours
    ours_entry = ours.find(f"{ATOM}entry")
    assert _runs(_tags(ours_entry)) == _runs(_tags(real_entry))
    assert [
        (link.get("rel"), link.get("title"), link.get("type"))
        for link in ours_entry.iter(f"{ATOM}link")
    ] == [
        (link.get("rel"), link.get("title"), link.get("type"))
        for link in real_entry.iter(f"{ATOM}link")
    ]


def _runs(tags: list[str]) -> list[str]:
    """The tag sequence with repeats collapsed (3 authors and 2 authors have the same shape)."""
    return [t for i, t in enumerate(tags) if i == 0 or tags[i - 1] != t or t.endswith("link")]


def test_the_recorded_response_round_trips_through_the_generator() -> None:
    recorded_bytes = fixture_bytes("arxiv_query_testing_10_entries.xml")
    recorded = _feed.parse(recorded_bytes).results
    entries = arxiv_entries_from_atom(recorded_bytes)

    again = _feed.parse(arxiv_atom(entries, total=214881, per_page=10)).results

    def fields(r: arxiv.Result) -> tuple[Any, ...]:
        return (
            r.entry_id, r.title, r.summary, [a.name for a in r.authors], r.published, r.updated,
            r.primary_category, r.categories, r.comment, r.journal_ref, r.doi, r.pdf_url,
            [(link.href, link.rel, link.title) for link in r.links],
        )  # fmt: skip

    assert [fields(r) for r in again] == [fields(r) for r in recorded]


def test_arxiv_error_feed_is_an_entry_titled_error_that_the_parser_skips() -> None:
    body = arxiv_error_feed("incorrect id format for 1234.12345")
    root = etree.fromstring(body)
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Error"
    assert entry.findtext(f"{ATOM}summary") == "incorrect id format for 1234.12345"
    assert entry.findtext(f"{ATOM}id") == (
        "http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345"
    )
    assert _feed.parse(body).results == []


def test_arxiv_error_reply_is_http_400_for_the_real_client(fixture_server: FixtureServer) -> None:
    fixture_server.route("/api/query", arxiv_error_reply("max_results must be <= 30000"))
    client = arxiv.Client(page_size=10, delay_seconds=0, num_retries=0)
    client.query_url_format = fixture_server.url("/api/query") + "?{}"
    with pytest.raises(arxiv.HTTPError) as caught:
        list(client.results(arxiv.Search(query="cat:cs.LG", max_results=10)))
    assert caught.value.status == 400
    assert len(fixture_server.requests_to("/api/query")) == 1


# --- the synthetic week and the paging handler ----------------------------------------------


def test_synthetic_week_is_realistic_and_reproducible() -> None:
    entries = synthetic_arxiv_week(600, seed=7, since=WEEK[0], until=WEEK[1])

    assert entries == synthetic_arxiv_week(600, seed=7, since=WEEK[0], until=WEEK[1])
    assert entries != synthetic_arxiv_week(600, seed=8, since=WEEK[0], until=WEEK[1])
    ids = [e["id"] for e in entries]
    assert len(set(ids)) == 600
    for e in entries:
        assert parse_arxiv_id(f"{e['id']}v{e['version']}") == (e["id"], e["version"])
        assert int(e["id"].split(".")[1]) >= 90000  # never a real paper
        assert WEEK[0] <= e["published"].date() <= WEEK[1]
        assert e["updated"] >= e["published"]
        assert e["categories"][0] == e["primary_category"]
        assert set(e["categories"]) & {"cs.LG", "cs.CL", "cs.AI"}
        assert len(e["summary"].split()) >= 80
    assert [e["published"] for e in entries] == sorted(
        (e["published"] for e in entries), reverse=True
    )
    versions = {e["version"] for e in entries}
    assert versions == {1, 2, 3}
    assert all(e["updated"] > e["published"] for e in entries if e["version"] > 1)
    cross = [e for e in entries if e["primary_category"] not in ("cs.LG", "cs.CL", "cs.AI")]
    assert 0.05 < len(cross) / len(entries) < 0.3
    assert any(a.get("affiliations") for e in entries for a in e["authors"])
    assert any("comment" in e for e in entries)


def test_synthetic_week_rejects_a_backwards_window() -> None:
    with pytest.raises(ValueError, match="before"):
        synthetic_arxiv_week(5, seed=1, since=WEEK[1], until=WEEK[0])


def _client(server: FixtureServer, page_size: int) -> arxiv.Client:
    client = arxiv.Client(page_size=page_size, delay_seconds=0, num_retries=0)
    client.query_url_format = server.url("/api/query") + "?{}"
    return client


def test_handler_pages_for_the_real_arxiv_client(fixture_server: FixtureServer) -> None:
    entries = synthetic_arxiv_week(2500, seed=3, since=WEEK[0], until=WEEK[1])
    handler = ArxivApiHandler(entries)
    fixture_server.route("/api/query", handler)
    search = arxiv.Search(
        query="cat:cs.LG",
        max_results=None,
        sort_by=arxiv.SortCriterion.SubmittedDate,
        sort_order=arxiv.SortOrder.Descending,
    )

    results = list(_client(fixture_server, 1000).results(search))

    assert [r.get_short_id() for r in results] == [f"{e['id']}v{e['version']}" for e in entries]
    assert handler.calls == [(0, 1000), (1000, 1000), (2000, 1000)]
    assert handler.requests == 3


def test_handler_caps_pages_at_max_page_and_sorts_ascending(
    fixture_server: FixtureServer,
) -> None:
    entries = synthetic_arxiv_week(120, seed=4, since=WEEK[0], until=WEEK[1])
    handler = ArxivApiHandler(entries, max_page=50)
    fixture_server.route("/api/query", handler)
    search = arxiv.Search(
        query="cat:cs.LG",
        max_results=None,
        sort_by=arxiv.SortCriterion.SubmittedDate,
        sort_order=arxiv.SortOrder.Ascending,
    )

    results = list(_client(fixture_server, 2000).results(search))

    assert [r.published for r in results] == sorted(e["published"] for e in entries)
    assert handler.calls == [(0, 2000), (50, 2000), (100, 2000)]


def test_handler_answers_id_lists_and_rejects_bad_paging(fixture_server: FixtureServer) -> None:
    entries = synthetic_arxiv_week(30, seed=5, since=WEEK[0], until=WEEK[1])
    fixture_server.route("/api/query", ArxivApiHandler(entries))
    wanted = [entries[3]["id"], f"{entries[1]['id']}v{entries[1]['version']}", "2410.00001"]

    found = list(_client(fixture_server, 10).results(arxiv.Search(id_list=wanted)))
    assert [r.get_short_id().split("v")[0] for r in found] == [entries[3]["id"], entries[1]["id"]]

    bad = httpx.get(fixture_server.url("/api/query"), params={"start": "-1"})
    assert bad.status_code == 400
    assert b"<title>Error</title>" in bad.content


# --- bioRxiv / medRxiv ----------------------------------------------------------------------


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    status: Literal["ok"]
    category: str
    interval: str
    cursor: int
    count: int
    count_new_papers: str
    total: str


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    doi: str
    title: str
    authors: str
    author_corresponding: str
    author_corresponding_institution: str
    date: str
    version: str
    type: str
    license: str
    category: str
    jatsxml: str
    abstract: str
    published: str
    server: Literal["bioRxiv", "medRxiv"]


class _Page(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    messages: list[_Message]
    collection: list[_Record]


def test_biorxiv_page_has_the_documented_shape() -> None:
    records = synthetic_biorxiv_records(12, seed=1, since=WEEK[0], until=WEEK[1])
    body = biorxiv_details_page(records[:5], since=WEEK[0], until=WEEK[1], cursor=0, total=12)

    page = _Page.model_validate_json(body)
    [message] = page.messages
    assert message.interval == "2024-10-07:2024-10-13"
    assert (message.cursor, message.count, message.total) == (0, 5, "12")
    assert [r.doi for r in page.collection] == [r["doi"] for r in records[:5]]
    for record in page.collection:
        assert record.doi.startswith("10.1101/")
        assert WEEK[0] <= date.fromisoformat(record.date) <= WEEK[1]
        assert record.jatsxml.endswith(".source.xml")
        assert "; " in record.authors or record.authors.count(",") == 1


def test_biorxiv_no_posts_and_author_format() -> None:
    assert json.loads(biorxiv_no_posts()) == {
        "messages": [{"status": "no posts found"}],
        "collection": [],
    }
    assert biorxiv_details_page([], since=WEEK[0], until=WEEK[1]) == biorxiv_no_posts()
    assert biorxiv_author_list(["Jane Ann Smith", "Bo Li"]) == "Smith, J. A.; Li, B."


def _fetch_all(base: str, server: str, category: str | None = None) -> tuple[list[str], int]:
    """A minimal client in the documented style: advance the cursor by what came back."""
    dois: list[str] = []
    cursor, requests = 0, 0
    params = {"category": category} if category else {}
    while True:
        data = httpx.get(f"{base}/details/{server}/2024-10-07/2024-10-13/{cursor}", params=params)
        requests += 1
        payload = data.json()
        if payload["messages"][0]["status"] != "ok":
            return dois, requests
        dois += [r["doi"] for r in payload["collection"]]
        cursor += payload["messages"][0]["count"]
        if cursor >= int(payload["messages"][0]["total"]):
            return dois, requests


def test_biorxiv_handler_pages_30_at_a_time(fixture_server: FixtureServer) -> None:
    bio = synthetic_biorxiv_records(75, seed=2, since=WEEK[0], until=WEEK[1])
    med = synthetic_biorxiv_records(4, seed=3, since=WEEK[0], until=WEEK[1], server="medrxiv")
    handler = BiorxivApiHandler({"biorxiv": bio, "medrxiv": med})
    handler.mount(fixture_server, *WEEK)

    dois, requests = _fetch_all(fixture_server.url(""), "biorxiv")
    assert dois == [r["doi"] for r in bio]
    assert requests == 3
    assert [c[3] for c in handler.calls] == [0, 30, 60]

    neuro = [r["doi"] for r in bio if r["category"] == "neuroscience"]
    assert _fetch_all(fixture_server.url(""), "biorxiv", "neuroscience")[0] == neuro
    assert _fetch_all(fixture_server.url(""), "medrxiv")[0] == [r["doi"] for r in med]
    assert all(r["server"] == "medRxiv" for r in med)

    with_json = httpx.get(fixture_server.url("/details/biorxiv/2024-10-07/2024-10-13/60/json"))
    assert [r["doi"] for r in with_json.json()["collection"]] == [r["doi"] for r in bio[60:]]


def test_biorxiv_handler_answers_no_posts_past_the_end(fixture_server: FixtureServer) -> None:
    records = synthetic_biorxiv_records(3, seed=2, since=WEEK[0], until=WEEK[1])
    BiorxivApiHandler({"biorxiv": records}).mount(fixture_server, *WEEK)
    reply = httpx.get(fixture_server.url("/details/biorxiv/2024-10-07/2024-10-13/3"))
    assert reply.status_code == 200
    assert reply.json()["messages"] == [{"status": "no posts found"}]


# --- RSS -----------------------------------------------------------------------------------


def test_arxiv_rss_parses_with_feedparser_and_keeps_announce_types() -> None:
    new = _entry(version=1, summary="Attention & noise: a 2x gain.")
    cross = _entry(id="2410.06205", version=1, primary_category="cs.LG")
    replaced = _entry(id="2409.19606", version=2)
    items = [
        rss_item_from_entry(new, announce_type_for(new, "cs.CL")),
        rss_item_from_entry(cross, announce_type_for(cross, "cs.CL")),
        rss_item_from_entry(replaced, announce_type_for(replaced, "cs.CL")),
    ]

    parsed = feedparser.parse(arxiv_rss("cs.CL", date(2024, 10, 8), items))

    assert not parsed.bozo
    assert parsed.feed.title == "cs.CL updates on arXiv.org"
    assert [e.arxiv_announce_type for e in parsed.entries] == ["new", "cross", "replace"]
    first = parsed.entries[0]
    assert first.link == "https://arxiv.org/abs/2410.05258"
    assert first.id == "oai:arXiv.org:2410.05258v1"
    assert first.author == "Tianzhu Ye, Petar Veličković"
    assert [t.term for t in first.tags] == ["cs.CL", "cs.LG"]
    assert first.summary.startswith("arXiv:2410.05258v1 Announce Type: new \nAbstract: ")
    assert first.summary.endswith("Abstract: Attention & noise: a 2x gain.")
    assert first.published_parsed[:3] == (2024, 10, 8)
    assert parsed.entries[2].id == "oai:arXiv.org:2409.19606v2"


def test_announce_type_for_cross_lists_and_replacements() -> None:
    assert announce_type_for(_entry(version=1), "cs.CL") == "new"
    assert announce_type_for(_entry(version=1), "cs.LG") == "cross"
    assert announce_type_for(_entry(version=3), "cs.CL") == "replace"
    assert announce_type_for(_entry(version=2), "cs.LG") == "replace-cross"


def test_weekend_feed_is_a_valid_feed_without_items() -> None:
    parsed = feedparser.parse(arxiv_rss("cs.LG", date(2024, 10, 12), []))
    assert not parsed.bozo
    assert parsed.entries == []
    assert parsed.feed.title == "cs.LG updates on arXiv.org"
    assert parsed.feed.published_parsed[:3] == (2024, 10, 12)


def test_journal_feeds_parse_as_rss_and_atom() -> None:
    items: list[JournalItem] = [
        {
            "title": "Light & matter",
            "link": "https://journal.example/articles/1",
            "summary": "An abstract about <b>optics</b>.",
            "authors": ["Ada Lovelace", "Alan Turing"],
            "published": datetime(2024, 10, 9, 12, 0, tzinfo=UTC),
            "doi": "10.5555/jx.1",
        }
    ]
    for body, version in (
        (journal_rss("Journal X", "https://journal.example", items), "rss20"),
        (journal_atom("Journal X", "https://journal.example", items), "atom10"),
    ):
        parsed = feedparser.parse(body)
        assert not parsed.bozo
        assert parsed.version == version
        [entry] = parsed.entries
        assert entry.title == "Light & matter"
        assert entry.link == "https://journal.example/articles/1"
        assert "optics" in entry.summary
        assert entry.published_parsed[:3] == (2024, 10, 9)
        assert "10.5555/jx.1" in json.dumps(entry, default=str)
