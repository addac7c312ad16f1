"""End-to-end: `papercast fetch`, `papercast papers`, `papercast init` through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.sample.server import FixtureServer, Reply
from support.arxiv_pages import ERROR_FEED, page, real_entries, with_id
from support.fixtures import ARXIV_RSS

runner = CliRunner()


@pytest.fixture
def served(fixture_server: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> FixtureServer:
    base = real_entries()[0]
    entries = [with_id(base, f"2410.{6300 + i:05d}v1", "2024-10-08T10:00:00Z") for i in range(3)]
    fixture_server.route(
        "/api/query",
        Reply(body=page(entries, total=3, start=0), content_type="application/atom+xml"),
    )
    fixture_server.route("/rss", Reply(body=ARXIV_RSS, content_type="application/rss+xml"))
    monkeypatch.setenv("PAPERCAST_ARXIV__API_URL", fixture_server.url("/api/query"))
    monkeypatch.setenv("PAPERCAST_ARXIV__DELAY_SECONDS", "0")
    monkeypatch.setenv("PAPERCAST_ARXIV__NUM_RETRIES", "1")
    monkeypatch.setenv("PAPERCAST_FEEDS__URLS", json.dumps([fixture_server.url("/rss")]))
    monkeypatch.setenv("PAPERCAST_FEEDS__NUM_RETRIES", "0")
    return fixture_server


def test_fetch_prints_a_table_per_source(served: FixtureServer) -> None:
    result = runner.invoke(app, ["fetch", "--week", "2024-W41"])
    assert result.exit_code == 0, result.output
    assert "arxiv" in result.output and "feed 127.0.0.1/rss" in result.output
    assert "excluded by announce type: replace ×1" in result.output
    assert "4 candidate papers." in result.output


def test_fetch_json_and_papers_json(served: FixtureServer) -> None:
    result = runner.invoke(app, ["fetch", "--week", "2024-W41", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["window"]["label"] == "2024-W41"
    assert [s["source"] for s in report["sources"]] == ["arxiv", "feed 127.0.0.1/rss"]
    assert report["sources"][0]["new"] == 3 and report["sources"][0]["requests"] == 1
    listed = runner.invoke(app, ["papers", "--json", "--unseen"])
    assert listed.exit_code == 0
    ids = {p["id"] for p in json.loads(listed.output)}
    assert {"arxiv:2410.06300", "arxiv:2410.06205", "arxiv:2301.00001"} <= ids


def test_partial_failure_exits_3_total_failure_exits_1(
    served: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    served.route("/api/query", Reply(status=500))
    result = runner.invoke(app, ["fetch", "--week", "2024-W41"])
    assert result.exit_code == 3
    assert "arxiv: failed" in result.output and "HTTP 500" in result.output
    monkeypatch.setenv("PAPERCAST_FEEDS__URLS", "[]")
    assert runner.invoke(app, ["fetch", "--week", "2024-W41"]).exit_code == 1


def test_arxiv_error_feed_is_one_clear_line(served: FixtureServer) -> None:
    served.route(
        "/api/query", Reply(status=400, body=ERROR_FEED, content_type="application/atom+xml")
    )
    result = runner.invoke(app, ["fetch", "--week", "2024-W41", "--source", "arxiv"])
    assert result.exit_code == 1
    assert (
        "arXiv rejected the query (HTTP 400): incorrect id format for 1234.12345" in result.output
    )


def test_bad_input_is_an_error_line_not_a_traceback(
    served: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    bad_week = runner.invoke(app, ["fetch", "--week", "2024-W99"])
    assert bad_week.exit_code == 2
    assert "Error:" in bad_week.output and "Traceback" not in bad_week.output
    reversed_window = runner.invoke(
        app, ["fetch", "--since", "2024-10-10", "--until", "2024-10-01"]
    )
    assert reversed_window.exit_code == 2 and "before it starts" in reversed_window.output
    monkeypatch.setenv("PAPERCAST_ARXIV__CATEGORIES", '["cs.LGG"]')
    bad_cat = runner.invoke(app, ["fetch", "--week", "2024-W41", "--source", "arxiv"])
    assert bad_cat.exit_code == 2 and "did you mean cs.LG?" in bad_cat.output
    assert served.requests_to("/api/query") == []


def test_config_typo_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    Path("papercast.toml").write_text('[arxiv]\ncatgories = ["cs.LG"]\n')
    result = runner.invoke(app, ["papers"])
    assert result.exit_code == 2
    assert "unknown key 'arxiv.catgories'" in result.output


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What --debug adds, as a user sees it in a terminal: the traceback on stderr."""
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    plain = runner.invoke(app, ["fetch", "--week", "nope"])
    assert plain.exit_code == 2
    assert "Error:" in plain.output and "Traceback" not in plain.output
    assert isinstance(plain.exception, SystemExit)  # handled: one line, no traceback
    env = {k: v for k, v in os.environ.items() if k != "PAPERCAST_RAISE_ERRORS"}
    debug = subprocess.run(
        [sys.executable, "-m", "papercast", "--debug", "fetch", "--week", "nope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr
    assert "InputError" in debug.stderr and "nope" in debug.stderr  # the error itself, too
    assert "window.py" in debug.stderr  # the frames, down to where the week was parsed


def test_init_writes_a_valid_config_and_refuses_to_overwrite(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0
    text = Path("papercast.toml").read_text()
    assert "[arxiv]" in text and "categories" in text
    assert runner.invoke(app, ["papers"]).exit_code == 0  # the starter config loads
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 2 and "already exists" in again.output


def test_titles_with_square_brackets_are_shown_as_they_are() -> None:
    """'[Re] ...' titles (reproducibility reports) are text, not terminal markup."""
    import os

    from papercast.models import Paper
    from papercast.store import Database, PaperStore

    db = Database(Path(os.environ["PAPERCAST_HOME"]) / "papercast.db")
    PaperStore(db).upsert(
        Paper(id="arxiv:2410.00042", source="arxiv", title="[Re] Gains [/b] [red]y")
    )
    db.close()
    result = CliRunner().invoke(app, ["papers"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "[Re] Gains [/b] [red]y" in result.output
