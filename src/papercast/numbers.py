"""Numbers in prose, normalised for comparison: the grounding check's ground floor.

``1,024`` = ``1024``, ``4.20`` = ``4.2``, ``85%`` = ``85``, so formatting differences do not
count as invention. The summaries (``summarize/grounding.py``) and the podcast dialogue
(``audio/dialogue.py``) both check what they say against their source with these.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s?%)?(?![\w])")


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


def ungrounded(texts: list[str], source: str) -> list[str]:
    """Numbers in ``texts`` that ``source`` never states (as written, in order, unique)."""
    known = {norm for _, norm in numbers_in(source)}
    missing: list[str] = []
    for text in texts:
        for written, norm in numbers_in(text):
            if norm not in known and written not in missing:
                missing.append(written)
    return missing
