"""Which paper a PDF is: its arXiv id and version, title and authors, read from the file.

- Identity, first found wins: the arXiv margin stamp on page 1 (``arXiv:2404.18911v1 [cs.CL]
  29 Apr 2024``: id, version, primary category, date), else an arXiv DOI
  (``10.48550/arXiv.2404.18911``) or arxiv.org link on page 1, else an arXiv id or DOI in the
  PDF's metadata (Subject, Keywords, Title).
- Title: the PDF metadata's Title when it looks like one (not a file name or "Microsoft Word -
  ..."), else the lines set in the largest font at the top of page 1, joined (a title over two
  or three lines is one title), else the first line that reads like one.
- Authors: the metadata's Author field, else the lines between the title and the abstract on
  page 1, with superscript marks (affiliation numbers, ``*``, ``†``) dropped by font size, and
  affiliations, e-mail addresses and notes left out.

When the arXiv API answers, its record wins over all of this (``summarize.inputs``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from papercast.summarize.pdftext import STAMP, normalize_glyphs, rejoin

_ARXIV_DOI = re.compile(r"10\.48550/arXiv\.(?P<id>\d{4}\.\d{4,5})(?:v(?P<version>\d+))?", re.I)
_ARXIV_LINK = re.compile(
    r"arxiv\.org/(?:abs|pdf)/(?P<id>\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})"
    r"(?:v(?P<version>\d+))?",
    re.I,
)
_ARXIV_IN_META = re.compile(
    r"arXiv:\s*(?P<id>\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?",
    re.I,
)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+[^\s\"<>.,;)])")
_JUNK_TITLE = re.compile(
    r"^(?:microsoft (?:word|powerpoint)|untitled|arxiv:|preprint)|\.(?:pdf|dvi|tex|docx?|ps)$",
    re.I,
)
_NOT_AUTHOR = re.compile(
    r"@|https?:|www\.|\d|\b(?:universit|institut|department|dept\.|laborator|lab\b|school|"
    r"college|centre|center|faculty|academy|hospital|inc\.|ltd|gmbh|corporation|research|"
    r"equal contribution|corresponding|contributed|e-?mail|orcid|abstract)",
    re.I,
)
_NAME_PART = re.compile(
    r"^(?:[A-Z][\w'’.-]*|van|von|de|der|den|da|di|du|del|della|la|le|bin|al-?)$"
)
_ABSTRACT = re.compile(r"^\s*(?:\d+\s+)?abstract\b", re.I)
_SUPERSCRIPT_RATIO = 0.8  # characters this much smaller than their line's text are marks
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_HEAD_CHARS = 2500  # page 1's title block lies within its first characters


@dataclass
class PdfIdentity:
    """What a PDF says about itself."""

    arxiv_id: str | None = None
    version: int | None = None
    category: str | None = None
    date: date | None = None
    doi: str | None = None
    found_in: str | None = None  # "stamp", "page 1", "metadata"
    title: str | None = None
    authors: list[str] = field(default_factory=list)


def identify(document: pdfium.PdfDocument, first_page_text: str) -> PdfIdentity:
    """Identity, title and authors of an open document (call under the extractor's lock)."""
    meta = document.get_metadata_dict()
    identity = _ids(first_page_text, meta)
    lines = _first_page_lines(document) if len(document) else []
    identity.title = _meta_title(meta) or _title_from_lines(lines)
    identity.authors = _meta_authors(meta) or _authors_from_lines(lines, identity.title)
    return identity


def _ids(first_page: str, meta: dict[str, str]) -> PdfIdentity:
    stamp = STAMP.search(first_page)
    if stamp:
        month = _MONTHS.get(stamp.group("month"))
        stamped = None
        if month:
            try:
                stamped = date(int(stamp.group("year")), month, int(stamp.group("day")))
            except ValueError:
                stamped = None
        return PdfIdentity(
            arxiv_id=stamp.group("id"),
            version=int(stamp.group("version")),
            category=stamp.group("category"),
            date=stamped,
            found_in="stamp",
        )
    flat = "".join(first_page.split())  # typewriter fonts come out letter-spaced
    for pattern in (_ARXIV_DOI, _ARXIV_LINK):
        found = pattern.search(flat)
        if found:
            version = found.group("version")
            doi = f"10.48550/arXiv.{found.group('id')}" if pattern is _ARXIV_DOI else None
            return PdfIdentity(
                arxiv_id=found.group("id"),
                version=int(version) if version else None,
                doi=doi,
                found_in="page 1",
            )
    fields = " ".join(meta.get(key, "") for key in ("Subject", "Keywords", "Title"))
    found = _ARXIV_IN_META.search(fields) or _ARXIV_DOI.search(fields)
    if found:
        version = found.group("version")
        return PdfIdentity(
            arxiv_id=found.group("id"),
            version=int(version) if version else None,
            found_in="metadata",
        )
    on_page = _DOI.search(flat)
    any_doi = on_page or _DOI.search(fields)
    if any_doi:
        return PdfIdentity(doi=any_doi.group(1), found_in="page 1" if on_page else "metadata")
    return PdfIdentity()


def _meta_title(meta: dict[str, str]) -> str | None:
    title = " ".join((meta.get("Title") or "").split())
    if len(title.split()) < 2 or _JUNK_TITLE.search(title):
        return None
    return normalize_glyphs(title)[:300]


def _meta_authors(meta: dict[str, str]) -> list[str]:
    raw = " ".join((meta.get("Author") or "").split())
    if not raw:
        return []
    names = [n.strip() for n in re.split(r"\s*(?:;|,|\band\b|&)\s*", raw) if n.strip()]
    return [normalize_glyphs(n) for n in names if _is_name(n)]


@dataclass
class _Line:
    text: str  # superscript marks replaced by "|" (a separator between names)
    size: float  # the font size of the line's main text


def _first_page_lines(document: pdfium.PdfDocument) -> list[_Line]:
    """Page 1's first lines with the font size of each character (pdfium's text page)."""
    page = document[0]
    textpage = page.get_textpage()
    try:
        count = min(textpage.count_chars(), _HEAD_CHARS)
        chars: list[tuple[str, float]] = []
        for index in range(count):
            code = pdfium_c.FPDFText_GetUnicode(textpage, index)
            size = pdfium_c.FPDFText_GetFontSize(textpage, index)
            chars.append((chr(code) if code else "", float(size)))
    finally:
        textpage.close()
        page.close()
    return _lines(chars)


def _lines(chars: list[tuple[str, float]]) -> list[_Line]:
    raw: list[list[tuple[str, float]]] = [[]]
    for char, size in chars:
        if char in "\r\n":
            if raw[-1]:
                raw.append([])
        else:
            raw[-1].append((char, size))
    lines = []
    for run in raw:
        sizes = sorted(size for char, size in run if char.strip())
        if not sizes:
            continue
        main = sizes[len(sizes) // 2] if len(sizes) < 3 else sizes[-(len(sizes) // 3) - 1]
        text = "".join(
            "|" if char.strip() and size < main * _SUPERSCRIPT_RATIO else char for char, size in run
        )
        lines.append(_Line(text=text, size=main))
    return lines


def _title_from_lines(lines: list[_Line]) -> str | None:
    candidates = [
        line
        for line in lines
        if not STAMP.search(line.text) and len(line.text.replace("|", "").split()) >= 1
    ]
    if not candidates:
        return None
    sizes = sorted(line.size for line in candidates)
    body = sizes[len(sizes) // 2]
    largest = max(line.size for line in candidates)
    if largest >= body * 1.15:  # a title set larger than the text: take all its lines
        start = next(i for i, line in enumerate(candidates) if line.size >= largest * 0.97)
        parts = []
        for line in candidates[start : start + 4]:
            if line.size < largest * 0.97:
                break
            parts.append(line.text.replace("|", " ").strip())
        title = rejoin(" ".join(p + ("\n" if p.endswith("\ufffe") else "") for p in parts))
        title = normalize_glyphs(" ".join(title.split()))
        if len(title.split()) >= 2:
            return title[:300]
    for line in candidates[:12]:
        text = " ".join(line.text.replace("|", " ").split())
        if 2 <= len(text.split()) <= 30 and not text.lower().startswith(("arxiv", "preprint")):
            return normalize_glyphs(text)[:300]
    return None


def _is_name(text: str) -> bool:
    parts = text.split()
    return (
        2 <= len(parts) <= 5
        and all(_NAME_PART.match(p) for p in parts)
        and any(p[0].isupper() and len(p.rstrip(".")) > 1 for p in parts)
    )


def _authors_from_lines(lines: list[_Line], title: str | None) -> list[str]:
    """Names between the title and the abstract, without marks, affiliations or e-mails."""
    flat_title = " ".join((title or "").split())
    start = 0
    seen = ""
    for index, line in enumerate(lines):  # skip past the title's last line
        seen = f"{seen} {line.text.replace('|', ' ')}".strip()
        if flat_title and " ".join(normalize_glyphs(seen).split()).endswith(flat_title[-40:]):
            start = index + 1
            break
    names: list[str] = []
    for line in lines[start : start + 15]:
        text = normalize_glyphs(line.text)
        if _ABSTRACT.match(text) or len(text.split()) > 25:
            break
        for chunk in re.split(r"\|+|,|;|\band\b|&|\s{3,}", text):
            candidate = " ".join(chunk.split()).strip("*†‡§¶∗ ")
            if not candidate or _NOT_AUTHOR.search(candidate):
                continue
            if _is_name(candidate) and candidate not in names:
                names.append(candidate)
    return names[:50]
