"""A full disk or a read-only home (issue 12, item 7): one line saying what is wrong and where,
no traceback; caches are optional; read-only commands work on a read-only PAPERCAST_HOME.

The full disk is a small tmpfs, the read-only home a read-only bind mount (both need root,
which CI has; elsewhere these tests skip and say why). The commands run in subprocesses, as a
user runs them, without PAPERCAST_RAISE_ERRORS.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from papercast.config import load_settings
from papercast.layout import Layout
from papercast.logs import RunLogHandler, without_traceback
from papercast.pipeline import run_week
from papercast.sample.server import FixtureServer
from papercast.store import Database
from support.fake_openai import FakeOpenAI
from support.mounts import fill, read_only_view, tmpfs
from support.pipeline_world import World, serve_pdfs, week_entries

WEEK = "2024-W41"


@pytest.fixture
def world() -> Iterator[World]:
    with FixtureServer() as server, FakeOpenAI() as fake:
        w = World(server=server, fake=fake, entries=week_entries(6, server.url("/pdf/")))
        w.serve_arxiv()
        serve_pdfs(server, 6)
        yield w


def configure(world: World, folder: Path, out: Path | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return world.write_config(
        folder,
        llm={"backend": "extractive"},
        issue={"highlights": 2, "noteworthy": 2},
        audio={"enabled": False},
        publish={"out_dir": str(out or folder / "out")},
    )


def papercast(folder: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERCAST_RAISE")}
    env["PAPERCAST_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "papercast", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def one_clear_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The run's error line: it holds ``words``, and nothing printed is a traceback."""
    printed = result.stdout + result.stderr
    assert "Traceback" not in printed and "Unexpected error" not in printed, printed[-3000:]
    lines = [line for line in printed.splitlines() if all(w in line for w in words)]
    assert lines, (words, printed[-3000:])
    return lines[0]


def test_a_full_pdf_cache_does_not_fail_the_papers(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    with tmpfs(home / "cache", size_kb=64) as cache:
        (cache / "pdf").mkdir()
        (cache / "tts").mkdir()
        fill(cache, leave_kb=0)
        settings = load_settings(configure(world, tmp_path / "w"), overrides={"home": home})
        with caplog.at_level(logging.WARNING):
            report = run_week(settings, Layout.from_settings(settings), week=WEEK)
        assert not list((cache / "pdf").iterdir())  # nothing could be cached...
    assert report.exit_code == 0 and report.status == "done", report.error
    assert not report.failed  # ...and no paper failed for it
    assert not [w for w in report.warnings if "abstract only" in w]  # the text was in hand
    skipped = [r.getMessage() for r in caplog.records if "not caching" in r.getMessage()]
    assert len(skipped) == 1 and "disk full at" in skipped[0], skipped  # said once


@pytest.mark.slow
def test_a_full_disk_under_the_store_is_one_line_naming_the_database(
    world: World, tmp_path: Path
) -> None:
    folder = tmp_path / "w"
    configure(world, folder)
    with tmpfs(tmp_path / "disk", size_kb=2048) as disk:
        home = disk / "home"
        assert papercast(folder, home, "status").returncode == 0  # the store, migrated
        fill(disk, leave_kb=40)
        result = papercast(folder, home, "run", "--week", WEEK)
        assert result.returncode == 1
        line = one_clear_error(result, "disk full at", str(home / "papercast.db"))
        assert "free some space" in result.stdout + result.stderr, line
        (disk / "filler").unlink()
        rerun = papercast(folder, home, "run", "--week", WEEK)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]


@pytest.mark.slow
def test_a_full_disk_under_the_outputs_is_said_per_output_and_the_rerun_finishes(
    world: World, tmp_path: Path
) -> None:
    folder, home = tmp_path / "w", tmp_path / "home"
    with tmpfs(tmp_path / "outdisk", size_kb=256) as out:
        configure(world, folder, out=out)
        fill(out, leave_kb=0)
        result = papercast(folder, home, "run", "--week", WEEK)
        assert result.returncode == 3  # every output failed on its own, each saying why
        one_clear_error(result, "html output failed: disk full at", str(out / WEEK / "issue.html"))
        (out / "filler").unlink()
        rerun = papercast(folder, home, "run", "--week", WEEK)
        assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
        assert json.loads((out / WEEK / "run.json").read_text())["resumed"] is True
        assert (out / WEEK / "issue.html").is_file()


@pytest.mark.slow
def test_read_only_home_keeps_read_commands_working_and_run_says_why(
    world: World, tmp_path: Path
) -> None:
    folder, home = tmp_path / "w", tmp_path / "home"
    configure(world, folder)
    assert papercast(folder, home, "run", "--week", WEEK).returncode == 0
    before = sorted((p.relative_to(home), p.stat().st_mtime_ns) for p in home.rglob("*"))
    with read_only_view(home, tmp_path / "ro-home") as ro:
        issues = papercast(folder, ro, "issues")
        assert issues.returncode == 0, issues.stderr
        assert WEEK in issues.stdout and "1 issue(s)" in issues.stdout
        papers = papercast(folder, ro, "papers", "--json")
        assert papers.returncode == 0, papers.stderr
        assert len(json.loads(papers.stdout)) == 6
        status = papercast(folder, ro, "status", "--json")
        assert status.returncode == 0, status.stderr
        assert [r["status"] for r in json.loads(status.stdout)["runs"]] == ["done"]

        run = papercast(folder, ro, "run", "--week", WEEK)
        assert run.returncode == 1
        line = one_clear_error(run, "PAPERCAST_HOME is read-only")
        assert str(ro) in line
        assert "restore it from a backup" not in run.stdout + run.stderr
    after = sorted((p.relative_to(home), p.stat().st_mtime_ns) for p in home.rglob("*"))
    assert after == before  # nothing was written


@pytest.mark.slow
def test_read_only_home_with_a_store_that_needs_upgrading_says_so(
    world: World, tmp_path: Path
) -> None:
    folder, home = tmp_path / "w", tmp_path / "home"
    configure(world, folder)
    assert papercast(folder, home, "status").returncode == 0
    with Database(home / "papercast.db") as db:
        db.execute("DELETE FROM migrations WHERE number = (SELECT MAX(number) FROM migrations)")
    with read_only_view(home, tmp_path / "ro-home") as ro:
        result = papercast(folder, ro, "issues")
    assert result.returncode == 1
    one_clear_error(result, "needs upgrading", "PAPERCAST_HOME is read-only")


def test_a_run_log_on_a_full_disk_is_given_up_with_one_warning_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("papercast.test_storage_faults")
    with tmpfs(tmp_path / "logs", size_kb=64) as logs:
        fill(logs, leave_kb=0)
        handler = RunLogHandler(logs / "run.log")
        logger.addHandler(handler)
        try:
            with caplog.at_level(logging.INFO):
                for i in range(3):
                    logger.warning("line %d %s", i, "x" * 20_000)
        finally:
            logger.removeHandler(handler)
            handler.close()
    assert "Traceback" not in capsys.readouterr().err  # what logging prints by default
    given_up = [r.getMessage() for r in caplog.records if "cannot be written" in r.getMessage()]
    assert len(given_up) == 1 and "No space left on device" in given_up[0]


def test_a_logged_exception_is_one_line_on_the_console() -> None:
    try:
        raise OSError(28, "No space left on device")
    except OSError:
        record = logging.LogRecord(
            "papercast.x", logging.ERROR, __file__, 1, "caching %s failed", ("p1",), sys.exc_info()
        )
    line = without_traceback(record)
    assert line.exc_info is None and line.levelno == logging.ERROR
    assert line.getMessage() == (
        "caching p1 failed (OSError: [Errno 28] No space left on device; --debug shows where)"
    )
    assert record.exc_info is not None  # the run's log file still gets the traceback
