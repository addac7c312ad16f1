"""Grounding check: every number a summary states must appear in the text it was made from.

Numbers are compared after normalising (``1,024`` = ``1024``, ``4.20`` = ``4.2``, ``85%`` =
``85``, "twelve percent" = ``12``; ``papercast.numbers``), so formatting differences do not
count as invention: a number the summary says in words is checked (in the issue's language),
and one the paper says in words grounds the summary's digits. The ungrounded ones are stored
on the summary record, shown in JSON and printed as a warning.
"""

from __future__ import annotations

from papercast.models import Summary
from papercast.numbers import numbers_in, ungrounded

_CHECKED_FIELDS = ("tldr", "method", "results", "critiques", "implications", "significance_reason")

__all__ = ["numbers_in", "ungrounded_numbers"]


def ungrounded_numbers(summary: Summary, source: str, *, language: str) -> list[str]:
    """Numbers in the summary's prose that the source text never states (in order, unique);
    ``language``: ``[issue] language``, the language the summary is written in."""
    texts = [str(getattr(summary, name)) for name in _CHECKED_FIELDS]
    return ungrounded(texts, source, language=language)
