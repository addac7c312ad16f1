"""One Markdown note per summarized paper, with YAML frontmatter (e.g. for an Obsidian vault).

Frontmatter values are written as JSON strings and lists, which are valid YAML flow scalars:
any title, however hostile, round-trips without a YAML library and without injection.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from papercast.layout import atomic_write_text, safe_name
from papercast.models import Issue, IssueEntry
from papercast.render import SECTION_LABELS, paper_url, plain, safe_url

_TAG = re.compile(r"[^0-9A-Za-z_/-]+")


def tag(keyword: str) -> str:
    """An Obsidian-friendly tag: lowercase, no spaces (``"Large models"`` -> ``large-models``)."""
    return _TAG.sub("-", keyword.strip().lower()).strip("-/")


def note_name(entry: IssueEntry) -> str:
    return safe_name(entry.paper.id.replace(":", "-")) + ".md"


def _yaml(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def render_note(entry: IssueEntry, issue: Issue) -> str:
    """The note for one summarized paper."""
    paper = entry.paper
    record = entry.summary
    assert record is not None
    summary = record.summary
    links = [u for u in (paper_url(paper), safe_url(paper.pdf_url)) if u]
    tags = sorted({t for t in (tag(k) for k in summary.keywords) if t})
    published = paper.published.date().isoformat() if paper.published else issue.date.isoformat()
    front = {
        "id": paper.id,
        "title": plain(paper.title),
        "authors": [plain(a.name) for a in paper.authors],
        "date": published,
        "issue": issue.id,
        "source": paper.source,
        "links": links,
        "tags": tags,
        # an extractive summary's score is a placeholder: nothing assessed the paper
        **({} if record.extractive else {"significance": summary.significance}),
        "summary_model": record.model,
    }
    lines = ["---"]
    lines += [f"{key}: {_yaml(value)}" for key, value in front.items()]
    lines += ["---", "", f"# {plain(paper.title)}", ""]
    if links:
        lines += [f"<{links[0]}>", ""]
    for key, label in SECTION_LABELS:
        text = plain(getattr(summary, key))
        if text:
            lines += [f"## {label}", "", text, ""]
    if not record.extractive:
        reason = plain(summary.significance_reason)
        lines += [f"Significance: {summary.significance}/10 — {reason}", ""]
    if entry.why:
        lines += [f"Why it was picked: {plain(entry.why)}", ""]
    return "\n".join(lines)


def write_notes(issue: Issue, notes_dir: Path) -> list[Path]:
    """Write a note for every summarized paper of ``issue``; returns the paths written."""
    written = []
    for entry in [*issue.highlights, *issue.noteworthy]:
        if entry.summary is None:
            continue
        path = notes_dir / note_name(entry)
        atomic_write_text(path, render_note(entry, issue))
        written.append(path)
    return written
