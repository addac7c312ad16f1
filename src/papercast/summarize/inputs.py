"""Turn what a user typed after ``papercast summarize`` into Papers.

arXiv ids/URLs go through ``papercast.sources.arxiv.fetch_by_ids``; bioRxiv/medRxiv DOIs and
links through ``papercast.sources.biorxiv.fetch_by_doi``. A local PDF, or a URL that serves a
PDF, is first asked which paper it is (``papercast.summarize.pdfmeta``: the arXiv margin stamp, an arXiv
DOI or link on page 1, the metadata). An arXiv PDF becomes that arXiv paper, with its record from
the arXiv API when the API answers and from the PDF otherwise, so summarizing the PDF and then
its id is one summary (one cache entry). Any other PDF becomes a ``local`` paper (id
``pdf:<hash>``) titled from the PDF, with the abstract taken from the text. Either way its bytes
go into the PDF cache so the summarizer reads the full text from there.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from papercast.config import Settings
from papercast.errors import InputError, NotFoundError, PapercastError
from papercast.http import HTTPStatusError, ResponseTooLarge
from papercast.ids import Reference, parse_reference
from papercast.layout import Layout, write_cache_bytes
from papercast.models import Author, Paper
from papercast.sections import split_sections
from papercast.summarize.fulltext import ExtractedPdf, FullTextError, FullTextFetcher
from papercast.summarize.pdfmeta import PdfIdentity

log = logging.getLogger(__name__)
MAX_ABSTRACT_CHARS = 2500


class ResolvedInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    papers: list[Paper] = Field(default_factory=list)
    inputs: dict[str, str] = Field(default_factory=dict, description="paper id -> input")
    errors: dict[str, str] = Field(default_factory=dict, description="input -> reason")


def read_refs_file(path: Path) -> list[str]:
    """One reference per line; blank lines and # comments are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", "give a UTF-8 text file") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def abstract_from_text(text: str, title: str | None) -> str:
    """The 'Abstract' section if the text has one, else the opening text after the title."""
    for section in split_sections(text):
        if section.role == "abstract" and section.text:
            return section.text[:MAX_ABSTRACT_CHARS]
    inline = re.search(r"\bAbstract[.:—-]?\s+(.{40,})", text, re.DOTALL | re.IGNORECASE)
    if inline:
        return inline.group(1)[:MAX_ABSTRACT_CHARS]
    body = text
    if title and title in body:
        body = body.split(title, 1)[1]
    return body.strip()[:1500]


def _unexpected(exc: Exception) -> PapercastError:
    log.debug("unexpected failure", exc_info=exc)
    return PapercastError(
        f"{type(exc).__name__}: {exc}", "run again with --debug to see the traceback"
    )


class InputResolver:
    def __init__(self, settings: Settings, layout: Layout) -> None:
        self.settings = settings
        self.layout = layout
        self.fetcher = FullTextFetcher(settings, layout)
        self.exceptions: dict[str, PapercastError] = {}  # input -> the error, as raised

    def _fail(self, out: ResolvedInputs, raw: str, exc: PapercastError) -> None:
        out.errors[raw] = str(exc)
        self.exceptions[raw] = exc

    def close(self) -> None:
        self.fetcher.close()

    def resolve(self, refs: list[str]) -> ResolvedInputs:
        out = ResolvedInputs()
        parsed: list[tuple[str, Reference]] = []
        for raw in refs:
            try:
                parsed.append((raw, parse_reference(raw)))
            except PapercastError as exc:
                self._fail(out, raw, exc)
        arxiv = [(raw, ref) for raw, ref in parsed if ref.kind == "arxiv"]
        if arxiv:
            self._arxiv(arxiv, out)
        for raw, ref in parsed:
            if ref.kind == "arxiv":
                continue
            try:
                paper = self._one(ref)
            except PapercastError as exc:
                self._fail(out, raw, exc)
                continue
            except Exception as exc:  # whatever else goes wrong is this input's failure
                self._fail(out, raw, _unexpected(exc))
                continue
            out.papers.append(paper)
            out.inputs[paper.id] = raw
        order = {raw: i for i, raw in enumerate(refs)}
        out.papers.sort(key=lambda p: order.get(out.inputs.get(p.id, ""), 0))
        return out

    def _arxiv(self, items: list[tuple[str, Reference]], out: ResolvedInputs) -> None:
        from papercast.sources.arxiv import fetch_by_ids

        try:
            papers = fetch_by_ids(self.settings, [raw for raw, _ in items])
            pairs = list(zip(items, papers, strict=True))
        except NotFoundError:
            pairs = []
            for raw, ref in items:  # find out which ones arXiv does not know
                try:
                    pairs.append(((raw, ref), fetch_by_ids(self.settings, [raw])[0]))
                except PapercastError as exc:
                    self._fail(out, raw, exc)
        except Exception as exc:  # arXiv's failure is these inputs' failure, not the others'
            error = exc if isinstance(exc, PapercastError) else _unexpected(exc)
            for raw, _ in items:
                self._fail(out, raw, error)
            return
        for (raw, _ref), paper in pairs:
            out.papers.append(paper)
            out.inputs[paper.id] = raw

    def _one(self, ref: Reference) -> Paper:
        from papercast.sources.biorxiv import fetch_by_doi

        if ref.kind in ("biorxiv", "medrxiv") and ref.doi:
            return fetch_by_doi(self.settings, ref.doi, servers=[ref.kind])
        if ref.kind == "doi" and ref.doi and ref.doi.startswith("10.1101/"):
            return fetch_by_doi(self.settings, ref.doi)
        if ref.kind == "doi":
            raise NotFoundError(
                f"cannot look up DOI {ref.doi}: only arXiv and bioRxiv/medRxiv DOIs are supported",
                "give a link to the PDF or a local PDF path instead",
            )
        if ref.kind == "pdf" and ref.path is not None:
            return self._local_pdf(ref.path)
        if ref.kind == "url" and ref.url:
            return self._url_pdf(ref.url)
        raise InputError(f"cannot summarize {ref.kind} reference", "give an id, URL or PDF")

    def _local_pdf(self, path: Path) -> Paper:
        limit = self.settings.llm.max_pdf_mb * 1024 * 1024
        try:
            if path.stat().st_size > limit:
                raise InputError(
                    f"{path} is larger than {self.settings.llm.max_pdf_mb} MB",
                    "raise [llm] max_pdf_mb",
                )
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}", "check the path") from None
        return self._pdf_paper(data, str(path), fallback_title=path.stem, url=None)

    def _url_pdf(self, url: str) -> Paper:
        try:
            response = self.fetcher.http.get(url, what=url)
        except HTTPStatusError as exc:
            status = exc.response.status_code
            error = NotFoundError if status == 404 else InputError
            raise error(f"{url} answered HTTP {status}", "check the link") from None
        except ResponseTooLarge:  # an input error, as for a local PDF over the limit
            raise InputError(
                f"{url} is larger than {self.settings.llm.max_pdf_mb} MB",
                "raise [llm] max_pdf_mb",
            ) from None
        data = response.content
        if b"%PDF-" not in data[:1024]:
            kind = response.headers.get("content-type", "unknown type")
            raise InputError(
                f"{url} is not a PDF (it served {kind})",
                "give a direct link to the PDF, or an arXiv/bioRxiv id or link",
            )
        name = url.rstrip("/").rsplit("/", 1)[-1] or url
        return self._pdf_paper(data, url, fallback_title=name, url=url)

    def _pdf_paper(
        self, data: bytes, origin: str, *, fallback_title: str, url: str | None
    ) -> Paper:
        try:
            extracted = self.fetcher.extractor.extract(data)
        except FullTextError as exc:
            if exc.reason == "no_text":
                raise InputError(
                    f"{origin}: the PDF has no text layer (a scan?), so there is nothing to "
                    "summarize",
                    "run OCR on it first (e.g. ocrmypdf)",
                ) from None
            raise InputError(f"{origin}: {exc.message}", "give a valid PDF file") from None
        identity = extracted.identity
        if identity.arxiv_id:
            paper = self._arxiv_pdf_paper(identity, extracted, origin, fallback_title)
        else:
            digest = hashlib.sha256(data).hexdigest()[:16]
            paper = Paper(
                id=f"pdf:{digest}",
                source="local",
                title=extracted.title or fallback_title,
                authors=[Author(name=name) for name in identity.authors],
                abstract=abstract_from_text(extracted.text, extracted.title),
                doi=identity.doi,
                pdf_url=url,
                origin=origin,
            )
        cached = self.fetcher.cache_path(paper)
        if not cached.is_file():
            write_cache_bytes(cached, data)
        return paper

    def _arxiv_pdf_paper(
        self, identity: PdfIdentity, extracted: ExtractedPdf, origin: str, fallback_title: str
    ) -> Paper:
        """The arXiv paper a PDF says it is: the API's record, else what the PDF tells."""
        from papercast.sources.arxiv import fetch_by_ids

        wanted = (
            f"{identity.arxiv_id}v{identity.version}" if identity.version else identity.arxiv_id
        )
        try:
            return fetch_by_ids(self.settings, [str(wanted)])[0]
        except PapercastError as exc:
            log.info("%s is arXiv %s; the arXiv API did not answer (%s)", origin, wanted, exc)
        published = (
            datetime.combine(identity.date, datetime.min.time(), UTC) if identity.date else None
        )
        return Paper(
            id=f"arxiv:{identity.arxiv_id}",
            source="arxiv",
            version=identity.version,
            title=extracted.title or fallback_title,
            authors=[Author(name=name) for name in identity.authors],
            abstract=abstract_from_text(extracted.text, extracted.title),
            categories=[identity.category] if identity.category else [],
            primary_category=identity.category,
            published=published,
            doi=identity.doi,
            origin=origin,
        )
