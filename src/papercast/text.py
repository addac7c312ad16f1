"""Text as outputs show it: plain (safe characters, whitespace collapsed), escaped for
Markdown, word-wrapped; links that are only ever absolute http(s) URLs.

Every rendering (``papercast.render``), every export and ``papercast summarize``'s output use
these, so a paper's title or an LLM's prose reads the same everywhere and can inject nothing:
no link in Markdown, no ``javascript:`` or ``data:`` URL, no control character.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

from uniseg.linebreak import line_break_units

from papercast.models import Paper, safe_text

_URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+\-=])", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL (percent-encoded), else None."""
    if not url:
        return None
    url = _CONTROL.sub("", safe_text(url)).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(c in parts.netloc for c in "<>\"' \\"):
        return None
    return quote(url, safe=_URL_SAFE)


def paper_url(paper: Paper) -> str | None:
    """The paper's landing page: its abs URL, else one derived from its id or DOI."""
    for candidate in (paper.abs_url, _derived_url(paper), paper.pdf_url):
        url = safe_url(candidate)
        if url:
            return url
    return None


def _derived_url(paper: Paper) -> str | None:
    if paper.source == "arxiv":
        return f"https://arxiv.org/abs/{paper.versioned_id}"
    if paper.doi:
        return f"https://doi.org/{paper.doi}"
    if paper.source in ("biorxiv", "medrxiv"):
        return f"https://doi.org/{paper.short_id}"
    return None


def md_escape(value: object) -> str:
    """Escape text for Markdown so titles and LLM prose cannot inject links or HTML."""
    text = plain(value)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LINE_START.sub(r"\1\\\2", text)


def wide(char: str) -> bool:
    """A character that takes two columns: the ideographs, kana and Hangul of Chinese,
    Japanese and Korean, and their full-width punctuation."""
    return unicodedata.east_asian_width(char) in "WF"


def display_width(value: object) -> int:
    """Columns ``value`` takes in a terminal or a plain-text email: wide (CJK) characters take
    two, combining marks none."""
    return sum(0 if unicodedata.combining(c) else 2 if wide(c) else 1 for c in str(value))


def plain(value: object) -> str:
    """Text with unsafe characters removed (models.safe_text) and whitespace collapsed."""
    return _CONTROL.sub("", " ".join(safe_text(str(value)).split()))


MAX_URL_CHARS = 500  # a longer "link" is no link anyone follows: it is cut like other text


def wrap(value: object, width: int = 78, indent: str = "", first: str | None = None) -> str:
    """Word-wrap plain text at ``width`` display columns; URLs (up to 500 characters) are never
    broken.

    Widths are columns, not characters: a Chinese, Japanese or Korean character takes two.
    Text written without spaces breaks where Unicode's line-breaking rules allow (UAX #14, by
    uniseg): between two ideographs, never before 。 or ） nor after （. Any other word too wide
    for a line (a title with no spaces) is cut into line-sized pieces, so no line runs to
    thousands of characters.
    """
    first_indent = indent if first is None else first
    room = max(width - max(display_width(indent), display_width(first_indent)), 20)
    lines: list[str] = []
    line, used, empty = first_indent, display_width(first_indent), True
    for word in plain(value).split(" "):
        if not word:
            continue
        url = word.startswith(("http://", "https://")) and len(word) <= MAX_URL_CHARS
        for n, piece in enumerate([word] if url else _pieces(word, room)):
            gap = 1 if n == 0 and not empty else 0
            columns = display_width(piece)
            if not empty and used + gap + columns > width:
                lines.append(line)
                line, used = indent + piece, display_width(indent) + columns
            else:
                line, used = line + " " * gap + piece, used + gap + columns
            empty = False
    if empty:
        return ""
    lines.append(line)
    return "\n".join(lines)


def _pieces(word: str, room: int) -> list[str]:
    """``word`` as the pieces a line may end between: the units of Unicode line breaking when
    it has wide characters (text written without spaces), else the whole word; any piece wider
    than ``room`` columns cut into ``room``-column pieces."""
    units = list(line_break_units(word)) if any(wide(c) for c in word) else [word]
    pieces: list[str] = []
    for unit in units:
        while display_width(unit) > room:
            columns, cut = 0, 0
            while cut < len(unit) and columns + display_width(unit[cut]) <= room:
                columns += display_width(unit[cut])
                cut += 1
            pieces.append(unit[:cut])
            unit = unit[cut:]
        if unit:
            pieces.append(unit)
    return pieces
