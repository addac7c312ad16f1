"""Every process a command started, read from /proc (Linux): for tests that no child outlives it.

A process is tracked if it is in the command's session (the command is started with
``start_new_session=True``, so its session id is its pid; orphans keep it after their parent
dies) or descends from the command by parent pid (in case a child starts its own session).
A pid is identified with its start time, so a reused pid is never mistaken for a survivor.
"""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


def default_sigint() -> None:
    """``preexec_fn``: SIGINT as in a terminal. A test runner (pytest-xdist's workers) may
    ignore SIGINT, and an ignored signal stays ignored in the programs it starts."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    session: int
    state: str
    start: int  # clock ticks after boot: with the pid, a unique identity
    cmdline: str

    @property
    def running(self) -> bool:
        return self.state not in ("Z", "X")  # a zombie has exited; only its entry is left


def read(pid: int) -> Proc | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    rest = stat[stat.rindex(")") + 2 :].split()
    return Proc(
        pid=pid,
        ppid=int(rest[1]),
        session=int(rest[3]),
        state=rest[0],
        start=int(rest[19]),
        cmdline=raw.replace(b"\0", b" ").decode("utf-8", "replace").strip(),
    )


def everyone() -> dict[int, Proc]:
    found = {}
    for entry in os.scandir(PROC):
        if entry.name.isdigit():
            proc = read(int(entry.name))
            if proc is not None:
                found[proc.pid] = proc
    return found


@dataclass
class Tracker:
    """Remembers every process seen in ``root``'s session or below it."""

    root: int
    seen: dict[tuple[int, int], Proc] = field(default_factory=dict)

    def scan(self) -> list[Proc]:
        """The tracked processes alive now (the root included), remembering new ones."""
        table = everyone()
        mine = {pid for pid, p in table.items() if p.session == self.root or pid == self.root}
        grew = True
        while grew:  # children of tracked processes, whatever their session
            more = {pid for pid, p in table.items() if p.ppid in mine and pid not in mine}
            mine |= more
            grew = bool(more)
        alive = [table[pid] for pid in mine if table[pid].running]
        for proc in alive:
            self.seen.setdefault((proc.pid, proc.start), proc)
        return alive

    def children(self) -> list[Proc]:
        """Tracked processes other than the root that are running now."""
        return [p for p in self.scan() if p.pid != self.root]

    def survivors(self) -> list[Proc]:
        """Every process ever seen here (the root included) that is still running."""
        self.scan()
        left = []
        for (pid, start), proc in self.seen.items():
            now = read(pid)
            if now is not None and now.start == start and now.running:
                left.append(proc)
        return left

    def kill_all(self) -> None:
        """Clean up after a failed test: nothing it started may keep running."""
        for proc in self.survivors():
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, 9)
