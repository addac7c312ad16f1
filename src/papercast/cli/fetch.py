"""`papercast fetch`: pull a window of papers from every configured source into the store."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from papercast.cli.app import app
from papercast.cli.console import line
from papercast.cli.console import out as console
from papercast.cli.state import get_state
from papercast.errors import EXIT_FAILED, EXIT_PARTIAL
from papercast.fetch import fetch_window
from papercast.models import FetchReport
from papercast.window import resolve_window


def print_fetch_report(report: FetchReport, out: Console, *, totals: bool = True) -> None:
    table = Table(
        title=f"Fetched {report.window.label} ({report.window.since}..{report.window.until})"
    )
    for column in (
        "source",
        "fetched",
        "outside",
        "new",
        "updated",
        "dupes",
        "seen",
        "excluded",
        "candidates",
    ):
        table.add_column(column, justify="left" if column == "source" else "right")
    notes: list[Text] = []
    for s in report.sources:
        table.add_row(
            s.source,
            str(s.fetched),
            str(s.out_of_window),
            str(s.new),
            str(s.updated),
            str(s.duplicates),
            str(s.already_seen),
            str(s.excluded),
            str(s.candidates),
        )
        if s.error:
            notes.append(line((f"{s.source}: failed", "red"), f" — {s.error}"))
        elif s.empty_reason:
            notes.append(line((f"{s.source}: nothing new", "yellow"), f" — {s.empty_reason}"))
        if s.out_of_window and s.fetched:
            notes.append(
                line(f"{s.source}: {s.out_of_window} papers dated outside the window dropped")
            )
        if s.excluded_by and not s.error:
            rules = ", ".join(f"{rule} ×{n}" for rule, n in list(s.excluded_by.items())[:6])
            notes.append(line(f"{s.source}: excluded by {rules}"))
    out.print(table)
    for note in notes:
        out.print(note)
    if not report.sources:
        out.print(
            line(
                ("No sources are configured", "yellow"),
                " — set [arxiv] categories, [biorxiv] servers or [feeds] urls.",
            )
        )
    if totals:
        out.print(f"{len(report.paper_ids)} candidate papers.")


@app.command()
def fetch(
    ctx: typer.Context,
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2024-W41.")] = None,
    since: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day, YYYY-MM-DD (default: today).")
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="Only these sources: arxiv, biorxiv, feeds."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Fetch new papers for a week (default: the last complete week) into the store.

    Example: papercast fetch --week 2024-W41 --source arxiv
    """
    state = get_state(ctx)
    window = resolve_window(week=week, since=since, until=until)
    settings = state.settings()
    with state.database() as db, console.status("Fetching…") if not as_json else nullcontext():
        report = fetch_window(window, settings=settings, db=db, only=source or None)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        print_fetch_report(report, console)
    failed = [s for s in report.sources if s.error]
    if failed and len(failed) == len(report.sources):
        raise typer.Exit(EXIT_FAILED)
    if failed:
        raise typer.Exit(EXIT_PARTIAL)
