"""The CLI's two consoles, the one place where output is made: markup off everywhere.

Nothing the CLI prints is read as rich markup, so a paper's title, an LLM's text or a path
with ``[x]`` in it prints as it is, with no escaping to forget; long lines are not broken. Styling is explicit: ``line``
joins plain text with ``(text, style)`` pieces (``line(("failed", "red"), f" {why}")``).
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

# soft_wrap: long lines are left to the terminal, so paths and commands stay whole to copy.
out = Console(markup=False, highlight=False, soft_wrap=True)
err = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)

Piece = str | tuple[str, str]


def line(*pieces: Piece) -> Text:
    """Plain text and ``(text, style)`` pieces as one line; nothing in them is markup."""
    return Text.assemble(*pieces)
