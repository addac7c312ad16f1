"""arXiv and bioRxiv servers that drop, truncate and stall, through the whole weekly run (issue 8).

Every page of results first fails in each way the wire can fail, then answers. The run must
get every paper exactly once, with bounded requests counted in the report; a source that never
recovers is reported by name while the other still produces the issue.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from papercast.config import Settings, load_settings
from papercast.layout import Layout
from papercast.pipeline import run_week
from papercast.sample.server import FixtureServer, RecordedRequest, Reply
from papercast.sources.base import SourceResult
from papercast.sources.feeds import FeedSource
from papercast.store import Database
from papercast.window import parse_week
from support.fake_openai import FakeOpenAI
from support.hostile_corpus import (
    LONE_SURROGATE_JSON,
    LONE_SURROGATE_MARK,
    assert_no_unsafe_characters,
    sprinkle,
)
from support.payloads import (
    ArxivApiHandler,
    BiorxivApiHandler,
    biorxiv_details_page,
    journal_rss,
    synthetic_arxiv_week,
    synthetic_biorxiv_records,
)
from support.pipeline_world import SENTINEL_KEY, World

WEEK = "2024-W41"
SINCE, UNTIL = date(2024, 10, 7), date(2024, 10, 13)
# The client gives up on a stalled reply after TIMEOUT; a healthy reply must never come that
# late, even with the server, the client and another job sharing a loaded 2-core machine
# (0.8 s did not hold there: one slow page meant a sixth attempt the test forbids).
STALL = 4.0  # seconds a stalled reply waits
TIMEOUT = 1.5
Fault = Callable[[Reply], Reply]


def drop(_reply: Reply) -> Reply:
    return Reply(drop=True)


def truncate(reply: Reply) -> Reply:
    return Reply(
        status=reply.status,
        body=reply.body,
        content_type=reply.content_type,
        truncate_to=len(reply.payload()) // 2,
    )


def stall(reply: Reply) -> Reply:
    return Reply(status=reply.status, body=reply.body, content_type=reply.content_type, delay=STALL)


def server_error(_reply: Reply) -> Reply:
    return Reply(status=503, body="busy", headers={"Retry-After": "0"})


@dataclass
class Flaky:
    """Wraps a handler: the n-th request for one page (path + start) gets ``script[n]`` applied."""

    inner: Callable[[RecordedRequest], Reply]
    script: list[Fault]
    attempts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: RecordedRequest) -> Reply:
        key = f"{request.path}?start={request.param('start')}"
        with self._lock:
            n = self.attempts[key]
            self.attempts[key] += 1
        reply = self.inner(request)
        return self.script[n](reply) if n < len(self.script) else reply


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI() as fake:
        yield World(server=server, fake=fake, entries=[])


def configure(world: World, folder: Path, **extra: dict[str, object]) -> Settings:
    sections: dict[str, dict[str, object]] = {
        "arxiv": {"page_size": 50, "num_retries": 4, "timeout": TIMEOUT},
        "biorxiv": {
            "servers": ["biorxiv"],
            "api_url": world.server.url(""),
            "delay_seconds": 0,
            "num_retries": 4,
            "timeout": TIMEOUT,
        },
        "llm": {"fulltext": False},
        "issue": {"highlights": 2, "noteworthy": 3},
        "audio": {"enabled": False},
        "publish": {"out_dir": str(folder / "out"), "feed": False},
    }
    for name, values in extra.items():
        sections[name] = {**sections.get(name, {}), **values}
    return load_settings(world.write_config(folder, **sections))


def store_counts(layout: Layout) -> dict[str, int]:
    with Database(layout.db_path) as db:
        assert db.query_one("PRAGMA integrity_check")[0] == "ok"
        return {
            "papers": db.query_one("SELECT COUNT(*) FROM papers")[0],
            "distinct": db.query_one("SELECT COUNT(DISTINCT id) FROM papers")[0],
            "versions": db.query_one("SELECT COUNT(*) FROM paper_versions")[0],
        }


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_every_page_drops_truncates_and_stalls_once_then_answers(
    world: World, tmp_path: Path
) -> None:
    entries = synthetic_arxiv_week(240, seed=8, since=SINCE, until=UNTIL, categories=["cs.LG"])
    records = synthetic_biorxiv_records(75, seed=8, since=SINCE, until=UNTIL)
    arxiv = Flaky(ArxivApiHandler(entries), [drop, truncate, stall, server_error])
    world.server.route("/api/query", arxiv)
    biorxiv = Flaky(BiorxivApiHandler({"biorxiv": records}), [drop, truncate, stall, server_error])
    for cursor in range(len(records) + 31):
        base = f"/details/biorxiv/{SINCE}/{UNTIL}/{cursor}"
        world.server.route(base, biorxiv)
    settings = configure(world, tmp_path)
    layout = Layout.from_settings(settings)

    report = run_week(settings, layout, week=WEEK)

    assert report.exit_code == 0, report.error
    by_source = {s.source: s for s in report.sources}
    arxiv_pages = len(arxiv.attempts)
    biorxiv_pages = len(biorxiv.attempts)
    assert arxiv_pages == 5 and biorxiv_pages == 3  # 240/50 and 75/30 pages
    # each page: drop, truncated, stalled, 503, then the answer — 5 tries, never more
    assert set(arxiv.attempts.values()) == {5} and set(biorxiv.attempts.values()) == {5}
    assert by_source["arxiv"].requests == 5 * arxiv_pages
    assert by_source["biorxiv"].requests == 5 * biorxiv_pages
    assert by_source["arxiv"].error is None and by_source["biorxiv"].error is None
    unique_dois = {r["doi"] for r in records}
    assert by_source["arxiv"].fetched == 240
    assert by_source["biorxiv"].fetched == len(records)
    counts = store_counts(layout)
    assert counts["papers"] == counts["distinct"] == 240 + len(unique_dois)
    assert report.candidates == counts["papers"]
    assert (tmp_path / "out" / WEEK / "issue.md").is_file()

    # fetching the same week again (refetch) under the same faults stores nothing twice
    again = run_week(settings, layout, week=WEEK, refetch=True)
    assert again.exit_code == 0
    assert store_counts(layout) == counts


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_source_that_never_recovers_is_reported_and_the_other_still_makes_the_issue(
    world: World, tmp_path: Path
) -> None:
    entries = synthetic_arxiv_week(30, seed=3, since=SINCE, until=UNTIL, categories=["cs.LG"])
    world.server.route("/api/query", ArxivApiHandler(entries))
    dead = Flaky(lambda _r: Reply(), [drop, truncate, stall, server_error, drop, drop, drop])
    for cursor in range(40):
        world.server.route(f"/details/biorxiv/{SINCE}/{UNTIL}/{cursor}", dead)
    settings = configure(world, tmp_path)
    layout = Layout.from_settings(settings)

    report = run_week(settings, layout, week=WEEK)

    by_source = {s.source: s for s in report.sources}
    assert by_source["biorxiv"].error is not None
    assert "biorxiv API failed after 5 tries" in by_source["biorxiv"].error
    assert by_source["biorxiv"].requests == 5  # bounded: 1 + num_retries
    assert sum(dead.attempts.values()) == 5
    assert by_source["arxiv"].error is None and by_source["arxiv"].candidates == 30
    assert any(w.startswith("biorxiv failed:") for w in report.warnings)
    assert (tmp_path / "out" / WEEK / "issue.md").is_file()
    run_json = (tmp_path / "out" / WEEK / "run.json").read_text()
    assert "biorxiv API failed after 5 tries" in run_json


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_crawling_source_and_papers_from_other_weeks_cost_the_week_nothing(
    world: World, tmp_path: Path
) -> None:
    """Issue 12: bioRxiv trickles its pages at 2 KB/s (each would take minutes) while arXiv
    mixes papers from 2019 and 2099 into the week's pages."""
    entries = synthetic_arxiv_week(240, seed=5, since=SINCE, until=UNTIL, categories=["cs.LG"])
    stray = [
        *synthetic_arxiv_week(30, seed=6, since=date(2019, 1, 7), until=date(2019, 1, 13)),
        *synthetic_arxiv_week(10, seed=7, since=date(2099, 3, 2), until=date(2099, 3, 8)),
    ]
    world.server.route("/api/query", ArxivApiHandler([*entries, *stray]))
    records = synthetic_biorxiv_records(60, seed=5, since=SINCE, until=UNTIL)
    for cursor in (0, 30):
        page = biorxiv_details_page(
            records[cursor : cursor + 30], since=SINCE, until=UNTIL, cursor=cursor, total=60
        )
        world.server.route(
            f"/details/biorxiv/{SINCE}/{UNTIL}/{cursor}",
            Reply(body=page + b" " * 300_000, content_type="application/json", trickle=(200, 0.1)),
        )
    settings = configure(world, tmp_path, download={"min_speed_kb": 10, "stall_seconds": 1})
    layout = Layout.from_settings(settings)

    report = run_week(settings, layout, week=WEEK)

    by_source = {s.source: s for s in report.sources}
    assert by_source["arxiv"].fetched == 240 and by_source["arxiv"].out_of_window == 40
    assert by_source["arxiv"].candidates == 240
    assert "was given up" in (by_source["biorxiv"].error or "")
    assert by_source["biorxiv"].requests == 1  # a crawling server is not asked again
    counts = store_counts(layout)
    assert counts["papers"] == 240  # nothing from other weeks, nothing half-read
    assert report.exit_code == 3 and report.status == "partial"  # a source failed: partial
    assert (tmp_path / "out" / WEEK / "issue.md").is_file()
    assert any(w.startswith("biorxiv failed:") for w in report.warnings)


@pytest.mark.timeout(60)
def test_every_source_failing_fails_the_run_with_exit_1_and_no_issue(
    world: World, tmp_path: Path
) -> None:
    world.server.route("/api/query", Reply(drop=True))
    for cursor in range(3):
        world.server.route(
            f"/details/biorxiv/{SINCE}/{UNTIL}/{cursor}", Reply(status=503, body="down")
        )
    settings = configure(world, tmp_path, arxiv={"num_retries": 2}, biorxiv={"num_retries": 1})
    layout = Layout.from_settings(settings)

    report = run_week(settings, layout, week=WEEK)

    assert report.exit_code == 1 and report.status == "failed"
    assert report.error is not None and report.error.startswith("every source failed")
    assert "arxiv" in report.error and "biorxiv" in report.error
    assert len(world.server.requests_to("/api/query")) == 3
    assert len(world.server.requests_to(f"/details/biorxiv/{SINCE}/{UNTIL}/0")) == 2
    assert not (tmp_path / "out" / WEEK).exists()
    assert world.fake.calls == []


def _journal(n: int) -> bytes:
    when = datetime(2024, 10, 8, 9, tzinfo=UTC)
    items = [
        {
            "title": f"Journal paper {i}",
            "link": f"https://journal.example/{i}",
            "summary": "s",
            "authors": ["A"],
            "published": when,
        }
        for i in range(n)
    ]
    return journal_rss("Journal", "https://journal.example", items)  # type: ignore[arg-type]


def feed_source(server: FixtureServer, retries: int = 3) -> FeedSource:
    settings = Settings(
        feeds={"urls": [server.url("/feed")], "num_retries": retries, "timeout": TIMEOUT}
    )
    return FeedSource(settings.feeds, server.url("/feed"))


@pytest.mark.timeout(60)
def test_a_feed_cut_off_in_transit_is_retried_not_read_half(world: World) -> None:
    body = _journal(10)
    full = Reply(body=body, content_type="application/rss+xml")
    world.server.queue("/feed", Reply(drop=True), stall(full), truncate(full))
    world.server.route("/feed", full)
    result = SourceResult(name="feed")
    source = feed_source(world.server)
    papers = list(source.fetch(parse_week(WEEK), result))
    source.close()
    assert len(papers) == 10  # not the 5 items before the cut
    assert result.requests == 4 == len(world.server.requests_to("/feed"))


@pytest.mark.timeout(60)
def test_a_feed_that_is_always_cut_off_is_read_with_a_warning_after_bounded_retries(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.server.route(
        "/feed", truncate(Reply(body=_journal(10), content_type="application/rss+xml"))
    )
    result = SourceResult(name="feed")
    source = feed_source(world.server, retries=2)
    papers = list(source.fetch(parse_week(WEEK), result))
    source.close()
    assert 0 < len(papers) < 10
    assert result.requests == 3  # 1 + num_retries, then what parses is used
    assert "still looks cut off after 3 tries" in caplog.text


XML_ALLOWED_UNSAFE = "\u202e\u2066\u200b\u200f\ufeff\ufdd0\x85"  # legal in XML 1.0, still unsafe


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_poisoned_text_everywhere_and_a_looping_feed_cost_only_the_feed(
    world: World, tmp_path: Path
) -> None:
    """Issue 12: every bioRxiv record carries U+FFFE & co (some a JSON-escaped lone surrogate),
    every arXiv title bidi and invisible characters, and a feed redirects forever."""

    entries = synthetic_arxiv_week(240, seed=12, since=SINCE, until=UNTIL, categories=["cs.LG"])
    for i, entry in enumerate(entries):
        char = XML_ALLOWED_UNSAFE[i % len(XML_ALLOWED_UNSAFE)]
        entry["title"] = char + entry["title"].replace(" ", f" {char}", 2)
    world.server.route("/api/query", ArxivApiHandler(entries))
    records = synthetic_biorxiv_records(75, seed=12, since=SINCE, until=UNTIL)
    for i, record in enumerate(records):
        record["title"] = sprinkle(record["title"]) + (LONE_SURROGATE_MARK if i % 5 == 0 else "")
        record["abstract"] = sprinkle(record["abstract"])
    inner = BiorxivApiHandler({"biorxiv": records})

    def poisoned(request: RecordedRequest) -> Reply:
        reply = inner(request)
        body = reply.payload().replace(LONE_SURROGATE_MARK.encode(), LONE_SURROGATE_JSON)
        return Reply(body=body, content_type=reply.content_type)

    for cursor in range(len(records) + 31):
        world.server.route(f"/details/biorxiv/{SINCE}/{UNTIL}/{cursor}", poisoned)
    world.server.route("/loop", Reply(status=302, headers={"Location": "/loop"}))
    settings = configure(world, tmp_path, feeds={"urls": [world.server.url("/loop")]})
    layout = Layout.from_settings(settings)

    report = run_week(settings, layout, week=WEEK)

    assert report.exit_code == 3 and report.status == "partial", report.error
    by_source = {s.source: s for s in report.sources}
    assert by_source["arxiv"].fetched == 240 and by_source["arxiv"].error is None
    assert by_source["biorxiv"].fetched == 75 and by_source["biorxiv"].error is None
    looped = by_source["feed 127.0.0.1/loop"]
    assert looped.error is not None and "redirects in a loop" in looped.error
    assert len(world.server.requests_to("/loop")) == 21  # one try: a loop does not heal
    counts = store_counts(layout)
    assert counts["papers"] == 240 + len({r["doi"] for r in records})
    with Database(layout.db_path) as db:
        rows = db.query("SELECT title, abstract, data FROM papers")
        stored = "\n".join(f"{r['title']}\n{r['abstract']}\n{r['data']}" for r in rows)
    assert_no_unsafe_characters(stored, "the store")
    issue_dir = tmp_path / "out" / WEEK
    for name in ("issue.md", "issue.html", "issue.txt", "run.json"):
        assert_no_unsafe_characters((issue_dir / name).read_text(encoding="utf-8"), name)
