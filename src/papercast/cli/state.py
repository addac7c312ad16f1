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


def get_state(ctx: typer.Context) -> AppState:
    state = ctx.find_object(AppState)
    if state is None:  # pragma: no cover - the callback always sets it
        state = AppState()
        ctx.obj = state
    return state
