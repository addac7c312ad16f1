"""A slow server cannot hold a run (issue 12, item 6): a download under the speed floor, or past
its deadline, is given up (not retried) and handled like any failed download.

The servers on 127.0.0.1 trickle bytes (``Reply(trickle=(bytes, seconds))``); the bodies are big
enough that sending them whole would take minutes, so a test that ends at all proves the
download was given up (pytest-timeout guards against a hang; nothing is timed).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from papercast.config import load_settings
from papercast.http import HttpFetcher, Limits, SlowDownloadError
from papercast.layout import Layout
from papercast.pipeline import run_week
from papercast.sample.server import FixtureServer, Reply
from papercast.sources import SourceResult, create_sources
from papercast.window import parse_week
from support.fake_openai import FakeOpenAI
from support.payloads import journal_rss
from support.payloads.rss import JournalItem
from support.pipeline_world import World, pdf_for, serve_pdfs, week_entries

KB = 1024
WEEK = "2024-W41"


def crawling(body: bytes, content_type: str) -> Reply:
    """About 2 KB/s: the 300 KB more that each test adds would take 150 s."""
    return Reply(body=body, content_type=content_type, trickle=(200, 0.1))


@pytest.mark.timeout(60)
def test_a_download_under_the_speed_floor_is_given_up_without_retries(
    fixture_server: FixtureServer,
) -> None:
    fixture_server.route("/slow.pdf", crawling(b"%PDF-" + b"x" * 300 * KB, "application/pdf"))
    fetcher = HttpFetcher(retries=3, limits=Limits(min_speed=10 * KB, stall_seconds=1.0))
    with fetcher, pytest.raises(SlowDownloadError) as info:
        fetcher.get(fixture_server.url("/slow.pdf"), what="PDF of arxiv:1")
    assert "PDF of arxiv:1 was given up" in info.value.message
    assert "under the floor of 10 KB/s" in info.value.message
    assert "[download] min_speed_kb" in (info.value.hint or "")
    assert len(fixture_server.requests_to("/slow.pdf")) == 1  # slow is not retried


@pytest.mark.timeout(60)
def test_a_download_past_its_deadline_is_given_up_even_above_the_floor(
    fixture_server: FixtureServer,
) -> None:
    # ~1 MB/s, far above the floor, but 60 MB would take a minute
    fixture_server.route(
        "/big.pdf", Reply(body=b"%PDF-" + b"x" * 60 * KB * KB, trickle=(20 * KB, 0.02))
    )
    limits = Limits(min_speed=10 * KB, stall_seconds=30.0, deadline=1.5)
    with (
        HttpFetcher(retries=3, max_bytes=100 * KB * KB, limits=limits) as fetcher,
        pytest.raises(SlowDownloadError, match=r"given up after 1\.5 s"),
    ):
        fetcher.get(fixture_server.url("/big.pdf"), what="PDF of arxiv:2")
    assert len(fixture_server.requests_to("/big.pdf")) == 1


@pytest.mark.timeout(60)
def test_a_server_that_answers_nothing_is_cut_at_the_deadline_not_the_timeout(
    fixture_server: FixtureServer,
) -> None:
    fixture_server.route("/silent", Reply(body=b"late", delay=30))
    limits = Limits(deadline=1.0)
    with (
        HttpFetcher(timeout=120, retries=5, backoff=0, limits=limits) as fetcher,
        pytest.raises(SlowDownloadError, match=r"given up after 1 s"),
    ):
        fetcher.get(fixture_server.url("/silent"))
    assert len(fixture_server.requests_to("/silent")) == 1  # no retry past the deadline


def test_downloads_at_a_normal_speed_are_not_affected(fixture_server: FixtureServer) -> None:
    body = b"%PDF-" + b"y" * 200 * KB
    fixture_server.route("/ok.pdf", Reply(body=body, trickle=(64 * KB, 0.01)))
    limits = Limits(min_speed=10 * KB, stall_seconds=0.05, deadline=60)
    with HttpFetcher(limits=limits) as fetcher:
        assert fetcher.get(fixture_server.url("/ok.pdf")).content == body


@pytest.mark.timeout(120)
def test_a_crawling_pdf_falls_back_to_the_abstract_and_the_week_completes(tmp_path: Path) -> None:
    with FixtureServer() as server, FakeOpenAI() as fake:
        world = World(server=server, fake=fake, entries=week_entries(4, server.url("/pdf/")))
        world.serve_arxiv()
        serve_pdfs(server, 4)
        server.route("/pdf/2410.05001v1", crawling(pdf_for(1) + b"%" * 300 * KB, "application/pdf"))
        folder = tmp_path / "w"
        folder.mkdir()
        settings = load_settings(
            world.write_config(
                folder,
                llm={"backend": "extractive"},
                issue={"highlights": 4, "noteworthy": 0},
                audio={"enabled": False},
                download={"min_speed_kb": 10, "stall_seconds": 1},
            )
        )
        report = run_week(settings, Layout.from_settings(settings), week=WEEK)
    assert report.exit_code == 0 and report.status == "done", report.error
    assert len(report.highlights) == 4 and not report.failed
    notes = [w for w in report.warnings if "abstract only" in w]
    assert len(notes) == 1 and notes[0].startswith("arxiv:2410.05001"), report.warnings
    assert "was given up" in notes[0] and "KB/s" in notes[0]
    run_json = json.loads((folder / "out" / WEEK / "run.json").read_text())
    assert run_json["warnings"] == report.warnings


def journal_items(n: int) -> list[JournalItem]:
    return [
        JournalItem(
            title=f"Article {i}",
            link=f"https://journal.example/a/{i}",
            summary=f"What article {i} found.",
            authors=["A. Author"],
            published=datetime(2024, 10, 8 + i % 5, 9, tzinfo=UTC),
        )
        for i in range(n)
    ]


@pytest.mark.timeout(60)
def test_a_crawling_feed_fails_that_source_alone(tmp_path: Path) -> None:
    with FixtureServer() as server:
        rss = journal_rss("Journal", "https://journal.example", journal_items(5))
        server.route("/slow.rss", crawling(rss + b" " * 300 * KB, "application/rss+xml"))
        server.route("/fast.rss", Reply(body=rss, content_type="application/rss+xml"))
        settings = load_settings(
            overrides={
                "arxiv": {"enabled": False},
                "feeds": {"urls": [server.url("/slow.rss"), server.url("/fast.rss")]},
                "download": {"min_speed_kb": 10, "stall_seconds": 1},
            }
        )
        slow, fast = create_sources(settings)
        with pytest.raises(SlowDownloadError, match="was given up"):
            list(slow.fetch(parse_week(WEEK), SourceResult(name=slow.name)))
        assert len(list(fast.fetch(parse_week(WEEK), SourceResult(name=fast.name)))) == 5
        assert len(server.requests_to("/slow.rss")) == 1
