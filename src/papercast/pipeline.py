"""The weekly run: fetch → rank → (pick) → summarize → assemble → audio → render → export.

- **Locked**: one run per PAPERCAST_HOME at a time (an OS file lock, released even on kill -9).
- **Idempotent**: the week's selection is frozen in the store once ranked; a rerun rebuilds the
  same issue from it, with summaries and speech from their caches (no LLM or TTS calls) and
  byte-identical files.
- **Resumable**: every stage's work is kept as it is done (papers per transaction, summaries per
  paper, speech per segment), so a killed run's rerun finishes without redoing it.
- Reports what happened and why: counts per stage, cost, warnings, time per stage, run.json.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, Field

from papercast.config import Settings, derive
from papercast.details import paper_details
from papercast.errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    InputError,
    LockedError,
    PapercastError,
    StorageError,
    failure_reason,
)
from papercast.fetch import fetch_window
from papercast.layout import (
    PRIVATE_FILE,
    Layout,
    atomic_write_text,
    cached_fulltext,
    create_private_file,
    make_private_dir,
)
from papercast.logs import RedactingFilter, RunLogHandler
from papercast.models import (
    ChannelDelivery,
    DateWindow,
    Issue,
    IssueEntry,
    Paper,
    PaperDetails,
    SourceReport,
    SummaryRecord,
    Usage,
)
from papercast.store import Database, PaperStore, RunStore
from papercast.store.calls import CallStore
from papercast.store.weekly import RankedRef, WeeklyState, WeeklyStore
from papercast.window import check_begun, last_complete_week, parse_week, unfinished

if TYPE_CHECKING:
    from papercast.audio.dialogue import DialogueEstimate
    from papercast.summarize import SummarizeRequest

log = logging.getLogger(__name__)

Status = Literal["done", "partial", "failed", "empty", "dry-run", "waiting-for-picks"]
Events = Callable[[str, str], None]
Picker = Callable[[str, list[RankedRef], list[Paper]], list[str] | None]


class StageTime(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: str
    seconds: float


class RunReport(BaseModel):
    """Everything a weekly run did, for the terminal table and run.json."""

    model_config = ConfigDict(extra="forbid")

    issue_id: str
    window: DateWindow
    status: Status = "done"
    exit_code: int = EXIT_OK
    resumed: bool = Field(default=False, description="the selection came from an earlier run")
    sources: list[SourceReport] = Field(default_factory=list)
    zotero: str | None = Field(default=None, description="what the Zotero sync did")
    nothing_new: str | None = None
    error: str | None = None
    candidates: int = 0
    chosen: int = 0
    dropped: int = 0
    highlights: list[str] = Field(default_factory=list)
    noteworthy: int = 0
    summarized: int = 0
    from_cache: int = 0
    failed: dict[str, str] = Field(default_factory=dict)
    backend: str = ""
    model: str = ""
    usage: Usage = Field(default_factory=Usage)
    llm_calls: dict[str, int] = Field(
        default_factory=dict,
        description="this run's model calls by outcome (ok, invalid, rate_limited, timeout...); "
        "the SDK's HTTP retries happen inside a call",
    )
    estimated_cost_usd: float | None = Field(
        default=None, description="--dry-run: what the run would cost (summaries and dialogue)"
    )
    estimated_dialogue: dict[str, Any] | None = Field(
        default=None,
        description='--dry-run with [audio] style = "dialogue": the script\'s LLM requests, '
        "tokens and cost (segments already written count zero)",
    )
    audio_duration: str | None = None
    audio_seconds: float | None = None
    tts_synthesized: int = 0
    tts_cached: int = 0
    audio_style: str | None = Field(
        default=None, description="narration or dialogue: how the episode was made"
    )
    dialogue: dict[str, Any] | None = Field(
        default=None,
        description="a dialogue episode: planned vs actual minutes, papers narrated instead "
        "and why, the speaking rate used, LLM requests",
    )
    outputs: list[str] = Field(default_factory=list)
    preview: list[RankedRef] = Field(
        default_factory=list, description="--dry-run: the papers that would be summarized"
    )
    warnings: list[str] = Field(default_factory=list)
    channels: list[ChannelDelivery] = Field(
        default_factory=list, description="[notify] channels: what each got (or why not)"
    )
    stages: list[StageTime] = Field(default_factory=list)
    log_file: str | None = None


@contextmanager
def run_lock(layout: Layout) -> Iterator[None]:
    """Hold the home's run lock, or fail at once if another run holds it."""
    make_private_dir(layout.home)
    lock = FileLock(str(layout.lock_path), mode=PRIVATE_FILE)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise LockedError(
            f"another papercast run is already working in {layout.home}",
            "wait for it to finish (the lock is released when it exits, even if it is killed)",
        ) from None
    try:
        yield
    finally:
        lock.release()


def lock_holder(layout: Layout) -> bool:
    """True when a run holds the home's run lock right now (nothing is left locked)."""
    if not layout.lock_path.exists():
        return False
    lock = FileLock(str(layout.lock_path), mode=PRIVATE_FILE)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


@contextmanager
def run_log(layout: Layout, issue_id: str, run_id: int) -> Iterator[Path]:
    """Also log this run to PAPERCAST_HOME/logs/<issue>-run<id>.log, secrets redacted."""
    make_private_dir(layout.logs_dir)
    path = layout.logs_dir / f"{issue_id}-run{run_id}.log"
    with contextlib.suppress(OSError):  # no room even for an empty file: no log, no failure
        create_private_file(path)
    handler = RunLogHandler(path)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        handler.close()


class _Clock:
    def __init__(self, report: RunReport, events: Events | None) -> None:
        self.report = report
        self.events = events

    @contextmanager
    def stage(self, name: str, message: str) -> Iterator[None]:
        if self.events:
            self.events(name, message)
        log.info("stage %s: %s", name, message)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.report.stages.append(
                StageTime(stage=name, seconds=round(time.perf_counter() - start, 3))
            )


def _log_outcome(report: RunReport) -> None:
    """What the terminal's report says went wrong, in the run's log file too (INFO: the
    terminal shows it once, in the report)."""
    for paper_id, reason in report.failed.items():
        log.info("failed %s: %s", paper_id, reason)
    for warning in report.warnings:
        log.info("warning: %s", warning)
    log.info("run %s: %s (exit code %d)", report.issue_id, report.status, report.exit_code)


def resolve_week(week: str | None, today: date | None = None) -> DateWindow:
    return parse_week(week) if week else last_complete_week(today or date.today())


@dataclass
class RunOptions:
    """How to run a week (the CLI's flags)."""

    dry_run: bool = False
    refetch: bool = False
    picker: Picker | None = None
    events: Events | None = None
    fulltext_only: set[str] | None = None  # full text only for these ids (the sample's PDFs)
    force: bool = False  # the current week, before it is over


def run_week(
    settings: Settings,
    layout: Layout,
    *,
    week: str | None = None,
    today: date | None = None,
    dry_run: bool = False,
    refetch: bool = False,
    picker: Picker | None = None,
    events: Events | None = None,
    fulltext_only: set[str] | None = None,
    force: bool = False,
) -> RunReport:
    """Produce (or finish, or reproduce) the issue for ``week``; never raises for one bad paper.

    A week that has not begun is refused; the week going on now needs ``force`` (its issue
    would miss the rest of the week's papers), except for a dry run, which freezes nothing.
    """
    today = today or date.today()
    window = resolve_week(week, today)
    check_begun(window, today)
    early = unfinished(window, today)
    if early and not (force or dry_run):
        raise InputError(
            f"{window.label} is not over yet (it ends on {window.until}): an issue made now "
            "would miss the rest of its papers",
            "run it after the week (or leave out --week for the last complete week), or add "
            "--force to make an issue of what is out so far",
        )
    options = RunOptions(dry_run, refetch, picker, events, fulltext_only)
    layout.ensure()
    with run_lock(layout), Database(layout.db_path) as db:
        runs = RunStore(db)
        run_id = runs.start("weekly", window.label)
        report = RunReport(issue_id=window.label, window=window)
        if early:
            report.warnings.append(_unfinished_warning(window, today, dry_run))
        with run_log(layout, window.label, run_id) as log_path:
            report.log_file = str(log_path)
            run = _Run(settings, layout, db, report, run_id, _Clock(report, events))
            try:
                run.execute(options)
            except PapercastError as exc:
                report.status, report.exit_code, report.error = "failed", exc.exit_code, str(exc)
                log.error("run failed: %s", exc)
            except BaseException as exc:
                report.status, report.exit_code = "failed", EXIT_FAILED
                report.error = f"{type(exc).__name__}: {exc}"
                stopped = isinstance(exc, KeyboardInterrupt)  # Ctrl-C or SIGTERM
                runs.finish(
                    run_id, "interrupted" if stopped else "failed", report.model_dump(mode="json")
                )
                raise
            _log_outcome(report)
        if report.status in ("done", "partial") or report.highlights:  # an issue was made
            try:
                write_run_json(layout, report)
            except StorageError as exc:  # a full out dir: the report still reaches the terminal
                log.warning("run.json was not written: %s", exc.message)
                report.outputs = [o for o in report.outputs if Path(o).name != "run.json"]
        runs.finish(run_id, report.status, report.model_dump(mode="json"))
    return report


@dataclass
class _Run:
    """One weekly run's context; each method is a stage and records what it did."""

    settings: Settings
    layout: Layout
    db: Database
    report: RunReport
    run_id: int
    clock: _Clock

    def execute(self, options: RunOptions) -> None:
        report = self.report
        weekly = WeeklyStore(self.db)
        state = None if options.refetch else weekly.get(report.issue_id)
        if state is not None:
            report.resumed = True
            papers = _load_papers(self.db, state)
        else:
            fetched = self.fetch()
            if fetched is None:
                return
            state, papers = fetched
        report.candidates = len(state.ranked)
        if options.picker is not None and not self.pick(state, papers, options.picker):
            state.stage = "waiting-for-picks"
            weekly.save(state)
            report.status = "waiting-for-picks"
            return
        chosen_refs, dropped = _choose(self.settings, state)
        report.chosen, report.dropped = len(chosen_refs), dropped
        by_id = {p.id: p for p in papers}
        chosen = [by_id[r.id] for r in chosen_refs if r.id in by_id]
        fulltext_ids = _fulltext_ids(self.settings, chosen_refs)
        if options.fulltext_only is not None:
            fulltext_ids &= options.fulltext_only
        if options.dry_run:
            report.preview = chosen_refs
            self.estimate(chosen, fulltext_ids, chosen_refs, state)
            report.status = "dry-run"
            return
        weekly.save(state)
        records = self.summarize(chosen, fulltext_ids)
        entries = [
            IssueEntry(
                paper=by_id[r.id], score=r.score, why=_why(r), details=self.details(by_id[r.id])
            )
            for r in chosen_refs
            if r.id in by_id
        ]
        issue = self.assemble(entries, records, state)
        out_dir = self.layout.issue_dir(issue.id)
        issue = self.audio(issue, out_dir)
        self.publish(issue, out_dir)
        PaperStore(self.db).mark_seen([r.id for r in state.ranked], report.issue_id)
        weekly.set_stage(report.issue_id, "done")
        if report.status == "done" and (report.failed or report.exit_code == EXIT_PARTIAL):
            report.status, report.exit_code = "partial", EXIT_PARTIAL

    def request(
        self,
        papers: list[Paper],
        fulltext_ids: set[str],
        on_progress: Callable[[str], None] | None = None,
    ) -> SummarizeRequest:
        from papercast.summarize import SummarizeRequest

        return SummarizeRequest(
            papers,
            self.settings,
            self.db,
            self.layout,
            fulltext_ids=fulltext_ids,
            run_id=self.run_id,
            on_progress=on_progress,
        )

    def _partial(self, warning: str) -> None:
        self.report.warnings.append(warning)
        self.report.exit_code, self.report.status = EXIT_PARTIAL, "partial"

    def fetch(self) -> tuple[WeeklyState, list[Paper]] | None:
        """Fetch and rank; None when there is nothing to make an issue of (the report says why)."""
        report = self.report
        if self.settings.zotero.configured:
            self.sync_zotero()
        with self.clock.stage("fetch", f"fetching {report.window.label}"):
            fetched = fetch_window(
                report.window, settings=self.settings, db=self.db, run_id=self.run_id
            )
        report.sources = fetched.sources
        if fetched.sources and all(s.error for s in fetched.sources):
            report.status, report.exit_code = "failed", EXIT_FAILED
            report.error = "every source failed: " + "; ".join(
                f"{s.source}: {s.error}" for s in fetched.sources
            )
            return None
        if any(s.error for s in fetched.sources):
            report.exit_code = EXIT_PARTIAL  # the others go on; the report names the source
        if not fetched.paper_ids:
            report.status = "empty"
            report.nothing_new = _nothing_new(fetched.sources)
            return None
        papers = PaperStore(self.db).get_many(fetched.paper_ids)
        with self.clock.stage("rank", f"ranking {len(papers)} candidates"):
            state = _rank(self.settings, self.db, self.run_id, report.window, papers)
        return state, papers

    def sync_zotero(self) -> None:
        """Bring the history up to date with the reader's Zotero library; a failure is only a
        warning (the ranking uses what was synced before)."""
        from papercast.history.zotero import sync_zotero

        try:
            with self.clock.stage("zotero", "syncing your Zotero library"):
                synced = sync_zotero(self.settings, self.db)
        except Exception as exc:
            self.report.warnings.append(
                f"Zotero sync failed, ranking with the history synced before: "
                f"{failure_reason(exc, log)}"
            )
            return
        self.report.zotero = (
            f"{synced.library} version {synced.version}: {synced.added} added, "
            f"{synced.updated} updated, {synced.removed} removed, "
            f"{synced.skipped_without_id} without an id"
        )

    def pick(self, state: WeeklyState, papers: list[Paper], picker: Picker) -> bool:
        from papercast.picking import apply_picks

        with self.clock.stage("pick", "waiting for your picks"):
            picked = picker(state.issue_id, state.ranked, papers)
        if picked is None:
            return False
        apply_picks(self.db, state, picked)
        return True

    def estimate(
        self,
        chosen: list[Paper],
        fulltext_ids: set[str],
        chosen_refs: list[RankedRef],
        state: WeeklyState,
    ) -> None:
        """What the run would cost: the summaries, and a dialogue episode's script."""
        from papercast.summarize import estimate_cost

        estimate = estimate_cost(self.request(chosen, fulltext_ids))
        report = self.report
        report.backend, report.model = estimate.backend, estimate.model
        usage = Usage(input_tokens=estimate.input_tokens, output_tokens=estimate.output_tokens)
        report.from_cache = sum(p.cached for p in estimate.papers)
        total = estimate.cost_usd
        dialogue = self.estimate_dialogue(chosen_refs, state, estimate.records)
        if dialogue is not None:
            report.estimated_dialogue = dialogue.model_dump(mode="json")
            usage.input_tokens += dialogue.input_tokens
            usage.output_tokens += dialogue.output_tokens
            total += dialogue.cost_usd
        report.usage = usage
        report.estimated_cost_usd = round(total, 4)
        limit = self.settings.llm.max_cost
        if limit is not None and total > limit + 1e-12:
            parts = f"summaries ${estimate.cost_usd:.4f}"
            if dialogue is not None and dialogue.requests:
                parts += f", dialogue script ${dialogue.cost_usd:.4f}"
            report.warnings.append(
                f"the estimated ${total:.4f} ({parts}) is over the ${limit:g} budget "
                "([llm] max_cost / --max-cost): the run stops asking before it would pass it "
                "(papers left unsummarized, or narrated instead of discussed); raise the "
                "budget or rerun later to finish"
            )

    def estimate_dialogue(
        self,
        chosen_refs: list[RankedRef],
        state: WeeklyState,
        records: dict[str, SummaryRecord],
    ) -> DialogueEstimate | None:
        """A dialogue episode's script estimate (None when the episode is not a dialogue): its
        highlights chosen as the run would, from the summaries written so far."""
        audio = self.settings.audio
        if not (audio.enabled and self.settings.publish.audio and audio.style == "dialogue"):
            return None
        from papercast.audio.dialogue import estimate_dialogue
        from papercast.issue import assemble_issue

        papers = {p.id: p for p in PaperStore(self.db).get_many(r.id for r in chosen_refs)}
        entries = [
            IssueEntry(paper=papers[r.id], score=r.score, why=_why(r), summary=records.get(r.id))
            for r in chosen_refs
            if r.id in papers
        ]
        settings = _with_picks(self.settings, state)
        issue = assemble_issue(
            self.report.issue_id, ranked=entries, summaries=records, settings=settings
        )
        config = settings.issue
        if any(e.summary is None for e in entries[: config.highlights * config.highlight_pool]):
            # Which papers are the highlights depends on the significance their summaries will
            # give them; how many there are does not: the best ranked stand in for them.
            issue = issue.model_copy(update={"highlights": entries[: config.highlights]})
        if not issue.highlights:
            return None
        return estimate_dialogue(issue, self.settings, self.layout, self.db)

    def details(self, paper: Paper) -> PaperDetails:
        """Affiliations, code links, venue: from the source, else the full text if it was read."""
        return paper_details(paper, cached_fulltext(self.layout, paper))

    def summarize(self, chosen: list[Paper], fulltext_ids: set[str]) -> dict[str, SummaryRecord]:
        from papercast.summarize import summarize_papers

        events = self.clock.events
        with self.clock.stage("summarize", f"summarizing {len(chosen)} papers"):
            progress = (lambda message: events("summarize", message)) if events else None
            result = summarize_papers(self.request(chosen, fulltext_ids, progress))
        report = self.report
        report.backend, report.model = result.backend, result.model
        report.usage = result.usage
        report.llm_calls = CallStore(self.db).by_status(self.run_id)
        report.from_cache = len(result.cached)
        report.summarized = len(result.records) - len(result.cached)
        report.failed = dict(result.failures)
        for paper_id, why in result.notes.items():
            report.warnings.append(f"{paper_id}: summary from the abstract only ({why})")
        if result.budget_stopped:
            report.warnings.append("stopped summarizing at the [llm] max_cost budget")
        if result.fatal and not result.records:
            raise PapercastError(f"no paper could be summarized: {result.fatal}")
        if result.fatal:
            report.warnings.append(f"summaries stopped early: {result.fatal}")
        return dict(result.records)

    def assemble(
        self, entries: list[IssueEntry], records: dict[str, SummaryRecord], state: WeeklyState
    ) -> Issue:
        from papercast.issue import assemble_issue

        with self.clock.stage("assemble", "assembling the issue"):
            issue = assemble_issue(
                self.report.issue_id,
                ranked=entries,
                summaries=records,
                settings=_with_picks(self.settings, state),
            )
        self.report.highlights = [e.paper.id for e in issue.highlights]
        self.report.noteworthy = len(issue.noteworthy)
        _collect_warnings(self.report, issue)
        return issue

    def audio(self, issue: Issue, out_dir: Path) -> Issue:
        settings = self.settings
        if not (settings.audio.enabled and settings.publish.audio and issue.highlights):
            return issue
        from papercast.audio.episode import build_episode, with_episode

        limit = settings.llm.max_cost
        # what the summaries left of the run's budget is what the dialogue script may spend
        left = None if limit is None else max(0.0, limit - self.report.usage.cost_usd)
        try:
            with self.clock.stage("audio", f"reading {len(issue.highlights)} highlights aloud"):
                episode = build_episode(
                    issue,
                    settings=settings,
                    layout=self.layout,
                    db=self.db,
                    out_dir=out_dir,
                    run_id=self.run_id,
                    max_cost=left,
                )
        except Exception as exc:  # one output failing never fails the run
            self._partial(f"no episode this week: {failure_reason(exc, log)}")
            return issue
        report = self.report
        report.audio_seconds = round(episode.duration_seconds, 2)
        report.audio_duration = episode.duration
        report.tts_synthesized = episode.segments_synthesized
        report.tts_cached = episode.segments_cached
        report.audio_style = episode.style
        report.dialogue = episode.dialogue.model_dump(mode="json") if episode.dialogue else None
        if episode.notice:
            report.warnings.append(episode.notice)
        if episode.dialogue is not None:
            for paper_id, why in episode.dialogue.narrated.items():
                report.warnings.append(f"{paper_id}: narrated in the dialogue episode ({why})")
            if episode.dialogue.budget_stopped:
                report.warnings.append(
                    f"stopped writing the dialogue at the ${limit or 0:g} budget ([llm] "
                    f"max_cost / --max-cost; ${report.usage.cost_usd:.4f} went to summaries): "
                    "the papers it could not afford are narrated; raise the budget and rerun "
                    "to have them discussed"
                )
            if episode.dialogue.llm_requests:
                used = episode.dialogue.usage
                report.usage = report.usage.model_copy(
                    update={
                        "input_tokens": report.usage.input_tokens + used.input_tokens,
                        "output_tokens": report.usage.output_tokens + used.output_tokens,
                        "cost_usd": report.usage.cost_usd + used.cost_usd,
                        "requests": report.usage.requests + used.requests,
                    }
                )
                report.llm_calls = CallStore(self.db).by_status(self.run_id)
        if episode.highlights_dropped:
            report.warnings.append(
                f"{len(episode.highlights_dropped)} highlights left out of the episode to fit "
                f"[audio] max_minutes={settings.audio.max_minutes:g}"
            )
        return with_episode(issue, episode, self.layout)

    def publish(self, issue: Issue, out_dir: Path) -> None:
        from papercast.export import Exporter
        from papercast.render import render_issue
        from papercast.store.issues import IssueStore

        issues = IssueStore(self.db)
        issues.save(issue)
        outputs: list[Path] = []
        with self.clock.stage("render", "rendering the issue"):
            for fmt in self.settings.publish.formats:
                try:
                    written = render_issue(
                        issue, settings=self.settings, out_dir=out_dir, formats=[fmt]
                    )
                except Exception as exc:  # one format failing never costs the others
                    self._partial(f"{fmt} output failed: {failure_reason(exc, log)}")
                    continue
                outputs += written.values()
        if issue.audio_file:
            outputs += [
                p
                for p in (
                    out_dir / issue.audio_file,
                    out_dir / "chapters.json",
                    out_dir / "episode.vtt",
                    out_dir / "episode.txt",
                )
                if p.is_file()
            ]
        with self.clock.stage("export", "writing exports"):
            exported = Exporter(self.settings, self.layout, self.db).weekly(issue, issues.list())
        outputs += exported.written
        self.report.warnings += exported.skipped
        for failure in exported.failures:
            self._partial(failure)
        self.report.outputs = sorted({_relative(p, self.layout.out_dir) for p in outputs})


def _unfinished_warning(window: DateWindow, today: date, dry_run: bool) -> str:
    head = f"{window.label} is not over (it ends on {window.until}): "
    if dry_run:
        return head + f"this preview has only the papers out by {today}"
    return head + (
        f"this issue has the papers out by {today}, and its selection is now frozen; after "
        f"the week, `papercast run --week {window.label} --refetch` makes it whole"
    )


def _nothing_new(sources: list[SourceReport]) -> str:
    if not sources:
        return (
            "no sources are configured: set [arxiv] categories, [biorxiv] servers or [feeds] urls"
        )
    reasons = [f"{s.source}: {s.error or s.empty_reason or 'nothing new'}" for s in sources]
    return "nothing new because " + "; ".join(reasons)


def _load_papers(db: Database, state: WeeklyState) -> list[Paper]:
    store = PaperStore(db)
    papers = store.get_many(r.id for r in state.ranked)
    missing = len(state.ranked) - len(papers)
    if missing:
        log.warning("%d papers of the frozen selection are no longer in the store", missing)
    return papers


def _rank(
    settings: Settings,
    db: Database,
    run_id: int | None,
    window: DateWindow,
    papers: list[Paper],
) -> WeeklyState:
    from papercast.picking import picked_first
    from papercast.rank import load_profile, rank_papers
    from papercast.store.picks import PickStore

    issue_id = window.label
    profile = load_profile(db, settings, exclude_issue=issue_id)
    ranked = rank_papers(papers, profile, settings, db=db, run_id=run_id)
    picked = {row.paper_id for row in PickStore(db).rows(issue_id) if row.picked}
    refs = [
        RankedRef(id=r.paper.id, score=r.score, why=r.why, picked=r.paper.id in picked)
        for r in ranked
    ]
    return WeeklyState(issue_id=issue_id, window=window.label, ranked=picked_first(refs))


def rerank_week(settings: Settings, layout: Layout, issue_id: str) -> WeeklyState:
    """Rank a week's frozen candidates again with what the reader taught since (picks of other
    weeks, feedback, history); this week's picks stay picked. Under the run lock."""
    from papercast.errors import NotFoundError

    with run_lock(layout), Database(layout.db_path) as db:
        weekly = WeeklyStore(db)
        state = weekly.get(issue_id)
        if state is None:
            raise NotFoundError(f"{issue_id} has not been ranked yet")
        papers = _load_papers(db, state)
        fresh = _rank(settings, db, None, parse_week(state.window), papers)  # no run: no run id
        fresh.stage = "waiting-for-picks" if state.stage == "done" else state.stage
        weekly.save(fresh)
        return fresh


def _why(ref: RankedRef) -> str:
    if not ref.picked:
        return ref.why
    return "picked by you" + (f"; {ref.why}" if ref.why else "")


def _with_picks(settings: Settings, state: WeeklyState) -> Settings:
    """When the reader picked papers, those are the highlights, in rank order."""
    picked = sum(r.picked for r in state.ranked)
    if not picked:
        return settings
    return derive(settings, {"issue": {"highlights": picked, "highlight_pool": 1}}, origin="picks")


def _choose(settings: Settings, state: WeeklyState) -> tuple[list[RankedRef], int]:
    """The papers that go into the issue (highlights + also-noteworthy), best first.

    Highlights are later chosen by significance among the top ``highlights x highlight_pool``.
    """
    floor = settings.rank.min_score
    kept = [r for r in state.ranked if r.picked or floor is None or r.score >= floor]
    size = max(settings.issue.highlights, sum(r.picked for r in kept)) + settings.issue.noteworthy
    return kept[:size], len(state.ranked) - min(len(kept), size)


def _fulltext_ids(settings: Settings, chosen: list[RankedRef]) -> set[str]:
    if not settings.llm.fulltext:
        return set()
    pool = settings.issue.highlights * settings.issue.highlight_pool
    return {r.id for r in chosen[:pool]}


def _collect_warnings(report: RunReport, issue: Issue) -> None:
    for entry in issue.highlights + issue.noteworthy:
        record = entry.summary
        if record is not None and record.ungrounded:
            shown = ", ".join(record.ungrounded[:5])
            report.warnings.append(
                f"{entry.paper.id}: numbers not found in the paper's text: {shown}"
            )
    for source in report.sources:
        if source.error:
            report.warnings.append(f"{source.source} failed: {source.error}")
        elif source.fetched == 0 and source.empty_reason:
            report.warnings.append(f"{source.source} returned nothing: {source.empty_reason}")


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def write_run_json(layout: Layout, report: RunReport) -> None:
    path = layout.issue_dir(report.issue_id) / "run.json"
    report.outputs = sorted({*report.outputs, _relative(path, layout.out_dir)})
    atomic_write_text(path, report.model_dump_json(indent=2) + "\n")


STAGES = ("fetch", "rank", "pick", "summarize", "assemble", "audio", "render", "export")
