"""Full text for summaries: download a paper's PDF (cached on disk), extract its text, and fit it
to the model's budget section by section.

- Extraction uses pypdfium2 (fastest and most robust in bench/bench_pdf.py); at most
  ``[llm] max_pdf_pages`` pages are read and downloads are capped at ``max_pdf_mb``.
- A missing, corrupt, non-PDF or scanned (no text layer) file is not an error for the run: the
  caller falls back to the abstract and records why.
- ``budget_text`` keeps the front matter, abstract, introduction, method, results and
  conclusion when the paper is too long, dropping references, appendices and related work first,
  instead of cutting the tail blindly.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pypdfium2 as pdfium
from pydantic import BaseModel, ConfigDict

from papercast.config import Settings
from papercast.errors import PapercastError, SourceError
from papercast.http import HttpFetcher, HTTPStatusError, Limits, SlowDownloadError
from papercast.layout import (
    TEXT_CACHE_SUFFIX,
    Layout,
    cached_fulltext,
    pdf_cache_path,
    write_cache_bytes,
)
from papercast.llm.pricing import CHARS_PER_TOKEN
from papercast.models import Paper
from papercast.sections import Role, Section, split_sections
from papercast.summarize.pdfmeta import PdfIdentity, identify
from papercast.summarize.pdftext import clean_pages

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 400  # less than this from a whole PDF means a scan without a text layer
PROMPT_OVERHEAD_TOKENS = 1500
MAX_CONNECTION_FAILURES = 3  # then skip the remaining downloads of this pass (offline?)

# Which sections survive a tight budget, best first. References are dropped whenever cutting.
PRIORITY: tuple[Role, ...] = (
    "front",
    "abstract",
    "intro",
    "conclusion",
    "method",
    "results",
    "limitations",
    "discussion",
    "other",
    "related",
    "appendix",
)
ESSENTIAL: frozenset[Role] = frozenset(
    {"front", "abstract", "intro", "method", "results", "conclusion"}
)


class FullTextError(PapercastError):
    """A PDF that cannot give us text; ``reason`` is one of not_pdf, corrupt, no_text."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, "the summary falls back to the abstract")
        self.reason = reason


class FullText(BaseModel):
    """What the summarizer gets for one paper."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    pages: int = 0
    total_pages: int = 0
    note: str | None = None  # why there is no full text

    @property
    def available(self) -> bool:
        return bool(self.text)


@dataclass
class ExtractedPdf:
    text: str  # clean: see papercast.summarize.pdftext
    pages: int
    total_pages: int
    title: str | None
    identity: PdfIdentity = field(default_factory=PdfIdentity)


def _render(section: Section, body: str) -> str:
    return f"{section.heading}\n{body}".strip() if section.heading else body


def _cut(text: str, limit: int) -> str:
    """The head of ``text`` within ``limit`` characters, ending at a sentence if possible."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    stop = max(head.rfind(". "), head.rfind(".\n"))
    return (head[: stop + 1] if stop > limit // 2 else head).rstrip() + " […]"


def budget_text(text: str, max_tokens: int) -> str:
    """``text`` if it fits ``max_tokens``; else the most useful sections, in document order."""
    limit = max_tokens * CHARS_PER_TOKEN
    if len(text) <= limit:
        return text
    sections = [s for s in split_sections(text) if s.role != "references"]
    if len(sections) <= 1:  # no structure found: keep the opening and the end (conclusions)
        head = limit * 4 // 5
        return f"{_cut(text, head)}\n\n[…]\n\n{text[len(text) - (limit - head) :]}"
    present = [s for s in sections if s.role in ESSENTIAL] or sections
    share = limit // max(1, len(present))
    keep: dict[int, int] = {}  # section index -> characters kept
    remaining = limit
    for index, section in enumerate(sections):  # pass 1: a fair share for the essentials
        if section in present:
            take = min(len(section.text), share, remaining)
            keep[index] = take
            remaining -= take
    order = sorted(range(len(sections)), key=lambda i: PRIORITY.index(sections[i].role))
    for index in order:  # pass 2: grow sections by priority with what is left
        if remaining <= 0:
            break
        extra = min(len(sections[index].text) - keep.get(index, 0), remaining)
        if extra > 0:
            keep[index] = keep.get(index, 0) + extra
            remaining -= extra
    parts = []
    for index, section in enumerate(sections):
        kept = keep.get(index, 0)
        if kept <= 0:
            if section.heading:
                parts.append(f"[section omitted: {section.heading}]")
            continue
        parts.append(_render(section, _cut(section.text, kept)))
    return "\n\n".join(parts)


def context_budget(settings: Settings) -> int:
    """Tokens of paper text per request: the model's context minus output and prompt."""
    config = settings.llm
    room = config.context_tokens - config.max_output_tokens - PROMPT_OVERHEAD_TOKENS
    return max(500, min(room, config.fulltext_max_tokens))


class PdfExtractor:
    """Text from PDF bytes with pypdfium2. PDFium is not thread-safe: one lock per extractor."""

    def __init__(self, max_pages: int = 150) -> None:
        self.max_pages = max_pages
        self._lock = threading.Lock()

    def extract(self, data: bytes, *, identify: bool = True) -> ExtractedPdf:
        """Clean text, and (unless ``identify`` is false) title, authors and arXiv identity."""
        if b"%PDF-" not in data[:1024]:
            kind = "an HTML page" if b"<html" in data[:2048].lower() else "not a PDF"
            raise FullTextError(f"the file is {kind}", "not_pdf")
        with self._lock:
            try:
                document = pdfium.PdfDocument(data)
            except pdfium.PdfiumError as exc:
                raise FullTextError(f"the PDF is damaged ({exc})", "corrupt") from None
            try:
                return self._read(document, identify)
            finally:
                document.close()

    def pages_to_read(self, total: int) -> list[int]:
        """All pages, or for a long document its head and its last quarter of the allowance."""
        if total <= self.max_pages:
            return list(range(total))
        tail = self.max_pages // 4
        head = self.max_pages - tail
        return [*range(head), *range(total - tail, total)]

    def _read(self, document: pdfium.PdfDocument, with_identity: bool) -> ExtractedPdf:
        total = len(document)
        texts = []
        for index in self.pages_to_read(total):
            page = document[index]
            textpage = page.get_textpage()
            try:
                texts.append(textpage.get_text_range())
            finally:
                textpage.close()
                page.close()
        text = clean_pages(texts).text
        if len(text.replace(" ", "").replace("\n", "")) < MIN_TEXT_CHARS:
            raise FullTextError("the PDF has no text layer (a scan?)", "no_text")
        # page 1's fonts tell title and authors; the weekly run already knows its papers
        identity = identify(document, texts[0]) if with_identity and texts else PdfIdentity()
        return ExtractedPdf(
            text=text,
            pages=len(texts),
            total_pages=total,
            title=identity.title,
            identity=identity,
        )


def pdf_url(paper: Paper) -> str | None:
    """Where the paper's PDF is: its metadata link, else the source's usual address."""
    if paper.pdf_url:
        return paper.pdf_url
    if paper.source == "arxiv":
        return f"https://arxiv.org/pdf/{paper.versioned_id}"
    if paper.source in ("biorxiv", "medrxiv"):
        version = f"v{paper.version}" if paper.version else ""
        return f"https://www.{paper.source}.org/content/{paper.short_id}{version}.full.pdf"
    return None


class FullTextFetcher:
    """Downloads (cached under ``layout.pdf_cache``) and extracts; thread-safe."""

    def __init__(self, settings: Settings, layout: Layout) -> None:
        self.settings = settings
        self.layout = layout
        self.extractor = PdfExtractor(settings.llm.max_pdf_pages)
        self.http = self._fetcher(0.0)
        # arxiv.org asks for gentle crawling: space its PDF downloads (1 s at the default 3 s
        # API delay; 0 when tests set the delay to 0).
        self.arxiv_http = self._fetcher(settings.arxiv.delay_seconds / 3)
        self.downloads = 0
        self.connection_failures = 0  # after MAX_CONNECTION_FAILURES, stop trying (offline)

    def _fetcher(self, min_interval: float) -> HttpFetcher:
        return HttpFetcher(
            timeout=min(self.settings.llm.timeout, 120.0),
            retries=2,
            backoff=0.5,
            min_interval=min_interval,
            max_bytes=self.settings.llm.max_pdf_mb * 1024 * 1024,
            limits=Limits.from_config(self.settings.download),
        )

    def close(self) -> None:
        self.http.close()
        self.arxiv_http.close()

    def __enter__(self) -> FullTextFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cache_path(self, paper: Paper) -> Path:
        return pdf_cache_path(self.layout, paper)

    def text_cache_path(self, paper: Paper) -> Path:
        """The extracted text; the suffix names the cleaning version, so older caches of
        uncleaned text are not reused."""
        return self.cache_path(paper).with_suffix(TEXT_CACHE_SUFFIX)

    def cached_text(self, paper: Paper) -> str | None:
        return cached_fulltext(self.layout, paper)

    def get(self, paper: Paper) -> FullText:
        """The paper's extracted text, or a note saying why there is none."""
        text_path = self.text_cache_path(paper)
        if text_path.is_file():
            return FullText(text=text_path.read_text(encoding="utf-8"), note="cached")
        try:
            data = self._pdf_bytes(paper)
            extracted = self.extractor.extract(data, identify=False)
        except FullTextError as exc:
            log.info("%s: no full text: %s", paper.id, exc.message)
            return FullText(note=exc.message)
        except (SourceError, PapercastError) as exc:
            slow = isinstance(exc, SlowDownloadError)  # one slow server says nothing of others
            if isinstance(exc, SourceError) and exc.status is None and not slow:
                self.connection_failures += 1
            log.info("%s: PDF download failed: %s", paper.id, exc.message)
            return FullText(note=f"PDF download failed: {exc.message}")
        write_cache_bytes(text_path, extracted.text.encode("utf-8"))  # optional: text is in hand
        return FullText(
            text=extracted.text, pages=extracted.pages, total_pages=extracted.total_pages
        )

    def _pdf_bytes(self, paper: Paper) -> bytes:
        path = self.cache_path(paper)
        if path.is_file():
            return path.read_bytes()
        url = pdf_url(paper)
        if url is None:
            raise FullTextError("the paper has no PDF link", "no_pdf")
        if self.connection_failures >= MAX_CONNECTION_FAILURES:
            raise FullTextError(
                "PDF downloads skipped after repeated connection failures (offline?)", "no_pdf"
            )
        try:
            host = (urlsplit(url).hostname or "").lower()
            http = self.arxiv_http if host.endswith("arxiv.org") else self.http
            response = http.get(url, what=f"PDF of {paper.id}")
        except HTTPStatusError as exc:
            raise FullTextError(
                f"the PDF link answered HTTP {exc.response.status_code}", "no_pdf"
            ) from None
        self.downloads += 1
        data = response.content
        if b"%PDF-" in data[:1024]:
            write_cache_bytes(path, data)
        return data
