"""Text as outputs show it: plain (safe characters, whitespace collapsed), escaped for
Markdown, word-wrapped; links that are only ever absolute http(s) URLs.

Every rendering (``papercast.render``), every export and ``papercast summarize``'s output use
these, so a paper's title or an LLM's prose reads the same everywhere and can inject nothing:
no link in Markdown, no ``javascript:`` or ``data:`` URL, no control character.
"""

from __future__ import annotations

import re
import textwrap
from urllib.parse import quote, urlsplit

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


def plain(value: object) -> str:
    """Text with unsafe characters removed (models.safe_text) and whitespace collapsed."""
    return _CONTROL.sub("", " ".join(safe_text(str(value)).split()))


MAX_URL_CHARS = 500  # a longer "link" is no link anyone follows: it is cut like other text


def wrap(value: object, width: int = 78, indent: str = "", first: str | None = None) -> str:
    """Word-wrap plain text at ``width``; URLs (up to 500 characters) are never broken.

    Any other word too long for a line (a title with no spaces, text in a script written
    without spaces) is cut into line-sized pieces, so no line runs to thousands of characters.
    """
    first_indent = indent if first is None else first
    room = max(width - max(len(indent), len(first_indent)), 20)
    words: list[str] = []
    for word in plain(value).split(" "):
        if len(word) <= room or (
            word.startswith(("http://", "https://")) and len(word) <= MAX_URL_CHARS
        ):
            words.append(word)
        else:
            words += [word[i : i + room] for i in range(0, len(word), room)]
    return textwrap.fill(
        " ".join(words),
        width=width,
        initial_indent=first_indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
