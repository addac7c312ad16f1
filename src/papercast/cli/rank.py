"""`papercast rank` (score candidates for the reader) and `papercast history ...` (imports)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from papercast.cli.app import app
from papercast.cli.console import err
from papercast.cli.console import out as stdout
from papercast.cli.state import get_state, output_file
from papercast.config import derive
from papercast.errors import EXIT_FAILED, InputError
from papercast.history import HISTORY_FORMATS, read_candidates, read_history
from papercast.layout import atomic_write_text
from papercast.models import Paper
from papercast.rank import load_profile, profile_from_records, rank_papers
from papercast.store.history import HistoryStore

history_app = typer.Typer(
    help="Import and inspect your reading history (it teaches the ranking what you like).",
    no_args_is_help=True,
)
app.add_typer(history_app, name="history")


def _format(value: str) -> str:
    if value not in HISTORY_FORMATS:
        raise InputError(f"unknown --format {value!r}", f"use one of: {', '.join(HISTORY_FORMATS)}")
    return value


@app.command()
def rank(
    ctx: typer.Context,
    candidates: Annotated[
        Path,
        typer.Option(help="CSV or JSONL: id or url, title, optional abstract."),
    ],
    history: Annotated[
        Path | None,
        typer.Option(
            help="CSV or JSONL: title, optional abstract, id or url, picked (1/0). "
            "Default: your stored picks and imported history."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the JSONL here instead of stdout.")
    ] = None,
    backend: Annotated[
        str | None,
        typer.Option(help="tfidf (default), hybrid, embeddings, local, keywords or a plugin's."),
    ] = None,
    why: Annotated[bool, typer.Option("--why", help="Add a 'why' field to each line.")] = False,
) -> None:
    """Rank candidate papers for you, best first, as JSONL {"id": ..., "score": ...}.

    Example: papercast rank --history picks.csv --candidates week.jsonl --out ranked.jsonl
    """
    if out is not None:
        out = output_file(out)
    state = get_state(ctx)
    settings = state.settings()
    if backend:
        settings = derive(settings, {"rank": {"backend": backend}})
    records = read_candidates(candidates)
    papers = [
        Paper(
            id=f"local:{i}",
            source="local",
            title=r.title,
            abstract=r.abstract,
            published=r.published,
        )
        for i, r in enumerate(records)
    ]
    history_records = read_history(history) if history is not None else None
    name = settings.rank.backend
    db = state.database() if history_records is None or name == "embeddings" else None
    try:
        if history_records is not None:
            profile = profile_from_records(history_records, settings)
        elif db is not None:
            profile = load_profile(db, settings)
        ranked = rank_papers(papers, profile, settings, db=db, backend=name, explain=why)
    finally:
        if db is not None:
            db.close()
    lines = []
    for item in ranked:
        row: dict[str, object] = {
            "id": records[int(item.paper.short_id)].ref,
            "score": round(item.score, 6),
        }
        if why:
            row["why"] = item.why
        lines.append(json.dumps(row, ensure_ascii=False))
    text = "\n".join(lines) + ("\n" if lines else "")
    if out is None:
        typer.echo(text, nl=False)
    else:
        atomic_write_text(out, text)
        err.print(f"Ranked {len(lines)} candidates into {out}")


@history_app.command("import")
def history_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV, JSONL, BibTeX, Zotero CSV or id list.")],
    fmt: Annotated[
        str,
        typer.Option("--format", help="auto, csv, jsonl, bibtex, zotero or ids."),
    ] = "auto",
) -> None:
    """Import papers you read before; they count as picks unless the file labels them.

    Example: papercast history import my-library.bib
    """
    records = read_history(file, _format(fmt))
    with get_state(ctx).database() as db:
        counts = HistoryStore(db).import_records(records, origin=file.name)
    picked = sum(1 for r in records if r.picked)
    typer.echo(
        f"Imported {counts.total} papers from {file.name}: {counts.added} new, "
        f"{counts.updated} updated, {counts.unchanged} unchanged "
        f"({picked} picked, {len(records) - picked} passed over)."
    )
    if counts.without_text:
        typer.echo(
            f"{counts.without_text} have only an id: they count once papercast has fetched "
            "their title and abstract."
        )


@history_app.command("list")
def history_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSONL.")] = False,
) -> None:
    """Show imported history, newest first.

    Example: papercast history list --limit 50
    """
    with get_state(ctx).database() as db:
        store = HistoryStore(db)
        rows, total = store.rows(limit=limit), store.count()
    if as_json:
        for row in rows:
            typer.echo(
                json.dumps(
                    {
                        "key": row.key,
                        "paper_id": row.paper_id,
                        "title": row.title,
                        "picked": row.picked,
                        "origin": row.origin,
                        "added_at": row.added_at.isoformat() if row.added_at else None,
                    },
                    ensure_ascii=False,
                )
            )
        return
    table = Table(title=f"History: {total} papers (showing {len(rows)})")
    for column in ("picked", "title", "id", "from"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            "yes" if row.picked else "no",
            row.title or "(title not fetched yet)",
            row.paper_id or "",
            row.origin,
        )
    stdout.print(table)


@history_app.command("clear")
def history_clear(
    ctx: typer.Context,
    origin: Annotated[str | None, typer.Option(help="Only what came from this file name.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do it without asking.")] = False,
) -> None:
    """Forget imported history (all of it, or one imported file's papers).

    Example: papercast history clear --origin old-library.bib --yes
    """
    what = f"history imported from {origin}" if origin else "all imported history"
    if not yes and not typer.confirm(f"Forget {what}?"):
        raise typer.Exit(EXIT_FAILED)
    with get_state(ctx).database() as db:
        removed = HistoryStore(db).clear(origin)
    typer.echo(f"Forgot {removed} papers ({what}).")


@history_app.command("sync")
def history_sync(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Read the whole library again, not only what changed.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the sync report as JSON.")] = False,
) -> None:
    """Sync your Zotero library into the history ([zotero] library_id; key in ZOTERO_API_KEY).

    Only what changed since the last sync is read; items deleted in Zotero leave the history.
    Through the desktop app's local API ([zotero] api_url = "http://localhost:23119/api/",
    library_id = 0, no key) the whole library is read each time.
    `papercast run` does this first whenever [zotero] is configured.

    Example: papercast history sync --full
    """
    from dataclasses import asdict

    from papercast.history.zotero import sync_zotero

    state = get_state(ctx)
    settings = state.settings()
    with state.database() as db:
        report = sync_zotero(settings, db, full=full)
    if as_json:
        typer.echo(json.dumps(asdict(report), indent=2))
        return
    kind = "full sync" if report.full else f"changes since version {report.previous_version}"
    if report.local:
        kind = "local API, read in full"
    stdout.print(
        f"Zotero {report.library} ({kind}, now version {report.version}): "
        f"{report.fetched} items read, {report.added} added, {report.updated} updated, "
        f"{report.removed} removed."
    )
    if report.skipped_without_id:
        stdout.print(
            f"{report.skipped_without_id} items skipped: no arXiv id, DOI or bioRxiv link."
        )
