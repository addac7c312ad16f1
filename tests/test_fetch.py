"""The fetch stage over several sources: dedup, seen-tracking, filters, failures, crashes."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from papercast.config import load_settings
from papercast.fetch import fetch_window
from papercast.models import DateWindow
from papercast.sample.server import FixtureServer, RecordedRequest, Reply
from papercast.store import Database, PaperStore
from support.arxiv_pages import page, real_entries, with_id
from support.fixtures import ARXIV_RSS

WEEK = DateWindow(since=date(2024, 10, 7), until=date(2024, 10, 13), label="2024-W41")
ATOM = "application/atom+xml"


def week_entries(n: int = 3):
    base = real_entries()[0]
    entries = [with_id(base, f"2410.{6200 + i:05d}v1", "2024-10-08T10:00:00Z") for i in range(n)]
    entries.append(with_id(base, "2410.06205v1", "2024-10-09T10:00:00Z"))  # also in the RSS
    return entries


def serve(server: FixtureServer, entries) -> None:
    server.route(
        "/api/query", Reply(body=page(entries, total=len(entries), start=0), content_type=ATOM)
    )
    server.route("/rss/cs.LG", Reply(body=ARXIV_RSS, content_type="application/rss+xml"))


def settings_for(server: FixtureServer, **select: object):
    return load_settings(
        overrides={
            "arxiv": {
                "api_url": server.url("/api/query"),
                "delay_seconds": 0,
                "categories": ["cs.LG"],
            },
            "feeds": {"urls": [server.url("/rss/cs.LG")], "num_retries": 0},
            "select": select,
        }
    )


def test_api_and_rss_copies_are_one_paper(fixture_server: FixtureServer, tmp_path: Path) -> None:
    serve(fixture_server, week_entries())
    db = Database(tmp_path / "p.db")
    report = fetch_window(WEEK, settings=settings_for(fixture_server), db=db)
    api, feed = report.sources
    assert (api.fetched, api.new, api.candidates) == (4, 4, 4)
    assert feed.fetched == 2
    assert feed.duplicates == 1  # 2410.06205 again
    assert feed.excluded_by == {"announce type: replace": 1}
    assert sorted(report.paper_ids) == sorted(
        ["arxiv:2410.06200", "arxiv:2410.06201", "arxiv:2410.06202", "arxiv:2410.06205"]
    )
    store = PaperStore(db)
    assert store.count() == 5  # the replaced paper is stored too, as a paper, not a candidate
    assert store.get("arxiv:2301.00001").version == 3


def test_seen_papers_are_not_candidates_next_time(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    serve(fixture_server, week_entries())
    db = Database(tmp_path / "p.db")
    settings = settings_for(fixture_server)
    first = fetch_window(WEEK, settings=settings, db=db)
    again = fetch_window(WEEK, settings=settings, db=db)
    assert again.paper_ids == first.paper_ids  # not seen yet: still candidates on a rerun
    assert again.sources[0].new == 0 and again.sources[0].duplicates == 4
    PaperStore(db).mark_seen(first.paper_ids[:1], "2024-W41")  # in this week's own issue
    own = fetch_window(WEEK, settings=settings, db=db)
    assert own.paper_ids == first.paper_ids  # fetching the week again (run --refetch) keeps it
    PaperStore(db).mark_seen(first.paper_ids[1:], "2024-W40")  # the others in an earlier issue
    later = fetch_window(WEEK, settings=settings, db=db)
    assert later.paper_ids == first.paper_ids[:1]
    assert later.sources[0].already_seen == 3
    PaperStore(db).mark_seen(first.paper_ids[:1], "2024-W40")  # already seen: not moved
    assert fetch_window(WEEK, settings=settings, db=db).paper_ids == first.paper_ids[:1]


def test_filters_removing_everything_say_so(fixture_server: FixtureServer, tmp_path: Path) -> None:
    serve(fixture_server, week_entries())
    settings = settings_for(fixture_server, exclude=["testing"])
    report = fetch_window(WEEK, settings=settings, db=Database(tmp_path / "p.db"))
    api = report.sources[0]
    assert api.candidates == 0
    assert api.excluded_by == {"exclude: testing": 4}
    assert api.empty_reason == "filters removed 4 of 4: exclude: testing (4)"


def test_one_failing_source_does_not_sink_the_others(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    serve(fixture_server, week_entries())
    fixture_server.route("/api/query", Reply(status=503))
    settings = settings_for(fixture_server)
    settings.arxiv.num_retries = 1
    report = fetch_window(WEEK, settings=settings, db=Database(tmp_path / "p.db"))
    api, feed = report.sources
    assert api.error and "HTTP 503" in api.error and api.status == 503
    assert feed.candidates == 1 and report.paper_ids == ["arxiv:2410.06205"]


def test_killed_fetch_leaves_a_consistent_store_and_rerun_completes(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    base = real_entries()[0]
    entries = [with_id(base, f"2410.{7000 + i:05d}v1", "2024-10-08T10:00:00Z") for i in range(6)]
    stall = {"on": True}

    def handler(req: RecordedRequest) -> Reply:
        start = int(req.param("start"))
        if start > 0 and stall["on"]:
            return Reply(
                body=page(entries[start : start + 3], total=6, start=start),
                content_type=ATOM,
                delay=30,
            )
        return Reply(body=page(entries[start : start + 3], total=6, start=start), content_type=ATOM)

    fixture_server.route("/api/query", handler)
    env = {
        **os.environ,
        "PAPERCAST_HOME": str(tmp_path / "home"),
        "PAPERCAST_ARXIV__API_URL": fixture_server.url("/api/query"),
        "PAPERCAST_ARXIV__DELAY_SECONDS": "0",
        "PAPERCAST_ARXIV__PAGE_SIZE": "3",
        "PAPERCAST_ARXIV__CATEGORIES": '["cs.LG"]',
    }
    cmd = [sys.executable, "-m", "papercast", "fetch", "--week", "2024-W41"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db_path = tmp_path / "home" / "papercast.db"

    def stored() -> int:
        try:
            with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
                return int(conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0])
        except sqlite3.Error:  # not created yet
            return 0

    # kill while the second page hangs, once the first page is stored (the stored papers are
    # watched, not guessed with a sleep); the deadline is only a hang guard
    deadline = time.monotonic() + 60
    while (
        not (len(fixture_server.requests) >= 2 and stored() >= 3)
        and proc.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    assert proc.poll() is None, "the fetch ended before the kill"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    db = Database(tmp_path / "home" / "papercast.db")
    assert db.integrity_ok()
    assert PaperStore(db).count() == 3  # the first page, fully stored
    stall["on"] = False
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    store = PaperStore(db)
    assert store.count() == 6
    assert len(db.query("SELECT paper_id FROM paper_versions")) == 6
    assert db.integrity_ok()
