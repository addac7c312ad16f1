"""Assemble a weekly Issue: highlights (full summaries) and also-noteworthy one-liners.

The rules, in order:

1. ``ranked`` is best-first; a paper listed twice keeps its first (best) place.
2. Highlights come from the summarized papers among the top ``highlights x highlight_pool``
   summarized candidates: the most significant of them (ties go to the better rank), shown in
   rank order. Papers without a summary are never highlights.
3. Everything else, in rank order, becomes an also-noteworthy one-liner (up to ``noteworthy``):
   the summary's TL;DR, or the first sentence of the abstract when there is no summary.
4. The ``star_top`` best one-liners (significance first, then rank) get a star.

Same inputs give the same Issue: nothing here reads the clock.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from papercast.config import Settings
from papercast.errors import ConfigError, InputError
from papercast.models import Issue, IssueEntry, SummaryRecord

_ISSUE_ID = re.compile(r"^(\d{4})-W(\d{2})$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "etc.", "vs.", "cf.", "Fig.", "Eq.", "approx.")
_ONE_LINER_MAX = 320


def issue_id_for(day: date) -> str:
    """The ISO week id of ``day``: ``2024-W41``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_issue_id(issue_id: str) -> tuple[int, int]:
    """(year, week) of an id like ``2024-W41``; InputError for anything else."""
    match = _ISSUE_ID.match(issue_id.strip())
    if match:
        year, week = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            pass
        else:
            return year, week
    raise InputError(
        f"{issue_id!r} is not an issue id",
        "issue ids are ISO weeks like 2024-W41",
    )


def issue_sunday(issue_id: str) -> date:
    """The Sunday that ends the ISO week of ``issue_id`` (the default issue date)."""
    year, week = parse_issue_id(issue_id)
    return date.fromisocalendar(year, week, 7)


def first_sentence(text: str, limit: int = _ONE_LINER_MAX) -> str:
    """The first sentence of ``text`` (abbreviation-aware), cut to ``limit`` characters."""
    text = " ".join(text.split())
    if not text:
        return ""
    protected = text
    for i, abbr in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbr, abbr.replace(".", f"\x00{i}\x00"))
    head = _SENTENCE_END.split(protected, maxsplit=1)[0]
    for i, abbr in enumerate(_ABBREVIATIONS):
        head = head.replace(abbr.replace(".", f"\x00{i}\x00"), abbr)
    head = re.sub(r"\x00\d+\x00", ".", head)
    if len(head) > limit:
        cut = head[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
        head = cut + "…"
    return head


def one_liner(entry: IssueEntry) -> str:
    """What an also-noteworthy line says: the TL;DR, else the abstract's first sentence."""
    if entry.summary is not None and entry.summary.summary.tldr.strip():
        return " ".join(entry.summary.summary.tldr.split())
    return first_sentence(entry.paper.abstract) or "No abstract available."


def _significance(entry: IssueEntry) -> int:
    """The assessed significance; 0 where nothing assessed the paper (no summary, or an
    extractive one, whose score is a placeholder)."""
    record = entry.summary
    return record.summary.significance if record is not None and not record.extractive else 0


def _dedupe(ranked: list[IssueEntry]) -> list[IssueEntry]:
    seen: set[str] = set()
    result = []
    for entry in ranked:
        if entry.paper.id not in seen:
            seen.add(entry.paper.id)
            result.append(entry)
    return result


def _attach(entry: IssueEntry, summaries: dict[str, SummaryRecord]) -> IssueEntry:
    record = summaries.get(entry.paper.id, entry.summary)
    return entry.model_copy(update={"summary": record, "starred": False})


def choose_highlights(entries: list[IssueEntry], count: int, pool: int) -> list[int]:
    """Positions (into ``entries``, best-first) of the highlights, in rank order."""
    summarized = [i for i, e in enumerate(entries) if e.summary is not None]
    candidates = summarized[: count * pool]
    best = sorted(candidates, key=lambda i: (-_significance(entries[i]), i))[:count]
    return sorted(best)


def _render_text(template: str, context: dict[str, object], key: str) -> str:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    try:
        return env.from_string(template).render(**context).strip()
    except TemplateError as exc:
        raise ConfigError(
            f"[issue] {key} is not a valid template: {exc}",
            "use placeholders like {{ date.strftime('%b %d, %Y') }}, {{ issue_id }}, "
            "{{ show_name }}, {{ highlights_count }}",
        ) from None


def _join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def transparency_line(entries: list[IssueEntry], issue_date: date) -> tuple[str, str, bool]:
    """(sentence, main model, extractive) telling readers who wrote the summaries."""
    records = [e.summary for e in entries if e.summary is not None]
    llm = [r for r in records if not r.extractive]
    day = issue_date.isoformat()
    if not llm:
        line = (
            f"These summaries are extractive: sentences taken from each paper's abstract, "
            f"not written by a language model. Assembled on {day}."
        )
        return line, "extractive", True
    counts = Counter(r.model for r in llm)
    models = sorted(counts, key=lambda m: (-counts[m], m))
    line = f"This issue was written by {_join_names(models)} on {day}."
    if len(llm) < len(records):
        line += " Some summaries are extractive (taken from the abstract)."
    return line, models[0], False


def assemble_issue(
    issue_id: str,
    *,
    ranked: list[IssueEntry],
    summaries: dict[str, SummaryRecord],
    settings: Settings,
    issue_date: date | None = None,
) -> Issue:
    """Build the week's Issue from ranked candidates (best first) and their summaries."""
    parse_issue_id(issue_id)
    config = settings.issue
    day = issue_date or issue_sunday(issue_id)
    entries = [_attach(e, summaries) for e in _dedupe(ranked)]
    picked = set(choose_highlights(entries, config.highlights, config.highlight_pool))
    highlights = [e for i, e in enumerate(entries) if i in picked]
    rest = [(i, e) for i, e in enumerate(entries) if i not in picked][: config.noteworthy]
    assessed = [(i, e) for i, e in rest if _significance(e) > 0]  # no star where nothing judged
    starred = {
        i
        for i, _ in sorted(assessed, key=lambda p: (-_significance(p[1]), p[0]))[: config.star_top]
    }
    noteworthy = [e.model_copy(update={"starred": i in starred}) for i, e in rest]
    line, model, extractive = transparency_line(highlights + noteworthy, day)
    context: dict[str, object] = {
        "date": day,
        "issue_id": issue_id,
        "show_name": config.show_name,
        "highlights_count": len(highlights),
        "noteworthy_count": len(noteworthy),
        "model": model,
    }
    return Issue(
        id=issue_id,
        title=_render_text(config.title, context, "title"),
        date=day,
        intro=_render_text(config.intro, context, "intro"),
        outro=_render_text(config.outro, context, "outro"),
        transparency=line,
        model=model,
        extractive=extractive,
        highlights=highlights,
        noteworthy=noteworthy,
    )
