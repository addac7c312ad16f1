"""The pydantic models that travel between stages (the seams of the pipeline)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

SourceName = Literal["arxiv", "biorxiv", "medrxiv", "feed", "local"]

# What no output may carry; dropped wherever text enters papercast (see safe_text).
_UNSAFE_RANGES = (
    r"\x00-\x08\x0e-\x1f\x7f",  # C0 controls but tab/newline/CR: XML 1.0 forbids them
    r"\x80-\x84\x86-\x9f",  # C1 controls: invisible, and XML 1.0 discourages them
    r"\ud800-\udfff",  # lone surrogates (JSON can carry them): not encodable as UTF-8
    r"\ufdd0-\ufdef\ufffe\uffff",  # noncharacters (XML forbids U+FFFE, U+FFFF)
    r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069",  # bidi marks, embeddings, overrides
    r"\u00ad\u180e\u200b\u2060-\u2064\ufeff",  # soft hyphen, zero-width, invisible operators
    r"\u3164\uffa0\ufff9-\ufffb",  # blank fillers, interlinear annotation
)
_LINE_BREAKS = "\x0b\x0c\x85\u2028\u2029"  # become spaces: XML-forbidden or JS-breaking
# One pass over the text. Astral characters are matched as one range and sorted out in
# _replace (U+nFFFE/U+nFFFF and tag characters go, emoji stay): a class listing them one by
# one would make every search several times slower.
_SUSPECT = re.compile("[" + "".join(_UNSAFE_RANGES) + _LINE_BREAKS + r"\U00010000-\U0010ffff" + "]")
_ASCII_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LATEX_BREAKS = re.compile(r"\\\\|\\newline\b")
_WS = re.compile(r"\s+")
_LATEX_ESCAPES = re.compile(r"\\([%&_#$])")  # 76\% -> 76%, R\&D -> R&D
_LATEX_QUOTES = (("``", "\u201c"), ("''", "\u201d"))


def safe_text(text: str) -> str:
    r"""``text`` without the characters that break an output or deceive a reader.

    Dropped: control characters (XML 1.0 forbids them), lone surrogates, Unicode
    noncharacters (U+FFFE, U+FFFF...), bidi controls that reorder what a reader sees (U+202E...)
    and invisible characters (zero-width space, soft hyphen, BOM, tag characters). Vertical
    tab, form feed and the Unicode line and paragraph separators become spaces. Zero-width
    (non-)joiners stay: scripts and emoji need them. A plain drop, so ``accelerat\ufffeing``
    (pdfium's hyphenation mark, in PDF metadata) reads ``accelerating``.
    """
    if text.isascii() and not _ASCII_UNSAFE.search(text):
        return text
    return _SUSPECT.sub(_replace, text)


def _replace(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code > 0xFFFF:  # planes 1-16: only the noncharacters and the tag characters go
        return "" if (code & 0xFFFE) == 0xFFFE or 0xE0000 <= code <= 0xE007F else char
    return " " if char in _LINE_BREAKS else ""


def safe_tree(value: Any) -> Any:
    """``value`` with :func:`safe_text` applied to every string in it (dict keys too)."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        # (strings inline: most values are strings, and a call per string doubles the cost)
        return {
            (safe_text(k) if isinstance(k, str) else k): (
                safe_text(v) if isinstance(v, str) else safe_tree(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)([safe_text(v) if isinstance(v, str) else safe_tree(v) for v in value])
    return value


def normalize_text(value: object) -> str:
    """Collapse whitespace and LaTeX-ish line breaks; unescape \\% \\& \\_ \\# \\$ and ``quotes''."""
    if value is None:
        return ""
    text = safe_text(_LATEX_BREAKS.sub(" ", str(value)))
    text = _LATEX_ESCAPES.sub(r"\1", text)
    for tex, quote in _LATEX_QUOTES:
        text = text.replace(tex, quote)
    return _WS.sub(" ", text).strip()


CleanText = Annotated[str, BeforeValidator(normalize_text)]


class Model(BaseModel):
    """Base for every seam model: unknown fields are errors, values are validated.

    Every string a seam model is given passes :func:`safe_text`, wherever it comes from: a
    source, a PDF's metadata, an LLM, an import, or the store (rows stored before included).
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _safe_strings(cls, data: Any) -> Any:
        return safe_tree(data)


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
    title_translated: str = Field(
        default="",
        description="The title in the summary's language; empty when that is the title's own.",
    )


class Usage(Model):
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    requests: int = 0
    estimated: bool = Field(
        default=False, description="some tokens were estimated: the server reported no usage"
    )


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


class PaperDetails(Model):
    """What an entry shows beyond the summary (papercast.details): plain text, http(s) links."""

    affiliations: list[str] = Field(default_factory=list)
    code: list[str] = Field(default_factory=list, description="repositories, project pages")
    venue: str | None = Field(default=None, description="journal reference or accepted venue")

    @property
    def empty(self) -> bool:
        return not (self.affiliations or self.code or self.venue)


class IssueEntry(Model):
    """One paper as it appears in an issue."""

    paper: Paper
    summary: SummaryRecord | None = None
    details: PaperDetails | None = None
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
    transcript_file: str | None = Field(
        default=None, description="the episode's WebVTT transcript (its .txt is beside it)"
    )

    @property
    def audio_duration(self) -> str | None:
        """'16:39' (or '1:02:03')."""
        if self.audio_duration_seconds is None:
            return None
        total = round(self.audio_duration_seconds)
        hours, rest = divmod(total, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class ChannelDelivery(Model):
    """What happened to one notice on one ``[notify]`` channel (named, never by its URL)."""

    channel: str = Field(description='e.g. "channel 2 (slack)"')
    event: Literal["issue", "empty", "failure"]
    status: Literal["sent", "failed", "already-sent"]
    attempts: int = 0
    error: str | None = None


# --- what the store keeps about the reader and about every paid call ----------------------

_TITLE_KEY = re.compile(r"[^a-z0-9]+")
CallStatus = Literal["ok", "error", "invalid", "refusal", "timeout", "rate_limited"]


class HistoryRecord(Model):
    """One paper from the reader's past: what it was and whether they picked it."""

    title: CleanText = ""
    abstract: CleanText = ""
    paper_id: str | None = Field(default=None, description="papercast id when one is known")
    ref: str | None = Field(default=None, description="the id or url as given in the file")
    picked: bool = True
    added: datetime | None = None
    paper_date: datetime | None = Field(default=None, description="when the paper was listed")
    screened_on: datetime | None = Field(
        default=None, description="the day the reader screened the batch holding it"
    )
    shown_on: datetime | None = Field(
        default=None, description="the day it was first shown, if before screened_on"
    )
    line: int = Field(default=0, description="where the record starts in its file (1-based)")

    @property
    def key(self) -> str:
        """What makes two records the same paper: its id, else its link, else its title."""
        if self.paper_id:
            return self.paper_id
        if self.ref:
            return f"ref:{self.ref}"
        return "title:" + _TITLE_KEY.sub(" ", self.title.lower()).strip()

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.abstract}".strip()


class CallLog(BaseModel):
    """One request to a model, as recorded in llm_calls (never the key, never the text)."""

    model_config = ConfigDict(extra="forbid")

    model: str
    purpose: str = "summary"
    status: CallStatus = "ok"
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    usage_estimated: bool = Field(
        default=False, description="the server reported no usage: tokens estimated from the text"
    )
    duration_ms: int = 0
    error: str | None = None
    options: dict[str, object] = Field(default_factory=dict)


class TTSCall(BaseModel):
    """One request to a speech engine, as logged in the ``tts_calls`` table."""

    model_config = ConfigDict(extra="forbid")

    engine: str
    voice: str
    model: str | None = None
    chars: int
    audio_seconds: float | None = None
    duration_ms: int | None = None
    status: str = "ok"
    error: str | None = None
    cost_usd: float = 0.0
