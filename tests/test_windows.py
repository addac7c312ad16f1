"""Windows the user did not mean (issue 12, item 8): a week that has not begun is refused, the
week going on now needs --force (and says what it misses), and papers a server sends dated
outside the window are dropped and counted, whatever the server is."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.config import load_settings
from papercast.errors import InputError
from papercast.fetch import fetch_window
from papercast.layout import Layout
from papercast.models import DateWindow
from papercast.pipeline import run_week
from papercast.sample.server import FixtureServer, Reply
from papercast.store import Database, PaperStore
from papercast.window import week_id
from support.arxiv_pages import page, real_entries, with_id
from support.fixtures import ARXIV_RSS
from support.payloads import biorxiv_details_page, synthetic_biorxiv_records

runner = CliRunner()
WEEK = DateWindow(since=date(2024, 10, 7), until=date(2024, 10, 13), label="2024-W41")
ATOM = "application/atom+xml"


@pytest.fixture
def user_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Errors as a user sees them (one line and an exit code), not raised."""
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")


def arxiv_entries(*days: str) -> list[object]:
    base = real_entries()[0]
    return [
        with_id(base, f"2410.{6300 + i:05d}v1", f"{day}T10:00:00Z") for i, day in enumerate(days)
    ]


def arxiv_config(server: FixtureServer, folder: Path) -> Path:
    path = folder / "papercast.toml"
    path.write_text(
        "[arxiv]\n"
        f'api_url = "{server.url("/api/query")}"\n'
        'delay_seconds = 0\ncategories = ["cs.LG"]\n'
        '[llm]\nbackend = "extractive"\nfulltext = false\n'
        "[audio]\nenabled = false\n"
        '[publish]\nout_dir = "out"\n'
    )
    return path


def serve_arxiv(server: FixtureServer, entries: list[object]) -> None:
    body = page(entries, total=len(entries), start=0)  # type: ignore[arg-type]
    server.route("/api/query", Reply(body=body, content_type=ATOM))


# --- weeks that have not begun, or are not over ---------------------------------------------


def test_a_week_in_the_future_is_refused_before_anything_is_fetched(
    fixture_server: FixtureServer, user_errors: None
) -> None:
    arxiv_config(fixture_server, Path.cwd())
    serve_arxiv(fixture_server, arxiv_entries("2099-03-03"))
    for args in (["run", "--week", "2099-W10"], ["run", "--week", "2099-W10", "--force"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "2099-W10 has not begun (it starts on 2099-03-02" in result.output
    fetch = runner.invoke(app, ["fetch", "--week", "2099-W10"])
    assert fetch.exit_code == 2 and "has not begun" in fetch.output
    assert fixture_server.requests == []  # nothing was asked of any server
    assert not (Path("out") / "2099-W10").exists()


def test_the_current_week_needs_force(fixture_server: FixtureServer, user_errors: None) -> None:
    arxiv_config(fixture_server, Path.cwd())
    this_week = week_id(date.today())
    result = runner.invoke(app, ["run", "--week", this_week])
    assert result.exit_code == 2, result.output
    assert f"{this_week} is not over yet" in result.output
    assert "--force" in result.output
    assert fixture_server.requests == []


def test_forcing_the_current_week_warns_that_it_is_frozen_as_is(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    serve_arxiv(fixture_server, arxiv_entries("2024-10-08", "2024-10-09", "2024-10-10"))
    settings = load_settings(arxiv_config(fixture_server, tmp_path))
    layout = Layout.from_settings(settings)
    wednesday = date(2024, 10, 9)  # 2024-W41 is going on
    with pytest.raises(InputError, match="2024-W41 is not over yet"):
        run_week(settings, layout, week="2024-W41", today=wednesday)
    preview = run_week(settings, layout, week="2024-W41", today=wednesday, dry_run=True)
    assert preview.status == "dry-run"
    assert any("this preview has only the papers out by 2024-10-09" in w for w in preview.warnings)
    report = run_week(settings, layout, week="2024-W41", today=wednesday, force=True)
    assert report.exit_code == 0 and report.status == "done"
    warning = next(w for w in report.warnings if "is not over" in w)
    assert "papers out by 2024-10-09" in warning and "--refetch" in warning
    saved = json.loads((tmp_path / "out" / "2024-W41" / "run.json").read_text())
    assert warning in saved["warnings"]
    later = run_week(settings, layout, week="2024-W41", today=date(2024, 10, 14))
    assert later.exit_code == 0 and not any("is not over" in w for w in later.warnings)


# --- papers outside the window --------------------------------------------------------------


def test_arxiv_papers_outside_the_window_are_dropped_and_counted(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    serve_arxiv(
        fixture_server,
        arxiv_entries(
            "2024-10-08",  # in the week
            "2024-10-13",  # its last day
            "2024-10-05",  # two days before: inside lookback_days (3), kept
            "2024-09-30",  # a week before
            "2019-01-01",  # years before
            "2099-01-01",  # the future
        ),
    )
    settings = load_settings(arxiv_config(fixture_server, tmp_path))
    db = Database(tmp_path / "p.db")
    report = fetch_window(WEEK, settings=settings, db=db)
    (arxiv,) = report.sources
    assert (arxiv.fetched, arxiv.out_of_window, arxiv.candidates) == (3, 3, 3)
    assert sorted(report.paper_ids) == ["arxiv:2410.06300", "arxiv:2410.06301", "arxiv:2410.06302"]
    assert PaperStore(db).count() == 3  # never stored


def test_a_server_sending_only_other_weeks_says_so(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    serve_arxiv(fixture_server, arxiv_entries("2019-01-01", "2019-01-02"))
    settings = load_settings(arxiv_config(fixture_server, tmp_path))
    report = fetch_window(WEEK, settings=settings, db=Database(tmp_path / "p.db"))
    (arxiv,) = report.sources
    assert (arxiv.fetched, arxiv.out_of_window) == (0, 2)
    assert arxiv.empty_reason == (
        "the server sent 2 papers, all dated outside 2024-10-04..2024-10-13 (dropped)"
    )


def test_biorxiv_records_outside_the_window_are_dropped_and_counted(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    inside = synthetic_biorxiv_records(4, seed=1, since=WEEK.since, until=WEEK.until)
    before = synthetic_biorxiv_records(3, seed=2, since=date(2024, 9, 1), until=date(2024, 9, 6))
    after = synthetic_biorxiv_records(2, seed=3, since=date(2025, 1, 1), until=date(2025, 1, 2))
    records = [*before, *inside, *after]  # a server that ignores the interval it was asked
    fixture_server.route(
        "/details/biorxiv/2024-10-07/2024-10-13/0",
        Reply(
            body=biorxiv_details_page(records, since=WEEK.since, until=WEEK.until),
            content_type="application/json",
        ),
    )
    settings = load_settings(
        overrides={
            "arxiv": {"enabled": False},
            "biorxiv": {
                "servers": ["biorxiv"],
                "api_url": fixture_server.url(""),
                "delay_seconds": 0,
            },
        }
    )
    report = fetch_window(WEEK, settings=settings, db=Database(tmp_path / "p.db"))
    (biorxiv,) = report.sources
    assert (biorxiv.fetched, biorxiv.out_of_window, biorxiv.candidates) == (4, 5, 4)


def test_feed_items_outside_the_window_are_counted_and_shown(
    fixture_server: FixtureServer, user_errors: None
) -> None:
    fixture_server.route("/rss/cs.LG", Reply(body=ARXIV_RSS, content_type="application/rss+xml"))
    later = WEEK.until + timedelta(days=70)
    Path("papercast.toml").write_text(
        f'[arxiv]\nenabled = false\n[feeds]\nurls = ["{fixture_server.url("/rss/cs.LG")}"]\n'
    )
    result = runner.invoke(
        app, ["fetch", "--since", "2024-12-20", "--until", later.isoformat(), "--json"]
    )
    assert result.exit_code == 0, result.output
    (feed,) = json.loads(result.output)["sources"]
    assert feed["fetched"] == 0 and feed["out_of_window"] > 0
    table = runner.invoke(app, ["fetch", "--week", "2024-W41"])
    assert "outside" in table.output
