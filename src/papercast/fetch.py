"""The fetch stage: every configured source → the store → selection, with a report per source.

Each paper is stored in its own transaction as it arrives, so a killed fetch leaves the store
consistent and a rerun completes it. A source that fails, however it fails, is reported (with
its HTTP status) and the others go on; an empty source says why.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from papercast.config import Settings
from papercast.errors import PapercastError, SourceError
from papercast.models import DateWindow, FetchReport, SourceReport
from papercast.select import Selector
from papercast.sources import Source, SourceResult, create_sources
from papercast.sources.base import accepted_window, oversized
from papercast.store import Database, PaperStore, RunStore, UpsertOutcome

log = logging.getLogger(__name__)


def fetch_window(
    window: DateWindow,
    *,
    settings: Settings,
    db: Database,
    only: list[str] | None = None,
    sources: list[Source] | None = None,
    run_id: int | None = None,
    on_paper: Callable[[str], None] | None = None,
) -> FetchReport:
    """Fetch ``window`` from every source; store everything; return counts and candidates."""
    papers = PaperStore(db)
    runs = RunStore(db)
    own_run = run_id is None
    if own_run:
        run_id = runs.start("fetch", window.label)
    assert run_id is not None
    selector = Selector(settings)
    # seen in an *earlier* issue: fetching a week again (run --refetch) keeps its own papers
    seen_before = (
        papers.seen_ids(except_context=window.label) if settings.select.skip_seen else set()
    )
    active = sources if sources is not None else create_sources(settings, only)
    report = FetchReport(window=window)
    candidates: dict[str, None] = {}
    this_run: set[str] = set()
    try:
        for source in active:
            source_report = _fetch_one(
                source, window, papers, runs, run_id, selector, seen_before, this_run, candidates
            )
            if on_paper is not None:
                on_paper(source.name)
            report.sources.append(source_report)
    finally:
        for source in active:
            source.close()
    report.paper_ids = list(candidates)
    if own_run:
        failed = all(s.error for s in report.sources) and bool(report.sources)
        runs.finish(run_id, "failed" if failed else "done", report.model_dump(mode="json"))
    return report


def _fetch_one(
    source: Source,
    window: DateWindow,
    papers: PaperStore,
    runs: RunStore,
    run_id: int,
    selector: Selector,
    seen_before: set[str],
    this_run: set[str],
    candidates: dict[str, None],
) -> SourceReport:
    result = SourceResult(name=source.name)
    report = SourceReport(source=source.name)
    excluded: Counter[str] = Counter()
    accepted = accepted_window(window, source.lookback_days)
    try:
        for paper in source.fetch(window, result):
            if paper.published is not None and not accepted.contains(paper.published.date()):
                # whatever a server sends, only the window's papers are this week's
                log.info("%s: dropping %s, dated %s", source.name, paper.id[:100], paper.published)
                report.out_of_window += 1
                continue
            report.fetched += 1
            malformed = oversized(paper)
            if malformed:  # never stored: one hostile record must not bloat the store or issue
                log.warning("%s: skipping %s (%s)", source.name, paper.id[:100], malformed)
                excluded[malformed] += 1
                runs.record_paper(run_id, paper.id[:200], source.name, "excluded", malformed)
                continue
            with papers.db.transaction():
                canonical, outcome = papers.upsert(paper)
                rule = selector.check(paper)
                if canonical in this_run:
                    status = "duplicate"
                    report.duplicates += 1
                elif canonical in seen_before:
                    status = "seen"
                    report.already_seen += 1
                elif rule:
                    status = "excluded"
                    excluded[rule] += 1
                else:
                    status = outcome.value
                    if outcome is UpsertOutcome.NEW:
                        report.new += 1
                    elif outcome is UpsertOutcome.UPDATED:
                        report.updated += 1
                    else:
                        report.duplicates += 1
                    report.candidates += 1
                    candidates[canonical] = None
                runs.record_paper(run_id, canonical, source.name, status, rule)
            this_run.add(canonical)
    except SourceError as exc:
        report.error = str(exc)
        report.status = exc.status
        log.info("%s: %s", source.name, exc)
    except PapercastError:
        raise
    except Exception as exc:  # anything else one source does wrong is that source's failure
        report.error = f"{type(exc).__name__}: {exc}"
        log.warning("%s failed: %s", source.name, report.error)
        log.info("%s: traceback for the run log", source.name, exc_info=exc)
    report.requests = result.requests
    report.out_of_window += result.out_of_window
    report.excluded = sum(excluded.values())
    report.excluded_by = dict(excluded.most_common())
    report.empty_reason = _why_no_candidates(report, result, accepted)
    return report


def _why_no_candidates(
    report: SourceReport, result: SourceResult, accepted: DateWindow
) -> str | None:
    if report.candidates or report.error:
        return None
    if report.fetched == 0:
        if report.out_of_window and not result.empty_reason:
            return (
                f"the server sent {report.out_of_window} papers, all dated outside "
                f"{accepted.since}..{accepted.until} (dropped)"
            )
        return result.empty_reason or "the source returned nothing"
    parts = []
    if report.excluded:
        rules = ", ".join(f"{rule} ({n})" for rule, n in list(report.excluded_by.items())[:5])
        parts.append(f"filters removed {report.excluded} of {report.fetched}: {rules}")
    if report.already_seen:
        parts.append(f"{report.already_seen} were already in earlier issues")
    if report.duplicates:
        parts.append(f"{report.duplicates} came from another source too")
    return "; ".join(parts) or None
