"""`papercast init` and `papercast papers`: set up a config, look at the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from papercast.cli.app import app
from papercast.cli.console import line
from papercast.cli.console import out as console
from papercast.cli.state import get_state
from papercast.config import CONFIG_FILENAME
from papercast.errors import InputError
from papercast.layout import atomic_write_text
from papercast.resources import starter_config
from papercast.store import PaperStore
from papercast.window import parse_date


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter config.")] = Path(
        CONFIG_FILENAME
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter papercast.toml.

    Example: papercast init && $EDITOR papercast.toml
    """
    if path.exists() and not force:
        raise InputError(f"{path} already exists", "use --force to overwrite it")
    atomic_write_text(path, starter_config().read_text(encoding="utf-8"))
    console.print(line(f"Wrote {path}. Edit it, then try ", ("papercast fetch", "bold"), "."))


@app.command()
def papers(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Published on/after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on/before YYYY-MM-DD.")] = None,
    source: Annotated[str | None, typer.Option(help="arxiv, biorxiv, medrxiv or feed.")] = None,
    seen: Annotated[
        bool | None, typer.Option("--seen/--unseen", help="Only seen / only unseen papers.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one array).")] = False,
) -> None:
    """List the papers in the store, newest first.

    Example: papercast papers --since 2024-10-07 --unseen --json
    """
    _layout, db = get_state(ctx).reader()
    with db:
        store = PaperStore(db)
        rows = store.list(
            since=parse_date(since, "--since") if since else None,
            until=parse_date(until, "--until") if until else None,
            source=source,
            seen=seen,
            limit=limit,
        )
        seen_ids = store.seen_ids()
    if source and source not in ("arxiv", "biorxiv", "medrxiv", "feed", "local"):
        raise InputError(f"unknown source {source!r}", "use arxiv, biorxiv, medrxiv or feed")
    if as_json:
        items = [{**json.loads(p.model_dump_json()), "seen": p.id in seen_ids} for p in rows]
        typer.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} papers")
    for column in ("id", "v", "published", "title", "seen"):
        table.add_column(column)
    for paper in rows:
        table.add_row(
            paper.id,
            str(paper.version or ""),
            paper.published.date().isoformat() if paper.published else "",
            paper.title[:90],
            "yes" if paper.id in seen_ids else "",
        )
    console.print(table)
