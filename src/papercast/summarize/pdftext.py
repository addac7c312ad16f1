"""Clean text from PDF pages: what the layout printed goes, the paper's words stay whole.

``clean_pages(pages)`` takes the per-page text pdfium gives and returns the paper's text with:

- words rejoined across line-end hyphens: pdfium's U+FFFE (its mark for a hyphen it judged a
  line-end break), the soft hyphen U+00AD, and a plain '-' at a line end, by the rule in
  ``rejoin`` (docs/summaries.md, "Clean full text");
- ligature code points (U+FB00-FB06) spelled out, spacing accents typeset before a letter
  (``Vukovi´c``, as Computer Modern PDFs give) composed into one letter; nothing else is
  normalized, so math keeps its symbols;
- the arXiv margin stamp (``arXiv:2404.18911v1 [cs.CL] 29 Apr 2024``), running headers and
  footers (lines repeated at the top or bottom of pages, numbers ignored), page numbers and
  line numbers (review copies typeset with lineno) removed.

This runs on pdfium's raw text, before any general text sanitizing, because U+FFFE is a
noncharacter that a sanitizer would drop and with it the knowledge that a word was split there.
Reading order: pdfium returns characters in content-stream order, which for LaTeX (and most
producers) is column by column, so two-column pages read in order (tested on the corpus).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

HYPHEN_MARK = "\ufffe"  # pdfium: "a hyphen was here, at a line end"
SOFT_HYPHEN = "\u00ad"
LIGATURES = {code: unicodedata.normalize("NFKC", chr(code)) for code in range(0xFB00, 0xFB07)}
_LIGATURE_TABLE = str.maketrans(LIGATURES)
# A spacing accent typeset before its letter (TeX's OT1 fonts draw accents as separate glyphs).
_SPACING_ACCENTS = {
    "\u00b4": "\u0301",  # acute
    "`": "\u0300",  # grave
    "\u00a8": "\u0308",  # diaeresis
    "\u02c6": "\u0302",  # circumflex
    "\u02dc": "\u0303",  # tilde
    "\u02c7": "\u030c",  # caron
    "\u00b8": "\u0327",  # cedilla
    "\u02d8": "\u0306",  # breve
}
# the accent first: a pattern that starts with a character set is scanned for quickly
_ACCENT_BEFORE_LETTER = re.compile("([" + "".join(_SPACING_ACCENTS) + "])([A-Za-z])")
STAMP = re.compile(
    r"arXiv:(?P<id>\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})v(?P<version>\d+)"
    r"\s*\[(?P<category>[A-Za-z-]+(?:\.[A-Za-z-]+)?)\]\s*"
    r"(?P<day>\d{1,2})\s+(?P<month>[A-Z][a-z]{2})\s+(?P<year>\d{4})"
)
_LEADING_NUMBERS = re.compile(r"(?m)^(\d{1,5})(?=\s|$)")
_NUMBER_TOKEN = re.compile(r"(?<!\S)(\d{1,5})(?=\s|$)")
_EDGE_LINES = 3  # lines at the top and at the bottom of a page that may be header or footer
_DIGITS = re.compile(r"\d+")
_TRAILING_INT = re.compile(r"(?:(?<=\s)|(?<=^)|(?<=[a-z.]))(\d{1,4})$")
_LEADING_INT = re.compile(r"^(\d{1,4})$")  # at the top only a bare number: "3 Method" is a heading
# A word broken at a line end: the mark (with the line break after it), the word part before
# it (a whole word: starts with a letter after a non-word character) and the part after it.
_MAYBE_BROKEN = re.compile("[\ufffe\u00ad-]\n?")  # a "-" counts only before a line break
_RIGHT_PART = re.compile(r"[^\W_][\w'’]*")
_ANY_LIGATURE = re.compile("[\ufb00-\ufb06]")


@dataclass
class CleanText:
    """The cleaned text and what was taken out of it."""

    text: str
    stamp: str | None = None
    removed: Counter[str] = field(default_factory=Counter)


def clean_pages(pages: list[str]) -> CleanText:
    """The paper's text from pdfium's per-page text (see the module docstring)."""
    removed: Counter[str] = Counter()
    stamp: str | None = None
    split: list[list[str]] = []
    for page in pages:
        page = page.replace("\r\n", "\n").replace("\r", "\n")
        # pdfium joins the two halves of a hyphenated word onto one line; restore the line
        # break so that a line number printed at the start of the next line is seen as such.
        page = page.replace(HYPHEN_MARK, HYPHEN_MARK + "\n")
        found = STAMP.search(page)
        if found:
            stamp = stamp or found.group(0)
            page = STAMP.sub("", page)
            removed["stamp"] += 1
        split.append([line.strip() for line in page.split("\n")])
    split = _strip_line_numbers(split, removed)
    split = _strip_page_numbers(split, removed)
    split = _strip_repeated_edges(split, removed)
    text = "\n".join("\n".join(line for line in lines if line) for lines in split)
    text = rejoin(text, removed)
    text = normalize_glyphs(text)
    return CleanText(text=text.strip(), stamp=stamp, removed=removed)


def normalize_glyphs(text: str) -> str:
    """Ligatures spelled out and spacing accents composed; other characters untouched."""
    if _ANY_LIGATURE.search(text):
        text = text.translate(_LIGATURE_TABLE)
    if _ACCENT_BEFORE_LETTER.search(text):

        def compose(match: re.Match[str]) -> str:
            accent, letter = match.groups()
            if match.start() == 0 or not text[match.start() - 1].isalpha():
                return match.group()  # only between letters: "Vukovi´c", not "`quoted'"
            return unicodedata.normalize("NFC", letter + _SPACING_ACCENTS[accent])

        text = _ACCENT_BEFORE_LETTER.sub(compose, text)
    return text


# -- line numbers ---------------------------------------------------------------------------


def _numbered(pages: list[list[str]]) -> int | None:
    """The first line number if most lines start with an increasing number (lineno), else None."""
    leads = [int(n) for lines in pages for n in _LEADING_NUMBERS.findall("\n".join(lines))]
    if len(leads) < 12:
        return None
    # steps above 1 happen where pdfium merged lines (the numbers then sit mid-line)
    steps = [b - a for a, b in itertools.pairwise(leads)]
    if sum(1 for s in steps if 0 < s <= 12) < 0.7 * len(steps):
        return None
    for a, b in itertools.pairwise(leads):
        if 0 < b - a <= 12:
            return a
    return None


def _strip_line_numbers(pages: list[list[str]], removed: Counter[str]) -> list[list[str]]:
    """Remove the running line numbers of a review copy, also where pdfium merged lines."""
    expected = _numbered(pages)
    if expected is None:
        return pages
    out: list[list[str]] = []
    for lines in pages:
        kept: list[str] = []
        for line in lines:
            pieces: list[str] = []
            start = 0
            for match in _NUMBER_TOKEN.finditer(line):
                value = int(match.group(1))
                at_start = not line[: match.start()].strip()
                # at a line start a skipped number is tolerated; mid-line only the next one
                if not (expected <= value <= expected + 2 if at_start else value == expected):
                    continue
                pieces.append(line[start : match.start()])
                start = match.end()
                expected = value + 1
                removed["line number"] += 1
            pieces.append(line[start:])
            # a number in the middle of a line marks where pdfium merged two lines
            kept.extend(piece.strip() for piece in pieces if piece.strip())
        out.append(kept)
    return out


# -- page numbers, running headers and footers ---------------------------------------------


def _strip_page_numbers(pages: list[list[str]], removed: Counter[str]) -> list[list[str]]:
    """Drop the page number at the bottom (or top) of each page: a number that grows with the
    page index, alone on its line or glued to the last line (pdfium glues a footnote to it)."""
    if not pages:
        return pages
    for edge, pattern in ((-1, _TRAILING_INT), (0, _LEADING_INT)):
        offsets = Counter[int]()
        for index, lines in enumerate(pages):
            content = [line for line in lines if line]
            if content and (match := pattern.search(content[edge])):
                offsets[int(match.group(1)) - index] += 1
        if not offsets:
            continue
        offset, count = offsets.most_common(1)[0]
        if count < max(1, math.ceil(0.6 * len(pages))):
            continue
        for index, lines in enumerate(pages):
            positions = [i for i, line in enumerate(lines) if line]
            if not positions:
                continue
            where = positions[edge]
            match = pattern.search(lines[where])
            if match and int(match.group(1)) - index == offset:
                lines[where] = (lines[where][: match.start()] + lines[where][match.end() :]).strip()
                removed["page number"] += 1
    return pages


def _edge_key(line: str) -> str:
    return " ".join(_DIGITS.sub("#", line.lower()).split())


def _strip_repeated_edges(pages: list[list[str]], removed: Counter[str]) -> list[list[str]]:
    """Drop lines that recur at the top or bottom of many pages (numbers ignored)."""
    if len(pages) < 2:
        return pages
    seen: Counter[str] = Counter()
    for lines in pages:
        content = [line for line in lines if line]
        keys = {_edge_key(line) for line in content[:_EDGE_LINES] + content[-_EDGE_LINES:]}
        seen.update(key for key in keys if len(key) >= 2)
    needed = max(2, math.ceil(0.4 * len(pages)))
    repeated = {key for key, count in seen.items() if count >= needed}
    if not repeated:
        return pages
    out = []
    for lines in pages:
        content = [line for line in lines if line]
        edges = set(range(min(_EDGE_LINES, len(content)))) | set(
            range(max(0, len(content) - _EDGE_LINES), len(content))
        )
        kept = []
        for position, line in enumerate(content):
            if position in edges and _edge_key(line) in repeated:
                removed["header/footer"] += 1
                continue
            kept.append(line)
        out.append(kept)
    return out


# -- words broken at line ends -------------------------------------------------------------


@functools.cache
def _dictionary() -> frozenset[str]:
    """English words (pyspellchecker's list), loaded once and only when the paper is silent."""
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(distance=1).word_frequency.dictionary)


def _known(word: str, words: frozenset[str]) -> bool:
    lower = word.lower()
    if lower in words:
        return True
    for suffix in ("s", "es", "ed", "d", "ing"):
        if lower.endswith(suffix) and lower[: -len(suffix)] in words:
            return True
    return False


def _keep_hyphen(left: str, right: str, used: Callable[[str], int]) -> bool:
    """The rule for a hyphen at a line end between ``left`` and ``right`` (not a soft hyphen).

    1. A typesetter never breaks a word there (a capital or digit follows, or a single letter
       or a digit precedes): the hyphen is real ("GPT-4", "k-means").
    2. The paper's own spelling decides: hyphenated elsewhere ("real-time") keeps it, written
       solid elsewhere ("realtime", "benchmarks") joins. ``used(s)`` counts ``s`` in the paper.
    3. Otherwise an English dictionary: a known joined word joins ("interactive"); two known
       words that do not join into one keep the hyphen ("fixed-length"); anything else joins
       (a hyphenation inside a technical term: "autoregres-sive").
    """
    if right[0].isupper() or right[0].isdigit() or len(left) == 1 or left[-1].isdigit():
        return True
    joined = (left + right).lower()
    hyphenated = f"{left}-{right}".lower()
    solid = used(joined)
    if used(hyphenated) > solid:
        return True
    if solid:
        return False
    words = _dictionary()
    if _known(joined, words):
        return False
    return _known(left, words) and _known(right, words)


def rejoin(text: str, removed: Counter[str] | None = None) -> str:
    """Rejoin words broken at line ends; see ``_keep_hyphen`` for when the hyphen stays."""
    lowered = ""
    parts: list[str] = []
    end = 0
    for mark in _MAYBE_BROKEN.finditer(text):
        if mark.group() == "-":
            continue  # a hyphen inside a line
        start = mark.start()
        while start > end and (text[start - 1].isalnum() or text[start - 1] in "'’"):
            start -= 1  # back to the start of the word part before the mark
        right = _RIGHT_PART.match(text, mark.end())
        if start == mark.start() or not text[start].isalpha() or right is None:
            continue
        left = text[start : mark.start()]
        lowered = lowered or text.lower()
        keep = mark.group()[0] != SOFT_HYPHEN and _keep_hyphen(left, right.group(), lowered.count)
        parts += [text[end:start], left, "-" if keep else "", right.group()]
        end = right.end()
        if removed is not None:
            removed["line-end hyphen"] += 1
    if parts:
        parts.append(text[end:])
        text = "".join(parts)
    if SOFT_HYPHEN in text or HYPHEN_MARK in text:
        # marks not at a word break (a soft hyphen mid-line, a mark after punctuation) carry
        # nothing
        text = text.replace(SOFT_HYPHEN, "").replace(HYPHEN_MARK + "\n", " ")
        text = text.replace(HYPHEN_MARK, "")
    return text
