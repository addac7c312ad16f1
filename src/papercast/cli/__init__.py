"""The command-line interface: a thin layer that parses options and calls library functions.

Each command group lives in its own module and registers itself on ``app`` when imported;
``--help`` lists them in the order of the weekly workflow.
"""

from papercast.cli import (  # noqa: F401  (imported for their commands)
    audio,
    fetch,
    rank,
    render,
    run,
    serve,
    setup,
    summarize,
)
from papercast.cli.app import app, main

_ORDER = [
    "init",
    "run",
    "pick",
    "status",
    "fetch",
    "papers",
    "summarize",
    "rank",
    "history",
    "render",
    "issues",
    "email",
    "feed",
    "site",
    "notes",
    "audio",
    "speak",
    "serve",
]


def _position(info: object) -> int:
    name = getattr(info, "name", None) or getattr(getattr(info, "callback", None), "__name__", "")
    return _ORDER.index(name) if name in _ORDER else len(_ORDER)


app.registered_commands.sort(key=_position)
app.registered_groups.sort(key=_position)

__all__ = ["app", "main"]
