"""Grounding check: every number a summary states must appear in the text it was made from.

Numbers are compared after normalising (``1,024`` = ``1024``, ``4.20`` = ``4.2``, ``85%`` =
``85``), so formatting differences do not count as invention. The ungrounded ones are stored on
the summary record, shown in JSON and printed as a warning.
"""

from __future__ import annotations

import re

from papercast.models import Summary

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s?%)?(?![\w])")
_CHECKED_FIELDS = ("tldr", "method", "results", "critiques", "implications", "significance_reason")


def _normalise(integer: str, fraction: str | None) -> str:
    whole = integer.replace(",", "").lstrip("0") or "0"
    frac = (fraction or "").rstrip("0").rstrip(".")
    return whole + frac


def numbers_in(text: str) -> list[tuple[str, str]]:
    """(as written, normalised) for every number in ``text``."""
    found = []
    for match in _NUMBER.finditer(text):
        written = match.group(0).strip()
        found.append((written, _normalise(match.group(1), match.group(2))))
    return found


def ungrounded_numbers(summary: Summary, source: str) -> list[str]:
    """Numbers in the summary's prose that the source text never states (in order, unique)."""
    known = {norm for _, norm in numbers_in(source)}
    missing: list[str] = []
    for name in _CHECKED_FIELDS:
        for written, norm in numbers_in(str(getattr(summary, name))):
            if norm not in known and written not in missing:
                missing.append(written)
    return missing
