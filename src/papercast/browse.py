"""Reading the store the way a reader browses it: a week's candidates a page at a time,
search over everything, one paper with what papercast knows of it, the archive of issues.

Plain functions over the store returning small models; ``papercast serve`` renders them (and
a script could print them). All SQL stays in ``papercast.store``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from papercast.audio.chapters import Chapter, read_chapters
from papercast.config import Settings
from papercast.errors import InputError, NotFoundError
from papercast.i18n import N_
from papercast.layout import Layout
from papercast.models import Issue, Paper, SummaryRecord
from papercast.store import Database, PaperStore
from papercast.store.candidates import CandidateFilters, CandidateRow, CandidateStore, Facet
from papercast.store.feedback import FeedbackStore
from papercast.store.issues import IssueStore
from papercast.store.search import SearchFilters, SearchRow, SearchStore
from papercast.store.summaries import SummaryStore
from papercast.window import parse_week

_TERMS = re.compile(r'"([^"]*)"|(\S+)')
_WORDY = re.compile(r"\w")
MAX_QUERY_CHARS = 500
MAX_TERMS = 32
# More matches than this are shown most recently fetched first unless the reader asks for
# relevance: scoring every one of 20,000 matches by bm25 takes a second, the newest 20 do not.
BROAD_MATCHES = 2000


def fts_query(text: str) -> str | None:
    """What a reader typed, as a safe FTS5 query: every word must match, "quoted phrases" as
    phrases, the last word as a prefix (results while typing). None when nothing is searchable.

    Every term is a quoted FTS5 string, so no input is FTS5 syntax (AND, NEAR, column:, *, ^).
    """
    terms: list[str] = []
    for phrase, word in _TERMS.findall(text[:MAX_QUERY_CHARS]):
        term = phrase if phrase else word.strip('"')
        if _WORDY.search(term):
            terms.append('"' + term.replace('"', '""') + '"')
    if not terms:
        return None
    terms = terms[:MAX_TERMS]
    last = text.rstrip()
    if not last.endswith('"'):  # a word being typed, not a closed phrase
        terms[-1] += "*"
    return " ".join(terms)


# --- the week being prepared --------------------------------------------------------------


def weeks(db: Database) -> list[tuple[str, str]]:
    """(week, stage) of every ranked week, newest first."""
    return CandidateStore(db).weeks()


def current_week(db: Database) -> str | None:
    """The week being prepared: the newest ranked week whose issue is not built, else the
    newest ranked week; None when no week was ranked yet."""
    ranked = weeks(db)
    for issue_id, stage in ranked:
        if stage != "done":
            return issue_id
    return ranked[0][0] if ranked else None


def check_week(text: str) -> str:
    """A week label as the store keys it (``2024-W41``); InputError for anything else."""
    return parse_week(text).label


def highlight_count(settings: Settings, picked: int) -> int:
    """How many highlights the issue will have: the picks when there are any (they are the
    highlights), else [issue] highlights, chosen by rank and significance."""
    return picked if picked else settings.issue.highlights


@dataclass
class WeekPage:
    issue_id: str
    stage: str
    rows: list[CandidateRow]
    total: int  # candidates matching the filters
    candidates: int  # all of the week's candidates
    picked: int
    highlights: int
    page: int
    page_size: int
    categories: list[Facet]
    sources: list[Facet]
    feedback: dict[str, bool]
    issue_built: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def week_page(
    db: Database,
    settings: Settings,
    issue_id: str,
    filters: CandidateFilters,
    *,
    page: int = 1,
    with_facets: bool = True,
) -> WeekPage:
    """One page of a week's candidates, best first, with counts and the filter choices."""
    store = CandidateStore(db)
    counts = store.counts(issue_id)
    if counts is None:
        raise NotFoundError(
            N_("%(week)s has not been ranked yet"),
            N_("run `papercast run --week %(week)s --pick` (or prepare it in the app)"),
            values={"week": issue_id},
        )
    size = settings.serve.page_size
    page = max(1, page)
    rows = store.page(issue_id, filters, limit=size, offset=(page - 1) * size)
    unfiltered = filters == CandidateFilters()
    return WeekPage(
        issue_id=issue_id,
        stage=counts.stage,
        rows=rows,
        total=counts.candidates if unfiltered else store.count(issue_id, filters),
        candidates=counts.candidates,
        picked=counts.picked,
        highlights=highlight_count(settings, counts.picked),
        page=page,
        page_size=size,
        categories=store.categories(issue_id) if with_facets else [],
        sources=store.sources(issue_id) if with_facets else [],
        feedback=FeedbackStore(db).many(r.paper.id for r in rows),
        issue_built=issue_id in IssueStore(db).ids(),
    )


@dataclass
class WeekSummary:
    issue_id: str
    candidates: int
    picked: int
    highlights: int


def week_summary(db: Database, settings: Settings, issue_id: str) -> WeekSummary:
    """The week's counts (candidates, picks, the issue's highlights), nothing else."""
    counts = CandidateStore(db).counts(issue_id)
    if counts is None:
        raise NotFoundError(N_("%(week)s has not been ranked yet"), values={"week": issue_id})
    return WeekSummary(
        issue_id, counts.candidates, counts.picked, highlight_count(settings, counts.picked)
    )


def candidate(db: Database, issue_id: str, paper_id: str) -> CandidateRow:
    """One candidate of a week, as listed (for redrawing its row after a pick)."""
    row = CandidateStore(db).one(issue_id, paper_id)
    if row is None:
        raise NotFoundError(
            N_("%(paper)s is not a candidate of %(week)s"),
            values={"paper": paper_id, "week": issue_id},
        )
    return row


def feedback(db: Database, paper_ids: list[str]) -> dict[str, bool]:
    """The reader's verdicts on these papers (thumbs up: True), for those that have one."""
    return FeedbackStore(db).many(paper_ids)


# --- search -------------------------------------------------------------------------------


@dataclass
class SearchPage:
    text: str
    rows: list[SearchRow]
    total: int
    page: int
    page_size: int
    week: str | None
    source: str | None
    sources: list[str]
    weeks: list[str]
    feedback: dict[str, bool] = field(default_factory=dict)
    newest_first: bool = False  # a broad query, shown most recently fetched first

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total


def search(
    db: Database,
    text: str,
    *,
    week: str | None = None,
    source: str | None = None,
    page: int = 1,
    page_size: int = 20,
    relevance: bool = False,
) -> SearchPage:
    """Every stored paper and summary matching all the words of ``text``, best (bm25) first;
    more than ``BROAD_MATCHES`` matches come most recently fetched first unless ``relevance``."""
    store = SearchStore(db)
    week = check_week(week) if week else None
    filters = SearchFilters(source=source or None)
    if week:
        window = parse_week(week)
        filters = SearchFilters(
            source=source or None, since=window.since, until=window.until, week=week
        )
    match = fts_query(text)
    page = max(1, page)
    total = store.count(match, filters) if match else 0
    newest = total > BROAD_MATCHES and not relevance
    offset = (page - 1) * page_size
    rows = (
        store.search(match, filters, limit=page_size, offset=offset, newest_first=newest)
        if match
        else []
    )
    return SearchPage(
        text=text,
        rows=rows,
        total=total,
        newest_first=newest,
        page=page,
        page_size=page_size,
        week=week,
        source=source or None,
        sources=store.sources(),
        weeks=[w for w, _ in weeks(db)],
        feedback=FeedbackStore(db).many(r.paper.id for r in rows),
    )


# --- one paper ----------------------------------------------------------------------------


@dataclass
class PaperPage:
    paper: Paper
    summary: SummaryRecord | None
    weeks: list[str]
    issues: list[str]
    feedback: bool | None


def paper_page(db: Database, paper_id: str) -> PaperPage:
    paper = PaperStore(db).get(paper_id)
    if paper is None:
        raise NotFoundError(
            N_("no paper %(paper)s in the store"),
            N_("search for it, or summarize it"),
            values={"paper": paper_id},
        )
    candidates = CandidateStore(db)
    return PaperPage(
        paper=paper,
        summary=SummaryStore(db).latest(paper.id),
        weeks=candidates.weeks_of(paper.id),
        issues=candidates.issues_of(paper.id),
        feedback=FeedbackStore(db).get(paper.id),
    )


# --- the archive --------------------------------------------------------------------------


@dataclass
class IssuePage:
    issue: Issue
    chapters: list[Chapter]
    audio: str | None  # the episode, relative to the out dir
    files: list[str]  # the issue's published files, relative to the out dir
    report: dict[str, object] | None  # run.json
    feedback: dict[str, bool]


def issue_ids(db: Database) -> list[str]:
    return IssueStore(db).ids()


def issues(db: Database) -> list[Issue]:
    return IssueStore(db).list()


def issue_page(db: Database, layout: Layout, issue_id: str) -> IssuePage:
    issue = IssueStore(db).get(issue_id)
    if issue is None:
        raise NotFoundError(
            N_("no issue %(week)s yet"),
            N_("build it from the week's page"),
            values={"week": issue_id},
        )
    folder = layout.issue_dir(issue.id)
    rel = folder.name
    files = sorted(
        f"{rel}/{p.name}"
        for p in (folder.iterdir() if folder.is_dir() else [])
        if p.is_file() and not p.name.startswith(".")
    )
    chapters_file = folder / "chapters.json"
    chapters = (
        read_chapters(chapters_file.read_text(encoding="utf-8")) if chapters_file.is_file() else []
    )
    audio = f"{rel}/{issue.audio_file}" if issue.audio_file else None
    if audio and f"{rel}/{Path(issue.audio_file or '').name}" not in files:
        audio = None
    report = _read_report(folder / "run.json")
    papers = [e.paper.id for e in (*issue.highlights, *issue.noteworthy)]
    return IssuePage(
        issue=issue,
        chapters=chapters,
        audio=audio,
        files=files,
        report=report,
        feedback=FeedbackStore(db).many(papers),
    )


def _read_report(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def page_number(text: str | None) -> int:
    """A ?page= value: a positive integer, else an InputError."""
    if not text:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        raise InputError(
            N_("page %(page)r is not a page number"),
            N_("use ?page=1, 2, ..."),
            values={"page": text},
        )
    return int(text)
