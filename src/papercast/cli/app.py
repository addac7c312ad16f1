"""The typer application object, global options and the one path for user-facing errors."""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from papercast import __version__
from papercast.cli.console import err, line
from papercast.cli.state import AppState
from papercast.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    PapercastError,
    as_storage_error,
)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that the command unwinds exactly as on Ctrl-C:
    transactions roll back, worker processes are stopped, the lock is released."""


def _on_sigterm(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough: we are stopping
    raise Terminated()


def _raise_errors(ctx: typer.Context | None) -> bool:
    if os.environ.get("PAPERCAST_RAISE_ERRORS", "") not in ("", "0"):
        return True
    state = ctx.find_object(AppState) if ctx else None
    return bool(state and state.debug)


def _print_error(exc: PapercastError) -> None:
    err.print(line(("Error:", "bold red"), f" {exc.message}"))
    if exc.hint:
        err.print(f"  {exc.hint}", style="dim")


class PapercastGroup(TyperGroup):
    """Turns domain errors into one readable line and an exit code; tracebacks only on --debug."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except PapercastError as exc:
            if _raise_errors(ctx):
                raise
            _print_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt as exc:
            if isinstance(exc, Terminated):
                err.print("Stopped by SIGTERM; rerun to continue where it stopped.")
                raise typer.Exit(EXIT_TERMINATED) from None
            err.print("Interrupted; rerun to continue where it stopped.")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if _raise_errors(ctx):
                raise
            storage = as_storage_error(exc)  # a full disk or read-only place, met unprepared
            if storage is not None:
                _print_error(storage)
                raise typer.Exit(storage.exit_code) from None
            err.print(
                line(("Unexpected error:", "bold red"), f" {type(exc).__name__}: {exc}"),
            )
            err.print("  run again with --debug to see the traceback", style="dim")
            raise typer.Exit(EXIT_FAILED) from None


app = typer.Typer(
    cls=PapercastGroup,
    name="papercast",
    help="Turn each week's new research papers into a newsletter and a podcast.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"papercast {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config file (default: ./papercast.toml if present)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More log output.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """papercast: fetch, select, summarize, render, read aloud and publish new papers."""
    ctx.obj = AppState(config_path=config, verbose=verbose, debug=debug)
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    from rich.logging import RichHandler

    from papercast.logs import RedactingFilter, without_traceback

    class ConsoleHandler(RichHandler):
        """Log lines on stderr; a logged exception is one line unless --debug."""

        def emit(self, record: logging.LogRecord) -> None:
            super().emit(record if debug else without_traceback(record))

    handler = ConsoleHandler(console=err, show_path=False, show_time=False)
    handler.addFilter(RedactingFilter())
    handler.setLevel(level)
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, RichHandler):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "httpx2", "openai", "urllib3", "arxiv"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING) if not debug else level)


def main() -> None:
    """Console-script entry point: SIGTERM is handled like Ctrl-C."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    sys.exit(app())
