"""`papercast run`, `papercast pick` and `papercast status`: the weekly job and its curation."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from papercast.cli.app import app
from papercast.cli.console import err, line
from papercast.cli.console import out as console
from papercast.cli.state import get_state
from papercast.cli.summarize import finite_dollars
from papercast.config import Settings, derive
from papercast.errors import NotFoundError
from papercast.layout import Layout
from papercast.models import Paper
from papercast.picking import apply_picks, parse_selection, read_shortlist, write_shortlist
from papercast.pipeline import STAGES, RunOptions, RunReport, resolve_week, run_week
from papercast.store import Database, PaperStore, RunStore
from papercast.store.weekly import RankedRef, WeeklyStore


@app.command()
def run(
    ctx: typer.Context,
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2024-W41 (default: last week).")
    ] = None,
    sample: Annotated[
        bool, typer.Option("--sample", help="Run on the recorded sample week, offline, no keys.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fetch and rank, show what would be chosen and cost.")
    ] = False,
    pick: Annotated[bool, typer.Option("--pick", help="Stop to hand-pick the papers.")] = False,
    refetch: Annotated[
        bool, typer.Option("--refetch", help="Fetch and rank again even if the week was chosen.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Make an issue of the current week before it is over (frozen as is)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run report as JSON.")] = False,
    resend: Annotated[
        bool,
        typer.Option("--resend", help="Post to [notify] channels even what they already got."),
    ] = False,
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost",
            min=0.0,
            callback=finite_dollars,
            help="Spend at most this on the LLM in this run, summaries and dialogue script "
            "together (USD; default: \\[llm] max_cost).",
        ),
    ] = None,
) -> None:
    """Produce the week's issue: fetch, rank, summarize, render, read aloud, export.

    A week that has not begun is refused; the current week needs --force until it is over.

    Exit codes: 0 done (or nothing new), 1 failed, 2 bad input, 3 done but some papers or
    exports failed, 4 another run holds the lock, 130 Ctrl-C, 143 SIGTERM.

    Example: papercast run --week 2024-W41
    """
    state = get_state(ctx)
    settings = state.settings()
    if max_cost is not None:
        settings = derive(settings, {"llm": {"max_cost": max_cost}}, origin="--max-cost")
    from papercast.export.channels import build_channels

    build_channels(settings)  # a channel Apprise cannot use is a config error, before any work
    with ExitStack() as stack:
        fulltext_only: set[str] | None = None
        if sample:
            from papercast.sample import sample_settings, seed_pdfs, serve_sample

            _server, sample_week = stack.enter_context(serve_sample())
            settings = sample_settings(settings, sample_week)
            week = week or sample_week.week
            layout = Layout.from_settings(settings)
            layout.ensure()
            fulltext_only = seed_pdfs(settings, layout, sample_week)
        else:
            layout = state.layout()
        picker = _interactive_picker if pick else None
        if pick and not sys.stdin.isatty():
            picker = _shortlist_picker(layout)
        report = _run_with_progress(
            settings,
            layout,
            week,
            RunOptions(dry_run, refetch, picker, None, fulltext_only, force),
            quiet=as_json,
        )
    from papercast.notify import notify_channels, notify_failure

    if notify_failure(report, settings):
        report.warnings.append("sent a failure notification to [email] notify_failures")
    if not sample:  # the sample week is a demo: it posts nowhere
        notify_channels(report, settings, layout, resend=resend)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        print_report(report, layout, console)
    raise typer.Exit(report.exit_code)


def _run_with_progress(
    settings: Settings, layout: Layout, week: str | None, options: RunOptions, *, quiet: bool
) -> RunReport:
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} stages"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet,
    )
    with progress:
        task = progress.add_task("starting", total=len(STAGES))
        done: set[str] = set()

        def events(stage: str, message: str) -> None:
            if stage not in done and stage in STAGES:
                done.add(stage)
                progress.update(task, completed=len(done) - 1)
            progress.update(task, description=message[:70])

        return run_week(
            settings,
            layout,
            week=week,
            dry_run=options.dry_run,
            refetch=options.refetch,
            picker=options.picker,
            events=events,
            fulltext_only=options.fulltext_only,
            force=options.force,
        )


def print_report(report: RunReport, layout: Layout, out: Console) -> None:
    if report.sources:
        from papercast.cli.fetch import print_fetch_report
        from papercast.models import FetchReport

        print_fetch_report(
            FetchReport(window=report.window, sources=report.sources), out, totals=False
        )
    table = Table(title=f"papercast run {report.issue_id}: {report.status}", show_header=False)
    table.add_column("what")
    table.add_column("value")
    rows = [
        ("zotero", report.zotero or ""),
        ("candidates", f"{report.candidates} (chosen {report.chosen}, dropped {report.dropped})"),
        ("highlights", str(len(report.highlights))),
        ("also noteworthy", str(report.noteworthy)),
        ("summarized", f"{report.summarized} new, {report.from_cache} from cache"),
        ("failed", str(len(report.failed))),
        ("model", f"{report.model} ({report.backend})" if report.backend else ""),
        (
            "tokens",
            f"{report.usage.input_tokens} in, {report.usage.output_tokens} out"
            + (" (estimated: the LLM server reported none)" if report.usage.estimated else ""),
        ),
        ("cost", f"${report.usage.cost_usd:.4f}"),
        ("audio", report.audio_duration or ""),
        ("time", ", ".join(f"{s.stage} {s.seconds:.1f}s" for s in report.stages)),
    ]
    if report.estimated_cost_usd is not None:
        rows.append(("estimated cost", f"${report.estimated_cost_usd:.4f}"))
    if report.estimated_dialogue is not None:
        rows.append(("dialogue script", _dialogue_estimate(report.estimated_dialogue)))
    for key, value in rows:
        if value:
            table.add_row(key, value)
    out.print(table)
    _print_preview(report, layout, out)
    _print_notes(report, out)
    _print_outputs(report, layout, out)


def _dialogue_estimate(estimate: dict[str, Any]) -> str:
    """The dry run's estimate of a dialogue script, in one line."""
    if estimate.get("narrated"):
        return f"none: {estimate['narrated']} (the episode would be narrated)"
    text = (
        f"{estimate['requests']} LLM requests, {estimate['input_tokens']} tokens in, "
        f"{estimate['output_tokens']} out, ${estimate['cost_usd']:.4f}"
    )
    cached = estimate["from_cache"]
    if cached:
        text += f" ({cached} of {estimate['segments']} segments already written)"
    if estimate["assumed"]:
        text += f"; {estimate['assumed']} papers not summarized yet: typical lengths assumed"
    return text


def _print_preview(report: RunReport, layout: Layout, out: Console) -> None:
    if not report.preview:
        return
    with Database(layout.db_path) as db:
        papers = {p.id: p for p in PaperStore(db).get_many(r.id for r in report.preview)}
    table = Table(title=f"Would summarize {len(report.preview)} papers (best first)")
    for column in ("#", "paper", "title", "why"):
        table.add_column(column)
    for i, ref in enumerate(report.preview, start=1):
        paper = papers.get(ref.id)
        table.add_row(str(i), ref.id, paper.title[:70] if paper else "", ref.why[:40])
    out.print(table)


def _print_notes(report: RunReport, out: Console) -> None:
    if report.resumed:
        out.print("Resumed from this week's earlier selection (use --refetch to fetch again).")
    for paper_id, why in report.failed.items():
        out.print(line(("failed", "red"), f" {paper_id}: {why}"))
    for warning in report.warnings:
        out.print(line(("warning", "yellow"), f" {warning}"))
    for delivery in report.channels:
        if delivery.status != "failed":
            done = "posted" if delivery.status == "sent" else "already posted (--resend to repeat)"
            out.print(f"{delivery.channel}: {delivery.event} notice {done}")
    if report.nothing_new:
        out.print(line(("No issue this week", "yellow"), f" — {report.nothing_new}"))
    if report.error:
        out.print(line(("Run failed", "red"), f" — {report.error}"))


def _print_outputs(report: RunReport, layout: Layout, out: Console) -> None:
    if report.outputs:
        folder = layout.issue_dir(report.issue_id)
        out.print(line("\nThe issue is in ", (str(folder), "bold"), ":"))
        for name in report.outputs:
            out.print(f"  {name}")
        html = folder / "issue.html"
        if html.is_file():
            out.print(f"Open {html.resolve().as_uri()} in a browser.")
    if report.status == "waiting-for-picks":
        shortlist = layout.shortlist_path(report.issue_id)
        out.print(
            f"Waiting for your picks: mark papers with [x] in {shortlist}, then run "
            f"`papercast pick {report.issue_id} --from-file {shortlist}` and "
            f"`papercast run --week {report.issue_id}`.",
        )


# --- picking ---------------------------------------------------------------------------


def _shortlist_picker(layout: Layout):  # type: ignore[no-untyped-def]
    def picker(issue_id: str, ranked: list[RankedRef], papers: list[Paper]) -> list[str] | None:
        write_shortlist(
            layout.shortlist_path(issue_id), issue_id, ranked, {p.id: p for p in papers}
        )
        return None

    return picker


def _interactive_picker(
    issue_id: str, ranked: list[RankedRef], papers: list[Paper]
) -> list[str] | None:
    """Keyboard-driven: type numbers to star/unstar, Enter on an empty line to finish."""
    by_id = {p.id: p for p in papers}
    shown = ranked[:60]
    starred = {i + 1 for i, ref in enumerate(shown) if ref.picked}
    while True:
        table = Table(title=f"Candidates for {issue_id} (best first)")
        for column in ("#", "★", "title", "why"):
            table.add_column(column)
        for i, ref in enumerate(shown, start=1):
            paper = by_id.get(ref.id)
            table.add_row(
                str(i),
                "★" if i in starred else "",
                paper.title[:80] if paper else ref.id,
                ref.why[:50],
            )
        console.print(table)
        answer = typer.prompt(
            "Star/unstar (e.g. 1 3 5-7), Enter to finish, q to quit", default="", show_default=False
        ).strip()
        if answer.lower() == "q":
            return None
        if not answer:
            return [shown[i - 1].id for i in sorted(starred)]
        try:
            starred ^= parse_selection(answer, len(shown))
        except ValueError:
            console.print(
                line(("Not understood:", "red"), f" {answer} — use numbers from 1 to {len(shown)}")
            )


@app.command(name="pick")
def pick_command(
    ctx: typer.Context,
    week: Annotated[str | None, typer.Argument(help="ISO week (default: last week).")] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="Read picks from an edited shortlist.")
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Only write the shortlist file to edit.")
    ] = False,
) -> None:
    """Hand-pick the week's papers (stored picks also teach the ranking).

    The week must have been ranked: `papercast run --week W --pick` does that and stops.

    Example: papercast pick 2024-W41
    """
    state = get_state(ctx)
    layout = state.layout()
    issue_id = resolve_week(week).label
    with Database(layout.db_path) as db:
        weekly = WeeklyStore(db)
        chosen = weekly.get(issue_id)
        if chosen is None:
            raise NotFoundError(
                f"{issue_id} has not been ranked yet",
                f"run `papercast run --week {issue_id} --pick` first",
            )
        papers = PaperStore(db).get_many(r.id for r in chosen.ranked)
        shortlist = layout.shortlist_path(issue_id)
        if write:
            write_shortlist(shortlist, issue_id, chosen.ranked, {p.id: p for p in papers})
            console.print(
                f"Wrote {shortlist}; mark papers with [x], then run "
                f"`papercast pick {issue_id} --from-file {shortlist}`.",
            )
            return
        if from_file is not None:
            picked: list[str] | None = read_shortlist(from_file)
        else:
            picked = _interactive_picker(issue_id, chosen.ranked, papers)
        if picked is None:
            console.print("Nothing changed.")
            return
        weekly.save(apply_picks(db, chosen, picked))
    console.print(f"Picked {len(picked)} of {len(chosen.ranked)} for {issue_id}.")


@app.command()
def status(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many recent runs.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show recent runs, pending batch jobs and the issues produced.

    Example: papercast status --limit 5
    """
    from papercast.store.issues import IssueStore
    from papercast.store.summaries import SummaryStore

    _layout, db = get_state(ctx).reader()
    with db:
        runs = RunStore(db).recent(limit)
        batches = SummaryStore(db).batches(pending_only=True)
        issues = IssueStore(db).list()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "runs": [{k: v for k, v in r.items() if k != "report"} for r in runs],
                    "pending_batches": [b.model_dump(mode="json") for b in batches],
                    "issues": [
                        {
                            "id": i.id,
                            "title": i.title,
                            "highlights": len(i.highlights),
                            "audio": i.audio_duration,
                        }
                        for i in issues
                    ],
                },
                indent=2,
            )
        )
        return
    table = Table(title="Recent runs")
    for column in ("run", "kind", "week", "started", "status"):
        table.add_column(column)
    for r in runs:
        table.add_row(str(r["id"]), r["kind"], r["window"] or "", r["started_at"], r["status"])
    console.print(table)
    if batches:
        batch_table = Table(title=f"Pending batch jobs: {len(batches)}")
        for column in ("batch", "model", "requests", "status", "submitted"):
            batch_table.add_column(column)
        for b in batches:
            batch_table.add_row(
                b.batch_id, b.model, str(b.request_count), b.status, b.created_at or ""
            )
        console.print(batch_table)
        console.print("Collect them with: papercast summarize --collect")
    else:
        console.print("Pending batch jobs: 0")
    issue_table = Table(title="Issues")
    for column in ("week", "title", "highlights", "audio"):
        issue_table.add_column(column)
    for issue in issues:
        issue_table.add_row(
            issue.id, issue.title, str(len(issue.highlights)), issue.audio_duration or ""
        )
    console.print(issue_table)
