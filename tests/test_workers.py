"""papercast.workers: worker processes that answer every job or say it was lost, and that
never outlive their parent (issue 12, item 2). The Piper end-to-end version is
tests/test_signals.py; these use standard-library functions as jobs, so they are quick."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from papercast.workers import Lost, WorkerPool
from support.procs import Tracker, default_sigint

LINUX = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="tracks processes through /proc (Linux)"
)


def test_every_job_is_answered_by_the_workers() -> None:
    with WorkerPool("operator:add", 100, size=2) as pool:
        answers = dict(pool.map_unordered([(i, (i,)) for i in range(20)]))
    assert answers == {i: 100 + i for i in range(20)}


def test_a_job_that_raises_is_lost_with_its_reason_and_the_rest_go_on() -> None:
    with WorkerPool("operator:truediv", 1, size=2) as pool:
        answers = dict(pool.map_unordered([(0, (0,)), (1, (4,)), (2, (2,))]))
    assert answers[1] == 0.25 and answers[2] == 0.5
    assert isinstance(answers[0], Lost) and "ZeroDivisionError" in answers[0].reason


def test_a_dying_worker_loses_only_its_job_and_the_pool_reports_every_job() -> None:
    # os._exit(setup) ends the worker at once: each job kills the worker that takes it
    with WorkerPool("os:_exit", 7, size=2) as pool:
        answers = dict(pool.map_unordered([(i, ()) for i in range(5)]))
    assert sorted(answers) == [0, 1, 2, 3, 4]
    assert all(isinstance(a, Lost) for a in answers.values())
    assert any("exit 7" in a.reason for a in answers.values())


PARENT = textwrap.dedent(
    """
    import sys
    from papercast.workers import WorkerPool

    pool = WorkerPool("support.worker_jobs:mark_and_sleep", sys.argv[1], size=2)
    next(pool.map_unordered([(0, (0,)), (1, (1,)), (2, (2,))]))  # waits until it is stopped
    """
)


def _start_parent(tmp_path: Path) -> tuple[subprocess.Popen[str], Tracker]:
    """A parent whose two workers are both inside a 10-minute job."""
    script, busy = tmp_path / "parent.py", tmp_path / "busy"
    script.write_text(PARENT)
    busy.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}  # for support.worker_jobs
    proc = subprocess.Popen(
        [sys.executable, str(script), str(busy)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=default_sigint,
    )
    tracker = Tracker(proc.pid)
    deadline = time.monotonic() + 60
    while len(list(busy.iterdir())) < 2:
        tracker.scan()
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the workers never started their jobs"
        time.sleep(0.02)
    tracker.scan()
    return proc, tracker


def _seconds_until_gone(tracker: Tracker, since: float) -> float:
    while tracker.survivors():
        assert time.monotonic() - since < 60, [p.cmdline for p in tracker.survivors()]
        time.sleep(0.02)
    return time.monotonic() - since


@LINUX
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_workers_exit_when_their_parent_is_killed_mid_job(
    tmp_path: Path, signum: signal.Signals
) -> None:
    proc, tracker = _start_parent(tmp_path)
    try:
        assert len(tracker.seen) == 3  # the parent and two workers, nothing else
        killed = time.monotonic()
        proc.send_signal(signum)  # the parent alone: no handler, no cleanup of its own
        proc.wait(timeout=60)
        assert _seconds_until_gone(tracker, killed) <= 10
    finally:
        tracker.kill_all()
        proc.kill()
        proc.wait()


@LINUX
def test_ctrl_c_reaches_only_the_parent_which_stops_its_workers(tmp_path: Path) -> None:
    proc, tracker = _start_parent(tmp_path)
    try:
        stopped = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # the whole group, as a terminal does
        proc.wait(timeout=60)
        assert _seconds_until_gone(tracker, stopped) <= 5
        _out, err = proc.communicate()
        assert "KeyboardInterrupt" in err  # the parent was interrupted...
        # ...and no worker printed a traceback of its own (theirs start in `python -c` code)
        assert 'File "<string>"' not in err and "in serve" not in err, err
    finally:
        tracker.kill_all()
        proc.kill()
        proc.wait()
