"""End-to-end weekly runs through the CLI against servers on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock
from typer.testing import CliRunner

from papercast.cli import app
from papercast.sample.server import FixtureServer
from papercast.store import Database, RunStore
from papercast.store.calls import CallStore
from support.fake_openai import FakeOpenAI
from support.pipeline_world import (
    ISSUE_FILES,
    SENTINEL_KEY,
    World,
    digest,
    serve_pdfs,
    week_entries,
)

runner = CliRunner()
WEEK = "2024-W41"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI() as fake:
        w = World(server=server, fake=fake, entries=week_entries(8, server.url("/pdf/")))
        w.serve_arxiv()
        serve_pdfs(server, 8)
        yield w


def speech_calls(fake: FakeOpenAI) -> int:
    return len(fake.calls_to("/v1/audio/speech"))


def run_cli(*args: str) -> object:
    return runner.invoke(app, ["run", "--week", WEEK, *args])


def test_full_run_then_rerun_is_idempotent(world: World) -> None:
    world.write_config(Path.cwd())
    result = run_cli()
    assert result.exit_code == 0, result.output
    folder = Path("out") / WEEK
    for name in (*ISSUE_FILES, "run.json", "feed.xml"):
        assert (folder / name).is_file(), name
    report = json.loads((folder / "run.json").read_text())
    assert report["status"] == "done" and report["candidates"] == 8
    assert len(report["highlights"]) == 2 and report["noteworthy"] == 4
    assert report["summarized"] == 6 and report["from_cache"] == 0
    assert report["usage"]["input_tokens"] > 0 and report["model"] == "gpt-4o-mini"
    markdown = (folder / "issue.md").read_text()
    for paper_id in report["highlights"]:
        assert f"https://arxiv.org/abs/{paper_id.split(':')[1]}" in markdown
    for label in ("TL;DR", "Method", "Results", "Critiques", "Implications"):
        assert label in markdown
    calls, speech = len(world.fake.completion_calls), speech_calls(world.fake)
    assert calls == 6 and speech > 0
    before = digest(folder)

    again = run_cli()
    assert again.exit_code == 0, again.output
    assert "Resumed from this week's earlier selection" in again.output
    assert len(world.fake.completion_calls) == calls  # no LLM call
    assert speech_calls(world.fake) == speech  # no TTS call
    assert digest(folder) == before  # byte-identical outputs
    rerun = json.loads((folder / "run.json").read_text())
    assert rerun["from_cache"] == 6 and rerun["summarized"] == 0 and rerun["resumed"] is True


def test_refetch_through_the_cli_fetches_and_ranks_the_week_again(world: World) -> None:
    """A plain rerun keeps the week's frozen selection; --refetch asks the source again and
    ranks again, so a change of interests changes the highlights."""
    world.write_config(Path.cwd(), publish={"audio": False})
    first = run_cli("--json")
    assert first.exit_code == 0, first.output
    before = json.loads(first.output)["highlights"]
    listed = runner.invoke(app, ["papers", "--json"])
    titles = {p["id"]: p["title"] for p in json.loads(listed.output)}
    wanted = next(pid for pid in sorted(titles) if pid not in before)
    world.write_config(Path.cwd(), publish={"audio": False}, rank={"interests": titles[wanted]})
    asked = len(world.server.requests_to("/api/query"))

    kept = run_cli("--json")
    assert kept.exit_code == 0, kept.output
    assert json.loads(kept.output)["highlights"] == before  # frozen: not ranked again
    assert len(world.server.requests_to("/api/query")) == asked  # not fetched again

    again = runner.invoke(app, ["run", "--week", WEEK, "--refetch", "--json"])
    assert again.exit_code == 0, again.output
    report = json.loads(again.output)
    assert len(world.server.requests_to("/api/query")) > asked  # fetched again...
    assert report["resumed"] is False and report["candidates"] == 8
    assert wanted in report["highlights"] and report["highlights"] != before  # ...ranked again


def test_run_json_times_every_stage(world: World) -> None:
    """run.json's stages: each stage once, in order, timed where its work happened (each
    model call takes at least the fake's latency, one call at a time)."""
    world.fake.latency = 0.1
    world.write_config(Path.cwd(), llm={"max_concurrency": 1}, audio={"workers": 1})
    started = time.monotonic()
    result = run_cli()
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    stages = json.loads((Path("out") / WEEK / "run.json").read_text())["stages"]
    names = [s["stage"] for s in stages]
    assert names == ["fetch", "rank", "summarize", "assemble", "audio", "render", "export"]
    seconds = {s["stage"]: s["seconds"] for s in stages}
    assert seconds["summarize"] >= 6 * 0.1  # six summaries, one after another
    assert seconds["audio"] >= speech_calls(world.fake) * 0.1
    assert all(s >= 0 for s in seconds.values()) and sum(seconds.values()) <= elapsed


def test_next_week_does_not_repeat_seen_papers(world: World) -> None:
    world.write_config(Path.cwd())
    assert run_cli().exit_code == 0
    result = runner.invoke(app, ["run", "--week", "2024-W42"])  # the server sends the same papers
    assert result.exit_code == 0, result.output
    assert "No issue this week" in result.output
    assert "already in earlier issues" in result.output
    assert not (Path("out") / "2024-W42").exists()


def test_empty_week_says_why_and_makes_no_issue(world: World) -> None:
    world.serve_arxiv([])
    world.write_config(Path.cwd())
    result = run_cli()
    assert result.exit_code == 0, result.output
    assert (
        "No issue this week — nothing new because arxiv: arXiv has no submissions in cs.LG"
        in result.output
    )
    assert not (Path("out") / WEEK).exists()
    assert world.fake.calls == []


def test_a_failing_paper_gives_exit_3_and_is_retried_next_run(world: World) -> None:
    world.write_config(Path.cwd())
    bad_title = world.entries[3].find("{http://www.w3.org/2005/Atom}title").text
    world.fake.fail_next("malformed", times=20, match=bad_title[:30])
    result = run_cli()
    assert result.exit_code == 3, result.output
    report = json.loads((Path("out") / WEEK / "run.json").read_text())
    assert report["status"] == "partial" and list(report["failed"]) == ["arxiv:2410.05003"]
    assert (Path("out") / WEEK / "issue.md").is_file()
    world.fake.clear_faults()
    again = run_cli()
    assert again.exit_code == 0, again.output
    fixed = json.loads((Path("out") / WEEK / "run.json").read_text())
    assert fixed["failed"] == {} and fixed["summarized"] == 1 and fixed["from_cache"] == 5


def test_a_second_run_is_refused_while_one_holds_the_lock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    world.write_config(Path.cwd())
    lock = FileLock(str(Path(os.environ["PAPERCAST_HOME"]) / "run.lock"))
    Path(os.environ["PAPERCAST_HOME"]).mkdir(parents=True, exist_ok=True)
    with lock:
        result = run_cli()
    assert result.exit_code == 4
    assert "another papercast run is already working" in result.output
    assert world.server.requests == []


def test_dry_run_spends_nothing_and_freezes_nothing(world: World) -> None:
    world.write_config(Path.cwd())
    result = run_cli("--dry-run", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["status"] == "dry-run" and report["chosen"] == 6
    assert len(report["preview"]) == 6 and report["preview"][0]["id"].startswith("arxiv:2410.050")
    table = run_cli("--dry-run")
    assert "Would summarize 6 papers" in table.output
    assert report["estimated_cost_usd"] > 0
    assert world.fake.calls == []
    assert not (Path("out") / WEEK).exists()
    real = run_cli()
    assert real.exit_code == 0 and "Resumed" not in real.output


def test_pick_flow_puts_picked_papers_first(world: World) -> None:
    world.write_config(Path.cwd())
    waiting = run_cli("--pick")  # no terminal here: a shortlist file to edit
    assert waiting.exit_code == 0, waiting.output
    assert "Waiting for your picks: mark papers with [x] in" in waiting.output.replace("\n", " ")
    shortlist = Path("out") / WEEK / "shortlist.md"
    lines = shortlist.read_text().splitlines()
    items = [line for line in lines if line.startswith("- [ ]")]
    assert len(items) == 8
    chosen = [items[5], items[7]]
    shortlist.write_text(
        "\n".join(line.replace("- [ ]", "- [x]") if line in chosen else line for line in lines)
    )
    picked = runner.invoke(app, ["pick", WEEK, "--from-file", str(shortlist)])
    assert picked.exit_code == 0, picked.output
    assert "Picked 2 of 8" in picked.output
    result = run_cli()
    assert result.exit_code == 0, result.output
    report = json.loads((Path("out") / WEEK / "run.json").read_text())
    wanted = [item.rsplit("(", 1)[1].rstrip(")") for item in chosen]
    assert sorted(report["highlights"]) == sorted(wanted)
    assert "picked by you" in (Path("out") / WEEK / "issue.md").read_text()


def test_broken_shortlist_line_is_reported_with_its_number(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    world.write_config(Path.cwd())
    run_cli("--pick")
    shortlist = Path("out") / WEEK / "shortlist.md"
    lines = shortlist.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if "(arxiv:2410.05000)" in line)
    shortlist.write_text("\n".join(lines).replace("(arxiv:2410.05000)", "arxiv:2410.05000"))
    result = runner.invoke(app, ["pick", WEEK, "--from-file", str(shortlist)])
    assert result.exit_code == 2
    assert f"shortlist.md:{number}: cannot read this shortlist line" in result.output


def test_status_lists_runs_and_issues(world: World) -> None:
    world.write_config(Path.cwd())
    run_cli()
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["runs"][0]["kind"] == "weekly" and data["runs"][0]["status"] == "done"
    assert data["issues"][0]["id"] == WEEK and data["issues"][0]["highlights"] == 2


def test_status_shows_runs_pending_batch_jobs_and_issues(world: World) -> None:
    from papercast.store.summaries import BatchInfo, SummaryStore

    world.write_config(Path.cwd(), publish={"audio": False})
    assert run_cli().exit_code == 0
    empty = runner.invoke(app, ["status"])
    assert "Pending batch jobs: 0" in empty.output
    with Database(Path(os.environ["PAPERCAST_HOME"]) / "papercast.db") as db:
        store = SummaryStore(db)
        store.save_batch(
            BatchInfo(batch_id="b-wait", model="m-1", status="in_progress", request_count=6)
        )
        store.save_batch(
            BatchInfo(
                batch_id="b-done", model="m-1", status="completed", request_count=2, collected=True
            )
        )
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    run_row = next(line for line in lines if "weekly" in line)
    assert WEEK in run_row and "done" in run_row
    assert "Pending batch jobs: 1" in result.output
    batch_row = next(line for line in lines if "b-wait" in line)
    assert "m-1" in batch_row and "6" in batch_row and "in_progress" in batch_row
    assert "b-done" not in result.output  # collected: no longer pending
    assert "papercast summarize --collect" in result.output
    issue_row = next(line for line in lines if line.strip().startswith(("│ " + WEEK, "┃ " + WEEK)))
    assert "2" in issue_row.split(WEEK, 1)[1]  # two highlights
    data = json.loads(runner.invoke(app, ["status", "--json"]).output)
    assert [b["batch_id"] for b in data["pending_batches"]] == ["b-wait"]


def test_the_api_key_never_reaches_outputs_logs_or_the_store(world: World) -> None:
    # one call at a time, so that the refused call is the week's last summary (a refused key
    # stops the calls not yet made: with calls in flight, how many fail would be a race)
    world.write_config(Path.cwd(), llm={"max_concurrency": 1})
    # an error from the server path, too: the fake's 401 echoes the key it was given
    world.fake.fail_next("401", match="2410.05007")
    result = runner.invoke(app, ["--verbose", "run", "--week", WEEK])
    # one paper's summary refused: the issue is made without it, and the exit code says so
    assert result.exit_code == 3, result.output
    report = json.loads((Path("out") / WEEK / "run.json").read_text())
    assert list(report["failed"]) == ["arxiv:2410.05007"]
    # the run's own log file: named after the week and the run, it says what failed
    log_file = Path(os.environ["PAPERCAST_HOME"]) / "logs" / f"{WEEK}-run1.log"
    assert report["log_file"] == str(log_file)
    logged = log_file.read_text()
    assert "stage summarize" in logged and "stage export" in logged
    assert "failed arxiv:2410.05007: the LLM server at" in logged
    assert f"run {WEEK}: partial (exit code 3)" in logged
    assert SENTINEL_KEY not in result.output
    home = Path(os.environ["PAPERCAST_HOME"])
    for folder in (Path("out"), home):
        for path in folder.rglob("*"):
            if path.is_file():
                assert SENTINEL_KEY.encode() not in path.read_bytes(), path
    assert any(world.fake.calls), "the run should have used the fake server"
    assert any(c.headers.get("authorization") == f"Bearer {SENTINEL_KEY}" for c in world.fake.calls)


def test_the_run_log_file_redacts_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a library or a server puts in a log line, the run's log file shows no secret:
    the configured keys by value, and anything shaped like a key or a bearer token."""
    import logging

    from papercast.config import Settings
    from papercast.layout import Layout
    from papercast.pipeline import run_log

    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    layout = Layout.from_settings(Settings())
    other = logging.getLogger("papercast.some.library")
    with run_log(layout, WEEK, 7) as path:
        other.warning("the server said: Incorrect API key provided: %s.", SENTINEL_KEY)
        other.info("retrying with headers {'Authorization': 'Bearer tok.en-123_abc'}")
        other.info("a key from elsewhere: sk-proj-abcdefghijklmnop")
    other.warning("after the run: %s", SENTINEL_KEY)  # the file is closed to later lines
    assert path == layout.logs_dir / f"{WEEK}-run7.log"
    logged = path.read_text()
    assert "the server said: Incorrect API key provided: ***." in logged
    assert "'Authorization': 'Bearer ***'" in logged and "a key from elsewhere: ***" in logged
    assert SENTINEL_KEY not in logged and "tok.en-123" not in logged and "sk-proj" not in logged
    assert "after the run" not in logged
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def _subprocess_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERCAST_RAISE")}
    env["PAPERCAST_HOME"] = str(home)
    return env


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["/v1/chat/completions", "/v1/audio/speech"])
def test_killed_run_resumes_to_the_same_outputs(world: World, tmp_path: Path, kill_at: str) -> None:
    world.fake.latency = 0.3
    reference_dir, killed_dir = tmp_path / "ref", tmp_path / "killed"
    for folder in (reference_dir, killed_dir):
        folder.mkdir()
        world.write_config(folder, llm={"max_concurrency": 1}, audio={"workers": 1})
    cmd = [sys.executable, "-m", "papercast", "run", "--week", WEEK]
    ref = subprocess.run(
        cmd,
        cwd=reference_dir,
        env=_subprocess_env(tmp_path / "ref-home"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ref.returncode == 0, ref.stderr
    before = len(world.fake.calls_to(kill_at))
    proc = subprocess.Popen(
        cmd,
        cwd=killed_dir,
        env=_subprocess_env(tmp_path / "killed-home"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed_home = tmp_path / "killed-home"

    def some_work_is_kept() -> bool:
        """A segment in the TTS cache, or a summary in the store: done work the rerun reuses."""
        if kill_at == "/v1/audio/speech":
            return any(killed_home.glob("cache/**/*.wav"))
        db = killed_home / "papercast.db"
        if not db.exists():
            return False
        try:
            with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
                return bool(conn.execute("SELECT COUNT(*) FROM summaries").fetchone()[0])
        except sqlite3.Error:  # not created yet
            return False

    deadline = time.monotonic() + 120  # a hang guard only
    while (
        not (len(world.fake.calls_to(kill_at)) >= before + 2 and some_work_is_kept())
        and proc.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before the kill: it did not land mid-run"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    out = killed_dir / "out" / WEEK
    assert not (out / "run.json").exists() and not (out / "episode.mp3").exists()  # mid-run
    summaries_before = len(world.fake.completion_calls)
    speech_before = len(world.fake.calls_to("/v1/audio/speech"))
    rerun = subprocess.run(
        cmd,
        cwd=killed_dir,
        env=_subprocess_env(tmp_path / "killed-home"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    redone = len(world.fake.completion_calls) - summaries_before
    spoken = len(world.fake.calls_to("/v1/audio/speech")) - speech_before
    if kill_at == "/v1/chat/completions":
        assert 0 < redone < 6  # the rest is summarized; what was finished is not paid for again
    else:
        assert redone == 0  # every summary was done before the kill
        assert 0 < spoken < before  # segments spoken before the kill are not spoken again
    assert digest(killed_dir / "out" / WEEK) == digest(reference_dir / "out" / WEEK)
    assert set(digest(killed_dir / "out" / WEEK)) == set(ISSUE_FILES)


def test_interactive_pick_by_keyboard(world: World) -> None:
    world.write_config(Path.cwd())
    assert run_cli("--pick").exit_code == 0  # ranks the week and waits
    result = runner.invoke(app, ["pick", WEEK], input="2 4-5\n4\nnonsense\n\n")
    assert result.exit_code == 0, result.output
    assert "Not understood: nonsense" in result.output
    assert "Picked 2 of 8" in result.output  # 2, 4, 5 starred, then 4 unstarred
    shortlist = (Path("out") / WEEK / "shortlist.md").read_text().splitlines()
    ranked = [line.rsplit("(", 1)[1].rstrip(")") for line in shortlist if line.startswith("- [")]
    final = runner.invoke(app, ["run", "--week", WEEK, "--json"])
    report = json.loads(final.output)
    assert sorted(report["highlights"]) == sorted([ranked[1], ranked[4]])


def test_every_model_call_of_a_run_is_logged_with_its_id_and_counted(world: World) -> None:
    """The relevance pass's calls too (they used to be logged without a run, so run.json left
    them out)."""
    world.write_config(
        Path.cwd(), rank={"llm_top_k": 4, "llm_batch_size": 2}, publish={"audio": False}
    )
    result = run_cli()
    assert result.exit_code == 0, result.output
    report = json.loads((Path("out") / WEEK / "run.json").read_text())
    asked = len(world.fake.calls_to("/v1/chat/completions"))
    assert asked == 6 + 2  # six summaries, two relevance batches of two
    assert sum(report["llm_calls"].values()) == asked
    with Database(Path(os.environ["PAPERCAST_HOME"]) / "papercast.db") as db:
        calls = CallStore(db).calls()
        run_id = RunStore(db).recent(1)[0]["id"]
    assert {c["purpose"] for c in calls} == {"summary", "relevance"}
    assert {c["run_id"] for c in calls} == {run_id}


def test_the_commands_export_where_the_weekly_run_does(world: World) -> None:
    """`papercast feed` and `papercast site` write the same files, in the same places, as the
    weekly run's exports: they share one exporter."""
    world.write_config(Path.cwd(), publish={"out_dir": "out", "site_dir": "site"})
    result = run_cli()
    assert result.exit_code == 0, result.output
    made = {p: p.read_bytes() for p in (Path("out/feed.xml"), Path("out") / WEEK / "feed.xml")}
    made.update({p: p.read_bytes() for p in Path("site").rglob("*") if p.is_file()})
    assert Path("site/index.html") in made and Path(f"site/{WEEK}/episode.mp3") in made
    for path in made:
        path.unlink()
    assert runner.invoke(app, ["feed"]).exit_code == 0
    assert runner.invoke(app, ["site"]).exit_code == 0
    again = {p: p.read_bytes() for p in made if p.is_file()}
    assert again == made
