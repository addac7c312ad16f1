"""The command-line interface: a thin layer that parses options and calls library functions.

Each command group lives in its own module and registers itself on ``app`` when imported.
"""

from papercast.cli import (  # noqa: F401  (imported for their commands)
    audio,
    fetch,
    rank,
    render,
    run,
    setup,
    summarize,
)
from papercast.cli.app import app, main

__all__ = ["app", "main"]
