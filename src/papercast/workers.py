"""Worker processes that never outlive their parent, and a guard for other child processes.

``WorkerPool`` runs a function in N child Python processes (``papercast.workers.serve``),
talking to each over its stdin/stdout pipes: length-prefixed pickles, one job at a time.

- **No orphans**: a worker reads its stdin in a thread; end of file means the parent has gone
  (exited, crashed, or was killed with SIGKILL: the kernel closes its end of the pipe), and the
  worker exits at once, even in the middle of a job. On Linux it also asks the kernel to kill
  it when its parent dies (``PR_SET_PDEATHSIG``).
- **No resource tracker**: unlike ``multiprocessing``, nothing here creates named semaphores or
  shared memory, so no tracker process is started that could linger.
- **Stops at once**: workers ignore SIGINT (a terminal's Ctrl-C reaches the whole process
  group); the parent decides, and closing the pool kills workers that are still busy.
- A worker that dies (out of memory, a crash in native code) loses only its current job: the
  pool reports that job as lost (``Lost``) and the other workers take the rest; a job that
  raises is reported the same way.

``die_with_parent`` is the same guard for the other children papercast starts (ffmpeg): pass it
as ``preexec_fn`` on Linux.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">Q")
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Lost:
    """A job whose worker died before answering."""

    reason: str


def _write_frame(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_frame(stream: IO[bytes]) -> tuple[bool, Any]:
    """(True, value), or (False, None) at end of file."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return False, None
    data = _read_exactly(stream, _HEADER.unpack(header)[0])
    if data is None:
        return False, None
    return True, pickle.loads(data)  # noqa: S301  (our own child process's answer)


def _prctl() -> Callable[[int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function: Callable[[int, int], int] = libc.prctl
    except (OSError, AttributeError):
        return None
    return function


_PRCTL = _prctl()


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux; elsewhere nothing).

    Meant for ``subprocess.Popen(preexec_fn=die_with_parent)`` and for worker processes.
    """
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def child_guard() -> Callable[[], None] | None:
    """``preexec_fn`` for a child that must not outlive papercast (None where unsupported)."""
    return die_with_parent if _PRCTL is not None else None


def resolve(target: str) -> Callable[..., Any]:
    """'package.module:function' -> the function."""
    module, _, name = target.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


class WorkerPool:
    """``size`` worker processes calling ``target(setup, *args)`` for each job."""

    def __init__(self, target: str, setup: object, size: int) -> None:
        self.target = target
        self.setup = setup
        self.size = size
        self._procs: list[subprocess.Popen[bytes]] = []
        self._threads: list[threading.Thread] = []
        self._closed = False

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> subprocess.Popen[bytes]:
        # This papercast, wherever it is installed; appended, so it shadows nothing.
        root = str(Path(__file__).resolve().parent.parent)
        bootstrap = (
            "import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
            f"sys.path.append({root!r}); import papercast.workers as w; w.serve()"
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", bootstrap], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert proc.stdin is not None
        try:
            _write_frame(proc.stdin, (self.target, self.setup, os.getpid()))
        except OSError:
            proc.kill()  # it died at once, or cannot be told what to do: not one to keep
            proc.wait()
            raise
        return proc

    def map_unordered(self, jobs: Sequence[tuple[int, tuple[Any, ...]]]) -> Iterator[Any]:
        """Yield ``(key, result)`` for every ``(key, args)`` job as it finishes, or
        ``(key, Lost)`` for a job whose worker died or raised. Closing the iterator stops
        the workers at once (a busy one is killed).
        """
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        pending: queue.SimpleQueue[tuple[int, tuple[Any, ...]]] = queue.SimpleQueue()
        for job in jobs:
            pending.put(job)
        results: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
        for _ in range(min(self.size, len(jobs))):
            try:
                proc = self._start()
            except OSError as exc:
                log.warning("cannot start a worker process: %s", exc)
                break
            self._procs.append(proc)
            thread = threading.Thread(
                target=self._drive, args=(proc, pending, results), daemon=True
            )
            thread.start()
            self._threads.append(thread)
        try:
            yield from self._collect(len(jobs), pending, results)
        finally:
            self.close()

    def _collect(
        self,
        count: int,
        pending: queue.SimpleQueue[tuple[int, tuple[Any, ...]]],
        results: queue.SimpleQueue[tuple[int, Any]],
    ) -> Iterator[tuple[int, Any]]:
        while count:
            try:
                # a short timeout keeps Ctrl-C (and SIGTERM) prompt in the waiting thread
                item = results.get(timeout=0.2)
            except queue.Empty:
                if any(t.is_alive() for t in self._threads) or not results.empty():
                    continue
                # every worker is gone: what is still pending will never be answered
                while not pending.empty():
                    key, _args = pending.get()
                    results.put((key, Lost("no worker process is left")))
                continue
            count -= 1
            yield item

    @staticmethod
    def _drive(
        proc: subprocess.Popen[bytes],
        pending: queue.SimpleQueue[tuple[int, tuple[Any, ...]]],
        results: queue.SimpleQueue[tuple[int, Any]],
    ) -> None:
        """Feed one worker a job at a time until there are none left or it dies."""
        assert proc.stdin is not None and proc.stdout is not None
        while True:
            try:
                key, args = pending.get_nowait()
            except queue.Empty:
                return
            try:
                _write_frame(proc.stdin, (key, args))
                ok, answer = _read_frame(proc.stdout)
            except (OSError, ValueError, pickle.UnpicklingError):
                ok, answer = False, None
            if not ok:
                results.put((key, Lost(f"the worker process ended ({_how_it_ended(proc)})")))
                return
            results.put(answer)

    def close(self) -> None:
        """Stop every worker now (a busy one is killed) and wait for them to be gone."""
        self._closed = True
        for proc in self._procs:
            if proc.poll() is None:
                with contextlib.suppress(OSError):
                    proc.kill()
        for proc in self._procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._procs.clear()
        self._threads.clear()


def _how_it_ended(proc: subprocess.Popen[bytes]) -> str:
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    code = proc.returncode
    if code is None:
        return "it closed its output"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit {code}"


# --- the worker side -------------------------------------------------------------------------


def _exit_when_parent_goes(stream: IO[bytes], jobs: queue.SimpleQueue[Any]) -> None:
    """Read jobs; at end of file (the parent exited or died) end this process at once."""
    while True:
        try:
            ok, job = _read_frame(stream)
        except Exception:  # a broken pipe or frame: the parent is gone all the same
            ok = False
        if not ok:
            os._exit(0)
        jobs.put(job)


def serve() -> None:
    """A worker's main loop: jobs from stdin, answers to stdout, until stdin ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us; Ctrl-C is its call
    stdin = sys.stdin.buffer
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not break frames
    ok, first = _read_frame(stdin)
    if not ok:
        return
    target, setup, parent = first
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the guard was set
        os._exit(0)
    function = resolve(target)
    jobs: queue.SimpleQueue[tuple[int, tuple[Any, ...]]] = queue.SimpleQueue()
    threading.Thread(target=_exit_when_parent_goes, args=(stdin, jobs), daemon=True).start()
    while True:
        key, args = jobs.get()
        try:
            answer = function(setup, *args)
        except Exception as exc:  # reported as that job's failure; the worker goes on
            answer = Lost(f"{type(exc).__name__}: {exc}")
        _write_frame(out, (key, answer))
