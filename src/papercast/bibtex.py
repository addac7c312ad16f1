"""``issue.bib``: a BibTeX entry for every paper of an issue, ready for Zotero or LaTeX.

Entries follow arXiv's own export (``@misc`` with ``eprint``, ``archivePrefix``,
``primaryClass``), plus the DOI where one is known (the journal's, else arXiv's
``10.48550/arXiv.<id>``), the URL, the venue as a note and bioRxiv/medRxiv as the publisher.
Every value is escaped for BibTeX (``{}\\%&$#_^~``), so a title cannot close its field or open
a new entry; keys are unique within the file.
"""

from __future__ import annotations

import re
import unicodedata

from papercast.i18n import Language, get_language
from papercast.models import Issue, IssueEntry, Paper, PaperDetails
from papercast.text import paper_url, plain

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}
_ESCAPE = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")
_KEY_CHARS = re.compile(r"[^a-z0-9]+")
_PUBLISHERS = {"biorxiv": "bioRxiv", "medrxiv": "medRxiv"}
_STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "is", "are"}


def escape(value: object) -> str:
    """Text as a BibTeX field holds it: plain, one line, every special character escaped."""
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group()], plain(value))


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return _KEY_CHARS.sub("", decomposed.encode("ascii", "ignore").decode("ascii").lower())


def _key(paper: Paper, used: set[str]) -> str:
    """``surname2024word``, as arXiv and Google Scholar make them, unique in the file."""
    surname = _ascii(paper.authors[0].name.split()[-1]) if paper.authors else ""
    year = str(paper.published.year) if paper.published else ""
    words = [w for w in (_ascii(w) for w in plain(paper.title).split()) if w]
    word = next((w for w in words if w not in _STOPWORDS), "")
    base = (surname + year + word) or _ascii(paper.short_id) or "paper"
    key, n = base, 0
    while key in used:
        n += 1
        key = base + "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26] * ((n - 1) // 26 + 1)
    used.add(key)
    return key


def _author(name: str) -> str:
    """``Last, First`` (a name BibTeX splits right), each part escaped and braced."""
    parts = plain(name).split()
    if len(parts) < 2:
        return "{" + escape(name) + "}"
    return escape(parts[-1]) + ", " + escape(" ".join(parts[:-1]))


def _doi(paper: Paper) -> str | None:
    if paper.doi:  # the journal's
        return paper.doi
    if paper.source == "arxiv":  # arXiv's own, spelt as arXiv spells it
        return f"10.48550/arXiv.{paper.short_id}"
    doi = next((a[4:] for a in paper.aliases if a.startswith("doi:")), None)
    if doi:
        return doi
    if paper.source in ("biorxiv", "medrxiv"):
        return paper.short_id
    return None


def entry_bibtex(paper: Paper, details: PaperDetails | None, key: str) -> str:
    fields: list[tuple[str, str]] = [("title", "{" + escape(paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(_author(a.name) for a in paper.authors)))
    if paper.published:
        fields += [("year", str(paper.published.year)), ("month", str(paper.published.month))]
    if paper.source == "arxiv":
        fields += [("eprint", escape(paper.versioned_id)), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", escape(paper.primary_category)))
    publisher = _PUBLISHERS.get(paper.source)
    if publisher:
        fields.append(("publisher", publisher))
    doi = _doi(paper)
    if doi:
        fields.append(("doi", escape(doi)))
    url = paper_url(paper)
    if url:
        fields.append(("url", escape(url)))
    if details and details.venue:
        fields.append(("note", escape(details.venue)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def issue_bibtex(
    issue: Issue, details: dict[str, PaperDetails] | None = None, lang: Language | None = None
) -> str:
    """BibTeX for every paper of ``issue``, highlights first (its heading comment in ``lang``)."""
    lang = lang or get_language("en")
    used: set[str] = set()
    entries: list[IssueEntry] = [*issue.highlights, *issue.noteworthy]
    count = lang.ngettext("%(num)s paper", "%(num)s papers", len(entries)) % {
        "num": lang.number(len(entries))
    }
    chunks = [f"% {escape(issue.title)} ({escape(issue.id)}): {escape(count)}\n"]
    for entry in entries:
        found = (details or {}).get(entry.paper.id, entry.details)
        chunks.append(entry_bibtex(entry.paper, found, _key(entry.paper, used)))
    return "\n".join(chunks)
