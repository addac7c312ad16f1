"""One paper on demand, as ``papercast summarize`` does it: an arXiv id or link, a bioRxiv or
medRxiv DOI or link, a PDF link, or a PDF file the reader hands over (``papercast serve``).

The same resolver, estimate and summarizer as the CLI, so the summary is the same one (and
the same cache entry). The paper is kept in the store, so search and its page find it later.
An uploaded file is only ever read as a PDF: it must start like one, it is size-capped, and it
is kept in the private cache under its SHA-256, never under a name the reader chose.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from papercast.config import Settings
from papercast.errors import InputError, LLMError, NotFoundError
from papercast.i18n import N_
from papercast.ids import parse_reference
from papercast.layout import Layout, atomic_write_bytes
from papercast.models import Paper
from papercast.store import Database, PaperStore
from papercast.summarize import CostEstimate, SummarizeRequest
from papercast.summarize.output import SummaryItem

UPLOAD_PREFIX = "upload:"
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def uploads_dir(layout: Layout) -> Path:
    return layout.cache_dir / "uploads"


def keep_upload(layout: Layout, data: bytes, *, max_bytes: int) -> str:
    """Keep an uploaded PDF in the private cache; returns the reference to summarize it by
    (``upload:<sha256>``). InputError if it is too large or not a PDF."""
    if len(data) > max_bytes:
        raise InputError(
            N_("the file is larger than %(size)s MB"),
            N_("raise [serve] max_upload_mb, or summarize it from the command line"),
            values={"size": max_bytes // (1024 * 1024)},
        )
    if not data.lstrip()[:5] == b"%PDF-":
        raise InputError(N_("the file is not a PDF"), N_("choose a PDF file"))
    digest = hashlib.sha256(data).hexdigest()
    path = uploads_dir(layout) / f"{digest}.pdf"
    if not path.is_file():
        atomic_write_bytes(path, data, private=True)
    return UPLOAD_PREFIX + digest


def _input(layout: Layout, reference: str) -> str:
    """What the resolver is given: the reader's text, or the kept file of an upload."""
    reference = reference.strip()
    if not reference:
        raise InputError(
            N_("nothing to summarize"),
            N_("paste an arXiv id, a link or a DOI, or a PDF"),
        )
    if reference.startswith(UPLOAD_PREFIX):
        digest = reference[len(UPLOAD_PREFIX) :]
        path = uploads_dir(layout) / f"{digest}.pdf"
        if not _DIGEST.match(digest) or not path.is_file():
            raise NotFoundError(N_("that upload is gone"), N_("choose the file again"))
        return str(path)
    if parse_reference(reference).kind == "pdf":  # the app reads no file path it is given
        raise InputError(
            N_("%(reference)r is not an id or a link"),
            N_("upload the PDF instead"),
            values={"reference": reference},
        )
    return reference


def resolve(settings: Settings, layout: Layout, reference: str) -> Paper:
    """The paper a reference stands for (looked up, or read from the PDF)."""
    from papercast.summarize.inputs import InputResolver

    wanted = _input(layout, reference)
    resolver = InputResolver(settings, layout)
    try:
        resolved = resolver.resolve([wanted])
    finally:
        resolver.close()
    if resolver.exceptions:
        error = next(iter(resolver.exceptions.values()))
        if wanted != reference:  # an upload: name it as the reader knows it, not by its path
            error.message = error.message.replace(wanted, "the uploaded PDF")
        raise error
    if not resolved.papers:
        raise NotFoundError(
            N_("nothing found for %(reference)s"),
            N_("check the id or link"),
            values={"reference": reference},
        )
    return resolved.papers[0]


def estimate(settings: Settings, layout: Layout, db: Database, paper: Paper) -> CostEstimate:
    from papercast.summarize import estimate_cost

    request = SummarizeRequest(papers=[paper], settings=settings, db=db, layout=layout)
    return estimate_cost(request, download=True)


def needs_confirmation(cost: CostEstimate) -> bool:
    """A model that may cost money is about to be called: show the cost and ask first."""
    if cost.backend == "extractive" or cost.to_summarize == 0:
        return False
    return not cost.priced or cost.cost_usd > 0


@dataclass
class OnDemandResult:
    item: SummaryItem
    cost_usd: float


def summarize(settings: Settings, layout: Layout, db: Database, paper: Paper) -> OnDemandResult:
    """Summarize one paper (from the cache when it was done before) and keep it in the store."""
    from papercast.summarize import summarize_papers

    canonical, _ = PaperStore(db).upsert(paper)
    if canonical != paper.id:
        paper = paper.model_copy(update={"id": canonical})
    result = summarize_papers(
        SummarizeRequest(papers=[paper], settings=settings, db=db, layout=layout)
    )
    record = result.records.get(paper.id)
    if record is None:
        reason = result.failures.get(paper.id) or result.fatal or "no summary came back"
        raise LLMError(f"{paper.id} could not be summarized: {reason}", "try again later")
    item = SummaryItem(
        paper=paper,
        record=record,
        cached=paper.id in result.cached,
        note=result.notes.get(paper.id),
    )
    return OnDemandResult(item=item, cost_usd=result.usage.cost_usd)
