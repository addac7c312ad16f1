"""`papercast render`, `email`, `site`, `feed`, `notes`, `issues`: publish a stored issue."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from papercast.cli.app import app
from papercast.cli.console import out as console
from papercast.cli.state import AppState, get_state, output_dir, output_file
from papercast.errors import EXIT_FAILED, ConfigError, InputError, NotFoundError
from papercast.issue import parse_issue_id
from papercast.models import Issue
from papercast.store.db import Database
from papercast.store.issues import IssueStore

if TYPE_CHECKING:
    from papercast.export import Exporter


IssueArg = Annotated[
    str, typer.Argument(help="Issue id (ISO week, e.g. 2024-W41) or 'latest'.", show_default=True)
]


def load_issue(db: Database, issue_id: str) -> Issue:
    """The stored issue ``issue_id`` (or the newest for ``latest``); NotFoundError if absent."""
    store = IssueStore(db)
    if issue_id.strip().lower() == "latest":
        issue = store.latest()
        if issue is None:
            raise NotFoundError("no issues are stored yet", "run `papercast run` to make one")
        return issue
    parse_issue_id(issue_id)
    issue = store.get(issue_id.strip())
    if issue is None:
        known = ", ".join(store.ids()[:5]) or "none"
        raise NotFoundError(
            f"issue {issue_id} is not in the store (stored: {known})",
            "run `papercast run` for that week, or see `papercast issues`",
        )
    return issue


def _exporter(state: AppState, db: Database) -> Exporter:
    from papercast.export import Exporter

    return Exporter(state.settings(), state.layout(), db)


def _open(ctx: typer.Context) -> tuple[AppState, Database]:
    state = get_state(ctx)
    return state, state.database()


@app.command()
def render(
    ctx: typer.Context,
    issue_id: IssueArg = "latest",
    formats: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="Comma-separated: md, html, email, txt, substack, bib (default: \\[publish] formats).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder (default: the issue's folder).")
    ] = None,
) -> None:
    """Render a stored issue as Markdown, web HTML, email HTML, text and Substack HTML.

    Example: papercast render 2024-W41 --format md,html,email,txt --out site/
    """
    from papercast.render import parse_formats, render_issue

    state, db = _open(ctx)
    with db:
        issue = load_issue(db, issue_id)
    settings = state.settings()
    wanted = parse_formats(formats if formats is not None else list(settings.publish.formats))
    folder = output_dir(out) if out is not None else state.layout().issue_dir(issue.id)
    written = render_issue(issue, settings=settings, out_dir=folder, formats=wanted)
    for fmt, path in written.items():
        console.print(f"{fmt:>8}  {path}")


@app.command()
def email(
    ctx: typer.Context,
    issue_id: IssueArg = "latest",
    to: Annotated[
        str | None,
        typer.Option("--to", help="Comma-separated recipients (default: \\[email] to)."),
    ] = None,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send again to addresses that already got it.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only write the .eml files; send nothing.")
    ] = False,
) -> None:
    """Email a stored issue: one message per recipient, never twice to the same address.

    The .eml files are always written to the issue's email/ folder. SMTP settings come from
    [email]; the password from PAPERCAST_EMAIL__PASSWORD.

    Example: papercast email 2024-W41 --to a@x.org,b@y.org
    """
    from papercast.export.email import parse_recipients

    state, db = _open(ctx)
    settings = state.settings()
    recipients = parse_recipients(to) if to is not None else list(settings.email.to)
    if not recipients:
        raise InputError("no recipients", "pass --to a@x.org,b@y.org or set [email] to")
    with db:
        issue = load_issue(db, issue_id)
        results = _exporter(state, db).email(issue, recipients, resend=resend, dry_run=dry_run)
    table = Table(title=f"{issue.id}: {len(results)} recipient(s)")
    for column in ("address", "status", "attempts", "detail"):
        table.add_column(column)
    for result in results:
        detail = result.error or result.message_id or str(result.eml_path)
        table.add_row(result.address, result.status, str(result.attempts), detail)
    console.print(table)
    failed = [r for r in results if r.status == "failed"]
    if failed:
        console.print(f"{len(failed)} failed; rerun the same command to retry just those.")
        raise typer.Exit(EXIT_FAILED)


@app.command()
def site(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Site folder (default: \\[publish] site_dir)."),
    ] = None,
) -> None:
    """Write the static archive site: index of all issues, one page each, audio, feed.xml.

    Example: papercast site --out ~/public_html/papercast
    """
    if out is not None:
        out = output_dir(out)
    state, db = _open(ctx)
    with db:
        issues = IssueStore(db).list()
        if not issues:
            raise NotFoundError("no issues are stored yet", "run `papercast run` to make one")
        exporter = _exporter(state, db)
        index = exporter.site(issues, out=output_dir(out or exporter.site_dir))
    console.print(f"Wrote {len(issues)} issue page(s); open {index}")


@app.command()
def feed(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Feed file (default: OUT_DIR/feed.xml).")
    ] = None,
) -> None:
    """Write the podcast RSS feed of every stored issue that has audio.

    Needs \\[podcast] base_url: the public URL the issue folders are uploaded to.

    Example: papercast feed --out public/podcast.xml
    """
    target = output_file(out) if out is not None else None
    state, db = _open(ctx)
    with db:
        issues = IssueStore(db).list()
        written = _exporter(state, db).feed(issues, out=target)
    with_audio = sum(1 for i in issues if i.audio_file)
    also = f" (and {written[1]})" if len(written) > 1 else ""
    console.print(f"Wrote {written[0]}{also} ({with_audio} episode(s) with audio)")


@app.command()
def notes(
    ctx: typer.Context,
    issue_id: IssueArg = "latest",
    folder: Annotated[
        Path | None,
        typer.Option("--dir", "-d", help="Notes folder (default: \\[publish] notes_dir)."),
    ] = None,
) -> None:
    """Write one Markdown note with YAML frontmatter per summarized paper (e.g. Obsidian).

    Example: papercast notes 2024-W41 --dir ~/vault/papers
    """
    state, db = _open(ctx)
    target = folder or state.settings().publish.notes_dir
    if target is None:
        raise ConfigError("no notes folder", "pass --dir or set [publish] notes_dir")
    with db:
        issue = load_issue(db, issue_id)
        written = _exporter(state, db).notes(issue, folder=output_dir(target, "--dir"))
    console.print(f"Wrote {len(written)} note(s) to {target}")


@app.command()
def issues(ctx: typer.Context) -> None:
    """List the stored issues, newest first.

    Example: papercast issues
    """
    _layout, db = get_state(ctx).reader()
    with db:
        stored = IssueStore(db).list()
    table = Table(title=f"{len(stored)} issue(s)")
    for column in ("id", "date", "title", "highlights", "noteworthy", "audio"):
        table.add_column(column)
    for issue in stored:
        table.add_row(
            issue.id,
            issue.date.isoformat(),
            issue.title,
            str(len(issue.highlights)),
            str(len(issue.noteworthy)),
            issue.audio_duration or "-",
        )
    console.print(table)
