"""Per-invocation state shared by commands (no globals): config path and verbosity."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from papercast.config import Settings
    from papercast.layout import Layout
    from papercast.store import Database


@dataclass
class AppState:
    config_path: Path | None = None
    verbose: bool = False
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            from papercast.config import load_settings

            self._settings = load_settings(self.config_path)
        return self._settings

    def layout(self) -> Layout:
        from papercast.layout import Layout

        layout = Layout.from_settings(self.settings())
        layout.ensure()
        return layout

    def database(self) -> Database:
        from papercast.store import Database

        return Database(self.layout().db_path)

    def reader(self) -> tuple[Layout, Database]:
        """For commands that only read the store: they work on a read-only PAPERCAST_HOME
        (nothing is created, no migration runs there)."""
        from papercast.layout import Layout
        from papercast.store import Database

        layout = Layout.from_settings(self.settings())
        return layout, Database.for_reading(layout.db_path)


def output_file(path: Path, option: str = "--out") -> Path:
    """A file the command will write, checked (and its folder made) before any work is done.

    A missing folder is created with its parents, as download tools do (wget -P, yt-dlp -o,
    curl --create-dirs), and the command says so on stderr, so a typo in a folder's name is
    seen at once; a folder given as the file, or a file standing where a folder must go, is an
    error.
    """
    from papercast.errors import InputError

    path = path.expanduser()
    if path.is_dir():
        raise InputError(f"{option} {path} is a folder", "give the path of the file to write")
    parent = path.parent
    if parent.is_dir():
        return path
    blocking = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise InputError(f"{option} {path}: {blocking} is a file, not a folder", "check the path")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"{option} {path}: cannot create the folder {parent}: {exc.strerror}",
            "check the path and its permissions",
        ) from None
    typer.echo(f"Created the folder {parent} for {option}", err=True)
    return path


def output_dir(path: Path, option: str = "--out") -> Path:
    """A folder the command will write into: created if missing (with its parents)."""
    from papercast.errors import InputError

    path = path.expanduser()
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path} is a file, not a folder", "give a folder")
    return path


def get_state(ctx: typer.Context) -> AppState:
    state = ctx.find_object(AppState)
    if state is None:  # pragma: no cover - the callback always sets it
        state = AppState()
        ctx.obj = state
    return state
