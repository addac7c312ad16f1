"""The pydantic models that travel between stages (the seams of the pipeline)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

SourceName = Literal["arxiv", "biorxiv", "medrxiv", "feed", "local"]

_LATEX_BREAKS = re.compile(r"\\\\|\\newline\b")
_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # NUL & co: never text, break files/HTML
_LATEX_ESCAPES = re.compile(r"\\([%&_#$])")  # 76\% -> 76%, R\&D -> R&D
_LATEX_QUOTES = (("``", "\u201c"), ("''", "\u201d"))


def normalize_text(value: object) -> str:
    """Collapse whitespace and LaTeX-ish line breaks; unescape \\% \\& \\_ \\# \\$ and ``quotes''."""
    if value is None:
        return ""
    text = _CONTROL.sub("", _LATEX_BREAKS.sub(" ", str(value)))
    text = _LATEX_ESCAPES.sub(r"\1", text)
    for tex, quote in _LATEX_QUOTES:
        text = text.replace(tex, quote)
    return _WS.sub(" ", text).strip()


CleanText = Annotated[str, BeforeValidator(normalize_text)]


class Model(BaseModel):
    """Base for every seam model: unknown fields are errors, values are validated."""

    model_config = ConfigDict(extra="forbid")


class Author(Model):
    name: CleanText
    affiliations: list[str] = Field(default_factory=list)


class Paper(Model):
    """One work, whatever the source: the id is source-qualified and version-free."""

    id: str = Field(description="e.g. arxiv:2410.05258 or biorxiv:10.1101/2023.09.12.557460")
    source: SourceName
    version: int | None = None
    title: CleanText
    authors: list[Author] = Field(default_factory=list)
    abstract: CleanText = ""
    categories: list[str] = Field(default_factory=list)
    primary_category: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    doi: str | None = None
    comment: CleanText | None = None
    journal_ref: CleanText | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    origin: str | None = Field(default=None, description="feed title or API the paper came from")
    announce_type: str | None = Field(default=None, description="arXiv RSS: new/cross/replace")
    aliases: list[str] = Field(
        default_factory=list, description="other ids of the same work (doi:..., arxiv:...)"
    )

    @field_validator("id")
    @classmethod
    def _id_is_qualified(cls, value: str) -> str:
        if ":" not in value:
            raise ValueError(f"paper id {value!r} must be source-qualified, like arxiv:2410.05258")
        return value

    @property
    def short_id(self) -> str:
        """The id without its source prefix (2410.05258)."""
        return self.id.split(":", 1)[1]

    @property
    def versioned_id(self) -> str:
        return f"{self.short_id}v{self.version}" if self.version else self.short_id

    def author_names(self, limit: int = 3) -> str:
        """'A, B, C et al.' style author line."""
        names = [a.name for a in self.authors]
        if not names:
            return ""
        if len(names) <= limit:
            return ", ".join(names)
        return ", ".join(names[:limit]) + " et al."

    @property
    def text_for_matching(self) -> str:
        return f"{self.title}\n{self.abstract}"


class DateWindow(Model):
    """An inclusive range of days; the unit every source fetches by."""

    since: date
    until: date
    label: str = ""

    def model_post_init(self, __context: object) -> None:
        if self.until < self.since:
            from papercast.errors import InputError

            raise InputError(
                f"the window ends ({self.until}) before it starts ({self.since})",
                "give --until on or after --since",
            )
        if not self.label:
            self.label = f"{self.since.isoformat()}..{self.until.isoformat()}"

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def contains(self, day: date) -> bool:
        return self.since <= day <= self.until

    def dates(self) -> list[date]:
        return [self.since + timedelta(days=i) for i in range(self.days)]


class SourceReport(Model):
    """What one source returned for a window, and why it was empty if it was."""

    source: str
    fetched: int = 0
    new: int = 0
    updated: int = Field(default=0, description="known papers that came with a new version")
    duplicates: int = 0
    already_seen: int = 0
    excluded: int = 0
    excluded_by: dict[str, int] = Field(default_factory=dict)
    candidates: int = Field(default=0, description="unseen papers that passed the filters")
    out_of_window: int = Field(
        default=0, description="papers the server sent dated outside the window: dropped"
    )
    requests: int = 0
    empty_reason: str | None = None
    error: str | None = None
    status: int | None = None


class FetchReport(Model):
    window: DateWindow
    sources: list[SourceReport] = Field(default_factory=list)
    paper_ids: list[str] = Field(default_factory=list, description="candidates, new this run")

    @property
    def total_new(self) -> int:
        return sum(s.new for s in self.sources)


# --- summaries -------------------------------------------------------------------------

SUMMARY_SCHEMA_VERSION = 1


class Summary(Model):
    """The structured summary an LLM (or the extractive backend) writes for one paper."""

    tldr: str = Field(description="One sentence: what the paper does and finds.")
    method: str = Field(description="A dense paragraph on the approach, data and setup.")
    results: str = Field(description="A dense paragraph on findings, with numbers and baselines.")
    critiques: str = Field(description="A paragraph on limitations and open questions.")
    implications: str = Field(description="A paragraph on why it matters and for whom.")
    significance: int = Field(ge=1, le=10, description="1-10: how important for the field.")
    significance_reason: str = Field(description="One line justifying the score.")
    keywords: list[str] = Field(default_factory=list, description="3-8 topical keywords.")


class Usage(Model):
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    requests: int = 0


class SummaryRecord(Model):
    """A summary as stored: what it says, how it was made and how far to trust it."""

    paper_id: str
    version: int | None = None
    model: str
    backend: Literal["llm", "extractive"] = "llm"
    prompt_hash: str = ""
    schema_version: int = SUMMARY_SCHEMA_VERSION
    summary: Summary
    source_text: Literal["full", "abstract"] = "abstract"
    ungrounded: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    created_at: datetime | None = None

    @property
    def extractive(self) -> bool:
        return self.backend == "extractive"


# --- the issue -------------------------------------------------------------------------


class IssueEntry(Model):
    """One paper as it appears in an issue."""

    paper: Paper
    summary: SummaryRecord | None = None
    score: float = 0.0
    starred: bool = False
    why: str = ""


class Issue(Model):
    """A weekly issue: everything the renderers, audio and exporters need."""

    id: str = Field(description="ISO week, e.g. 2024-W41")
    title: str
    date: date
    intro: str = ""
    outro: str = ""
    transparency: str = ""
    model: str = ""
    extractive: bool = False
    highlights: list[IssueEntry] = Field(default_factory=list)
    noteworthy: list[IssueEntry] = Field(default_factory=list)
    audio_duration_seconds: float | None = None
    audio_file: str | None = None

    @property
    def audio_duration(self) -> str | None:
        """'16:39' (or '1:02:03')."""
        if self.audio_duration_seconds is None:
            return None
        total = round(self.audio_duration_seconds)
        hours, rest = divmod(total, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
