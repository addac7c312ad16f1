"""One Markdown note per summarized paper, with YAML frontmatter (e.g. for an Obsidian vault).

Frontmatter values are written as JSON strings and lists, which are valid YAML flow scalars:
any title, however hostile, round-trips without a YAML library and without injection. The body
is Markdown escaped as issue.md is (``render.md_escape``): Obsidian renders HTML in notes, so a
title's ``<script>`` or an abstract's ``![](https://tracker...)`` must arrive as text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from papercast.i18n import Language, get_language
from papercast.layout import atomic_write_text, safe_name
from papercast.models import Issue, IssueEntry
from papercast.render import SECTION_LABELS, entry_details
from papercast.text import md_escape, paper_url, plain, safe_url

_TAG = re.compile(r"[^0-9A-Za-z_/-]+")


def tag(keyword: str) -> str:
    """An Obsidian-friendly tag: lowercase, no spaces (``"Large models"`` -> ``large-models``)."""
    return _TAG.sub("-", keyword.strip().lower()).strip("-/")


def note_name(entry: IssueEntry) -> str:
    return safe_name(entry.paper.id.replace(":", "-")) + ".md"


# Inside a string, these become \uXXXX escapes (valid JSON and YAML alike), so a renderer that
# does not know frontmatter and shows it as Markdown still shows text, not markup or links.
_INERT = str.maketrans({c: f"\\u{ord(c):04x}" for c in "<>&[]"})


def _yaml(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).translate(_INERT)
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(item) for item in value) + "]"
    return json.dumps(value)


def render_note(entry: IssueEntry, issue: Issue, lang: Language | None = None) -> str:
    """The note for one summarized paper."""
    lang = lang or get_language("en")
    _ = lang.gettext
    paper = entry.paper
    record = entry.summary
    assert record is not None
    summary = record.summary
    links = [u for u in (paper_url(paper), safe_url(paper.pdf_url)) if u]
    tags = sorted({t for t in (tag(k) for k in summary.keywords) if t})
    published = paper.published.date().isoformat() if paper.published else issue.date.isoformat()
    details = entry_details(entry)
    code = [u for u in (safe_url(c) for c in details.code) if u]
    venue = plain(details.venue or "")
    front = {
        "id": paper.id,
        "title": plain(paper.title),
        **(
            {"title_translated": plain(summary.title_translated)}
            if summary.title_translated and not lang.is_english
            else {}
        ),
        "language": lang.tag,
        "authors": [plain(a.name) for a in paper.authors],
        "date": published,
        "issue": issue.id,
        "source": paper.source,
        "links": links,
        **(
            {"affiliations": [plain(a) for a in details.affiliations]}
            if details.affiliations
            else {}
        ),
        **({"venue": venue} if venue else {}),
        **({"code": code} if code else {}),
        "tags": tags,
        # an extractive summary's score is a placeholder: nothing assessed the paper
        **({} if record.extractive else {"significance": summary.significance}),
        "summary_model": record.model,
    }
    lines = ["---"]
    lines += [f"{key}: {_yaml(value)}" for key, value in front.items()]
    lines += ["---", "", f"# {md_escape(paper.title)}", ""]
    if summary.title_translated and not lang.is_english:
        lines += [f"*{md_escape(summary.title_translated)}*", ""]
    if links:
        lines += [f"<{links[0]}>", ""]
    if details.affiliations:
        lines += ["*" + md_escape("; ".join(details.affiliations)) + "*", ""]
    if venue:
        lines += [_("Venue:") + " " + md_escape(venue), ""]
    if code:
        lines += [_("Code:") + " " + ", ".join(f"<{url}>" for url in code), ""]
    for key, label in SECTION_LABELS:
        text = md_escape(getattr(summary, key))
        if text:
            lines += [f"## {_(label)}", "", text, ""]
    if not record.extractive:
        reason = md_escape(summary.significance_reason)
        score = _("Significance: %(score)s/10") % {"score": summary.significance}
        lines += [f"{score} — {reason}", ""]
    if entry.why:
        lines += [_("Why it was picked: %(why)s") % {"why": md_escape(entry.why)}, ""]
    return "\n".join(lines)


def write_notes(issue: Issue, notes_dir: Path, lang: Language | None = None) -> list[Path]:
    """Write a note for every summarized paper of ``issue``; returns the paths written."""
    written = []
    for entry in [*issue.highlights, *issue.noteworthy]:
        if entry.summary is None:
            continue
        path = notes_dir / note_name(entry)
        atomic_write_text(path, render_note(entry, issue, lang))
        written.append(path)
    return written
