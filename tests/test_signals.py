"""A run stopped during the audio stage leaves no process behind, and the rerun finishes it
(issue 12, item 2).

``papercast run`` runs in a subprocess (its own session) on a fixture week read aloud by Piper
with two worker processes. Once the workers are synthesizing (the run's log says so, a first
segment is in the cache and both workers are alive), the run gets SIGINT (to its process
group, as a terminal's Ctrl-C does), SIGTERM (to the run alone, as `timeout` or a cron/systemd
stop does) or SIGKILL. Every process ever seen in the run's session or below it is tracked
through /proc; the test asserts:

- Ctrl-C and SIGTERM: the run exits within 5 s of the signal with one line saying it was
  stopped and the documented exit code (130, 143);
- every one of its processes has exited within 10 s of the signal (SIGKILL included: the
  workers notice their parent's death themselves);
- the rerun exits 0 with the episode, taking the segments made before the stop from the cache.

The time since the signal is measured, not slept: the polls only guard against hangs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from papercast.sample.server import FixtureServer
from support.fake_openai import FakeOpenAI
from support.pipeline_world import World, week_entries
from support.procs import Proc, Tracker, default_sigint

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="tracks processes through /proc (Linux)"
)

WEEK = "2024-W41"
CMD = [sys.executable, "-m", "papercast", "run", "--week", WEEK]
EXIT_WITHIN = 5.0  # seconds from Ctrl-C/SIGTERM to the run's exit (the issue's bound)
GONE_WITHIN = 10.0  # seconds from any signal until no process of the run is left
HANG_GUARD = 120.0


@pytest.fixture
def world() -> Iterator[World]:
    with FixtureServer() as server, FakeOpenAI() as fake:
        w = World(server=server, fake=fake, entries=week_entries(6, server.url("/pdf/")))
        w.serve_arxiv()
        yield w


def configure(world: World, folder: Path) -> None:
    folder.mkdir()
    world.write_config(
        folder,
        llm={"backend": "extractive", "fulltext": False},
        issue={"highlights": 2, "noteworthy": 2},
        audio={"engine": "piper", "workers": 2},
    )


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERCAST_RAISE")}
    env["PAPERCAST_HOME"] = str(home)
    return env


def cached_segments(home: Path) -> int:
    return sum(1 for _ in (home / "cache" / "tts").rglob("*.wav"))


def synthesizing(home: Path) -> bool:
    return any("synthesizing" in p.read_text() for p in (home / "logs").glob("*.log"))


def wait_for_workers(proc: subprocess.Popen[bytes], home: Path, tracker: Tracker) -> list[Proc]:
    """Block until Piper's workers are busy: the log says so, one segment is done, both live."""
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before its audio stage could be interrupted"
        workers = [p for p in tracker.children() if "python" in p.cmdline]
        if len(workers) >= 2 and synthesizing(home) and cached_segments(home) >= 1:
            return workers
        time.sleep(0.05)
    raise AssertionError("the run never reached its audio stage with two workers")


def wait_until_gone(tracker: Tracker, since: float) -> tuple[float, list[str]]:
    """Seconds from ``since`` until no tracked process runs, and those still running at the
    bound if any were (a hang guard bounds the wait)."""
    late: list[str] = []
    while time.monotonic() - since < HANG_GUARD:
        alive = tracker.survivors()
        elapsed = time.monotonic() - since
        if not alive:
            return elapsed, late
        if elapsed > GONE_WITHIN and not late:
            late = [f"{p.pid} {p.state} {p.cmdline[:70]}" for p in alive]
        time.sleep(0.05)
    raise AssertionError(f"processes still alive {HANG_GUARD:.0f} s after the signal: {late}")


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGKILL, -signal.SIGKILL)],
    ids=["ctrl-c", "sigterm", "sigkill"],
)
def test_a_stopped_run_leaves_no_process_and_the_rerun_finishes(
    world: World, tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    folder, home = tmp_path / "run", tmp_path / "home"
    configure(world, folder)
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            CMD,
            cwd=folder,
            env=env_for(home),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own session and group: tracked, and Ctrl-C-able
            preexec_fn=default_sigint,
        )
    tracker = Tracker(proc.pid)
    try:
        wait_for_workers(proc, home, tracker)
        done_before = cached_segments(home)
        signalled = time.monotonic()
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)  # what a terminal's Ctrl-C does: the whole group
        else:
            proc.send_signal(signum)
        returncode = proc.wait(timeout=HANG_GUARD)
        exited_after = time.monotonic() - signalled
        gone_after, late = wait_until_gone(tracker, signalled)
    finally:
        tracker.kill_all()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    figures = f"{signum.name}: exited after {exited_after:.2f} s, all gone after {gone_after:.2f} s"
    print("\n" + figures)
    assert gone_after <= GONE_WITHIN, f"{figures}; alive at {GONE_WITHIN:.0f} s: {late}"
    assert returncode == code
    if signum != signal.SIGKILL:
        assert exited_after <= EXIT_WITHIN, f"the run took {exited_after:.1f} s to stop"
        lines = [line for line in stderr_path.read_text().splitlines() if line.strip()]
        assert len(lines) == 1, lines
        assert "rerun to continue where it stopped" in lines[0]
    assert not (folder / "out" / WEEK / "episode.mp3").exists()

    rerun = subprocess.run(
        CMD, cwd=folder, env=env_for(home), capture_output=True, text=True, timeout=600
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    report = json.loads((folder / "out" / WEEK / "run.json").read_text())
    assert report["audio_seconds"] > 10
    assert report["tts_cached"] >= done_before >= 1  # what was spoken before is not redone
    assert (folder / "out" / WEEK / "episode.mp3").stat().st_size > 10_000
