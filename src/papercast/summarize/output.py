"""``papercast summarize`` output: Markdown, HTML (escaped) or JSON lines, from templates.

Extractive summaries are labelled in every format; ungrounded numbers are shown as a warning.
Templates live in templates/summarize/ and can be overridden from [issue] templates_dir.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from papercast.details import paper_details
from papercast.i18n import get_language
from papercast.models import Paper, PaperDetails, SummaryRecord
from papercast.resources import templates_dir
from papercast.text import md_escape, safe_url

OutputFormat = Literal["md", "json", "html"]


class SummaryItem(BaseModel):
    """One summarized paper as shown to the user."""

    model_config = ConfigDict(extra="forbid")

    paper: Paper
    record: SummaryRecord
    cached: bool = False
    note: str | None = None  # why the summary is abstract-based
    details: PaperDetails = Field(default_factory=PaperDetails)

    @classmethod
    def build(
        cls, paper: Paper, record: SummaryRecord, fulltext: str | None = None, **values: Any
    ) -> SummaryItem:
        """An item with the paper's affiliations, code links and venue filled in."""
        return cls(paper=paper, record=record, details=paper_details(paper, fulltext), **values)

    def as_json(self) -> dict[str, Any]:
        record = self.record
        return {
            "paper": self.paper.model_dump(mode="json"),
            "summary": _summary_json(record),
            "source_text": record.source_text,
            "ungrounded": record.ungrounded,
            "usage": record.usage.model_dump(mode="json"),
            "cached": self.cached,
            "backend": record.backend,
            "extractive": record.extractive,
            "model": record.model,
            "note": self.note,
            "details": self.details.model_dump(mode="json"),
        }


def _summary_json(record: SummaryRecord) -> dict[str, Any]:
    """The summary's fields; an extractive summary has no significance (nothing assessed it)."""
    data = record.summary.model_dump(mode="json")
    if record.extractive:
        data["significance"] = data["significance_reason"] = None
    return data


def _environment(override: Path | None, language: str) -> jinja2.Environment:
    search = [str(override)] if override is not None else []
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*search, str(templates_dir())]),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    lang = get_language(language)
    env.install_gettext_translations(lang.translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters["safe_url"] = safe_url  # only http(s) links, as in the issue
    env.filters["md"] = md_escape  # Markdown as issue.md escapes it
    return env


def render_summaries(
    items: list[SummaryItem],
    fmt: OutputFormat,
    templates: Path | None = None,
    language: str = "en",
) -> str:
    """All items in one document (md, html) or one JSON object per line (json); the fixed text
    in ``language`` (``[issue] language``)."""
    if fmt == "json":
        return "".join(json.dumps(item.as_json(), ensure_ascii=False) + "\n" for item in items)
    name = "summarize/summary.html.j2" if fmt == "html" else "summarize/summary.md.j2"
    lang = get_language(language)
    return (
        _environment(templates, language)
        .get_template(name)
        .render(items=items, lang=lang.tag, dir=lang.direction, english=lang.is_english)
    )
