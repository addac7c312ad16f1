"""Weekly runs in the background, with their progress as a list of events to follow.

``papercast serve`` starts the run from the reader's picks here ("Build the issue") and
streams the events to the page; the run itself is ``pipeline.run_week``, under the same home
lock as ``papercast run``, so a run started by cron and one started from the app never overlap.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from papercast.config import Settings
from papercast.errors import LockedError, PapercastError
from papercast.layout import Layout
from papercast.pipeline import STAGES, RunReport, lock_holder, run_week

log = logging.getLogger(__name__)

JobKind = Literal["build", "prepare"]
JobStatus = Literal["running", "finished", "failed"]


@dataclass(frozen=True)
class JobEvent:
    n: int
    stage: str
    message: str


@dataclass
class RunJob:
    """One background run: its events so far, and its report once it is over."""

    id: str
    kind: JobKind
    issue_id: str
    status: JobStatus = "running"
    events: list[JobEvent] = field(default_factory=list)
    report: RunReport | None = None
    error: str | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def add(self, stage: str, message: str) -> None:
        with self._changed:
            self.events.append(JobEvent(len(self.events), stage, message))
            self._changed.notify_all()

    def finish(self, status: JobStatus, report: RunReport | None, error: str | None) -> None:
        with self._changed:
            self.status, self.report, self.error = status, report, error
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Block until there are more than ``seen`` events or the job is over (or timeout)."""
        with self._changed:
            return self._changed.wait_for(
                lambda: len(self.events) > seen or self.status != "running", timeout
            )

    @property
    def stages_done(self) -> int:
        """Stages finished (a resumed run skips some: an ended run counts them all)."""
        if self.status != "running":
            return len(STAGES)
        started = {e.stage for e in self.events if e.stage in STAGES}
        return max(0, len(started) - 1)

    @property
    def stage_count(self) -> int:
        return len(STAGES)


RunFunction = Callable[..., RunReport]


class JobRunner:
    """At most one background run at a time; every job is kept (by id) for its page."""

    def __init__(self, settings: Settings, layout: Layout, run: RunFunction = run_week) -> None:
        self.settings = settings
        self.layout = layout
        self._run = run
        self._jobs: dict[str, RunJob] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.fulltext_only: set[str] | None = None

    def get(self, job_id: str) -> RunJob | None:
        return self._jobs.get(job_id)

    def running(self) -> RunJob | None:
        return next((j for j in self._jobs.values() if j.status == "running"), None)

    def lock_held(self) -> bool:
        """True when a run (this app's, or `papercast run`) holds the home's run lock."""
        return self.running() is not None or lock_holder(self.layout)

    def start(self, kind: JobKind, issue_id: str) -> RunJob:
        """Start building (or, for "prepare", fetching and ranking) ``issue_id``.

        A LockedError when a run is already going on, here or anywhere on this home.
        """
        with self._lock:
            if self.lock_held():
                raise LockedError(
                    f"another papercast run is already working in {self.layout.home}",
                    "wait for it to finish; this page shows the result when it does",
                )
            job = RunJob(id=secrets.token_urlsafe(9), kind=kind, issue_id=issue_id)
            self._jobs[job.id] = job
            thread = threading.Thread(
                target=self._work, args=(job,), name=f"papercast-{kind}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        return job

    def _work(self, job: RunJob) -> None:
        stop_for_picks = _stop_for_picks if job.kind == "prepare" else None
        try:
            report = self._run(
                self.settings,
                self.layout,
                week=job.issue_id,
                picker=stop_for_picks,
                events=job.add,
                fulltext_only=self.fulltext_only,
            )
        except LockedError as exc:
            job.finish("failed", None, str(exc))
        except PapercastError as exc:
            job.finish("failed", None, str(exc))
        except Exception as exc:  # the app stays up; the page says what happened
            log.exception("background run of %s failed", job.issue_id)
            job.finish("failed", None, f"{type(exc).__name__}: {exc}")
        else:
            job.finish("failed" if report.status == "failed" else "finished", report, report.error)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the background runs (the server's shutdown)."""
        for thread in list(self._threads):
            thread.join(timeout)


def _stop_for_picks(issue_id: str, ranked: object, papers: object) -> list[str] | None:
    """The picker of a "prepare" run: rank, then stop for the reader to pick in the app."""
    return None
