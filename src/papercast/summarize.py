"""Summarize papers: cache, full text, prompt, backend, grounding check, store — concurrently.

``summarize_papers`` is what the weekly run and ``papercast summarize`` call. Inside it is async
with at most ``[llm] max_concurrency`` model requests in flight; it is called from sync code.
One paper failing never sinks the others: failures come back per paper (and, not being cached,
are retried on the next run). A fatal error (bad key, unknown model) stops the remaining calls.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from papercast.config import Settings
from papercast.errors import PapercastError
from papercast.fulltext import FullText, FullTextFetcher, budget_text, context_budget
from papercast.grounding import ungrounded_numbers
from papercast.layout import Layout
from papercast.llm.base import (
    CallLog,
    ContextOverflowError,
    LLMCallError,
    SourceText,
    SummaryBackend,
    SummaryJob,
)
from papercast.llm.extractive import EXTRACTIVE_PROMPT_HASH
from papercast.llm.pricing import TYPICAL_OUTPUT_TOKENS, cost_usd, estimate_tokens
from papercast.llm.prompts import PromptSet
from papercast.llm.registry import create_backend, resolve_backend_name
from papercast.models import SUMMARY_SCHEMA_VERSION, Paper, Summary, SummaryRecord, Usage
from papercast.store.db import Database
from papercast.store.summaries import SummaryStore

log = logging.getLogger(__name__)
T = TypeVar("T")
Progress = Callable[[str], None]
TYPICAL_FULLTEXT_TOKENS = 12000  # assumed for --estimate when a PDF is not downloaded yet


class SummarizeResult(BaseModel):
    """What a summarize pass produced, per paper."""

    model_config = ConfigDict(extra="forbid")

    backend: str
    model: str
    records: dict[str, SummaryRecord] = Field(default_factory=dict)
    failures: dict[str, str] = Field(default_factory=dict, description="paper id -> reason")
    cached: set[str] = Field(default_factory=set)
    notes: dict[str, str] = Field(
        default_factory=dict, description="paper id -> why the summary is abstract-based"
    )
    usage: Usage = Field(default_factory=Usage)
    requests: int = 0
    budget_stopped: bool = False
    fatal: str | None = Field(default=None, description="an error that stopped all calls")


class PaperEstimate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paper_id: str
    cached: bool = False
    source_text: SourceText = "abstract"
    text_known: bool = True  # False: full text length assumed (PDF not downloaded yet)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class CostEstimate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: str
    model: str
    papers: list[PaperEstimate] = Field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    priced: bool = True

    @property
    def to_summarize(self) -> int:
        return sum(not p.cached for p in self.papers)


def summary_schema_hash() -> str:
    """Identifies the Summary JSON schema a call asked for (logged with every call)."""
    schema = json.dumps(Summary.model_json_schema(), sort_keys=True)
    return hashlib.sha256(schema.encode()).hexdigest()[:16]


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also when the caller already has an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _unique(papers: list[Paper]) -> list[Paper]:
    seen: dict[str, Paper] = {}
    for paper in papers:
        seen.setdefault(paper.id, paper)
    return list(seen.values())


def make_job(
    prompts: PromptSet, paper: Paper, text: str, source: SourceText, prompt_hash: str
) -> SummaryJob:
    return SummaryJob(
        paper=paper,
        text=text,
        source_text=source,
        system=prompts.system(),
        user=prompts.user(paper, text, source),
        prompt_hash=prompt_hash,
    )


def build_jobs(
    papers: list[Paper],
    *,
    settings: Settings,
    db: Database,
    layout: Layout,
    fulltext_ids: set[str] | None = None,
    refresh: bool = False,
) -> tuple[list[SummaryJob], dict[str, str]]:
    """Jobs for papers without a cached summary (full text fetched as for a direct run).

    Returns (jobs, skipped: paper id -> reason). Used by the Batch API path.
    """
    prompts = PromptSet.load(settings.llm.prompts_dir)
    store = SummaryStore(db)
    budget = context_budget(settings)
    jobs: list[SummaryJob] = []
    skipped: dict[str, str] = {}
    layout.ensure()
    with FullTextFetcher(settings, layout) as fetcher:
        for paper in _unique(papers):
            key = (paper.id, paper.version, settings.llm.model, prompts.hash)
            if not refresh and store.get(*key, SUMMARY_SCHEMA_VERSION) is not None:
                skipped[paper.id] = "already summarized (cached)"
                continue
            wanted = settings.llm.fulltext and (fulltext_ids is None or paper.id in fulltext_ids)
            full = fetcher.get(paper) if wanted else FullText()
            if full.text:
                jobs.append(
                    make_job(prompts, paper, budget_text(full.text, budget), "full", prompts.hash)
                )
            elif paper.abstract.strip():
                jobs.append(make_job(prompts, paper, paper.abstract, "abstract", prompts.hash))
            else:
                skipped[paper.id] = "empty abstract and no full text: nothing to summarize"
    return jobs, skipped


MIN_TEXT_TOKENS = 500  # below this, the abstract says as much as the shortened full text


def tighter_budget(
    budget: int, job: SummaryJob, overflow: ContextOverflowError, max_output_tokens: int
) -> int:
    """A text budget that fits, after the server said the prompt did not.

    When the server names its limit and what was asked (llama.cpp, vLLM and OpenAI do), the
    budget is fitted to them, measuring how the server's tokenizer counts against our estimate;
    otherwise it is halved. Always at least 10% smaller than before.
    """
    prompt = overflow.sent_tokens or estimate_tokens(job.system + job.user)
    text = min(budget, estimate_tokens(job.text))
    fitted = budget // 2
    if overflow.limit and overflow.prompt_tokens:
        ratio = max(1.0, overflow.prompt_tokens / prompt)  # server tokens per estimated token
        room = (overflow.limit - max_output_tokens) / ratio - (prompt - text)
        fitted = int(room * 0.9)
    return max(0, min(fitted, int(budget * 0.9)))


class _Budget:
    """Reserve a call's worst-case cost before it starts; settle with the real cost after."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent = 0.0
        self.reserved = 0.0
        self.stopped = False

    def reserve(self, amount: float) -> bool:
        if self.limit is not None and self.spent + self.reserved + amount > self.limit + 1e-12:
            self.stopped = True
            return False
        self.reserved += amount
        return True

    def settle(self, reserved: float, actual: float) -> None:
        self.reserved -= reserved
        self.spent += actual


class _Summarizer:
    """One summarize pass: shared state for the concurrent per-paper tasks."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        layout: Layout,
        backend: SummaryBackend,
        prompts: PromptSet,
        *,
        run_id: int | None,
        on_progress: Progress | None,
        max_cost: float | None,
    ) -> None:
        self.settings = settings
        self.store = SummaryStore(db)
        self.backend = backend
        self.prompts = prompts
        self.prompt_hash = EXTRACTIVE_PROMPT_HASH if backend.kind == "extractive" else prompts.hash
        self.fetcher = FullTextFetcher(settings, layout)
        self.run_id = run_id
        self.progress = on_progress or (lambda _msg: None)
        self.budget = _Budget(max_cost)
        self.llm_slots = asyncio.Semaphore(settings.llm.max_concurrency)
        self.download_slots = asyncio.Semaphore(min(4, settings.llm.max_concurrency))
        self.result = SummarizeResult(backend=backend.name, model=backend.model)
        self.text_budget = context_budget(settings)
        self.schema_hash = summary_schema_hash()

    def cached(self, paper: Paper) -> SummaryRecord | None:
        return self.store.get(
            paper.id, paper.version, self.backend.model, self.prompt_hash, SUMMARY_SCHEMA_VERSION
        )

    async def fulltext(self, paper: Paper, wanted: bool) -> FullText:
        if not wanted or not self.settings.llm.fulltext:
            return FullText(note="full text not requested")
        async with self.download_slots:
            return await asyncio.to_thread(self.fetcher.get, paper)

    def job(self, paper: Paper, text: str, source: SourceText) -> SummaryJob:
        return make_job(self.prompts, paper, text, source, self.prompt_hash)

    def worst_case_cost(self, job: SummaryJob) -> float:
        tokens_in = estimate_tokens(job.system + job.user)
        tokens_out = self.settings.llm.max_output_tokens
        return cost_usd(self.settings.llm, self.backend.model, tokens_in, tokens_out)

    def recorder(self, paper: Paper) -> Callable[[CallLog], None]:
        def record(call: CallLog) -> None:
            self.result.requests += 1
            usage = self.result.usage
            usage.input_tokens += call.input_tokens
            usage.output_tokens += call.output_tokens
            usage.cost_usd += call.cost_usd
            usage.requests += 1
            usage.estimated = usage.estimated or call.usage_estimated
            self.store.log_call(
                call,
                paper_id=paper.id,
                prompt_hash=self.prompt_hash,
                schema_hash=self.schema_hash,
                run_id=self.run_id,
            )

        return record

    async def call(self, job: SummaryJob) -> SummaryRecord:
        if self.result.fatal:
            raise LLMCallError(self.result.fatal)
        reserve = self.worst_case_cost(job)
        if not self.budget.reserve(reserve):
            self.result.budget_stopped = True
            raise LLMCallError(
                f"skipped: would exceed the budget of ${self.budget.limit:.2f} "
                f"(spent ${self.budget.spent:.4f})",
                "raise --max-cost / [llm] max_cost, or rerun to continue",
            )
        actual = 0.0
        try:
            async with self.llm_slots:
                if self.result.fatal:
                    raise LLMCallError(self.result.fatal)
                out = await self.backend.summarize(job, self.recorder(job.paper))
            actual = out.usage.cost_usd
        finally:
            self.budget.settle(reserve, actual)
        source = f"{job.paper.title}\n{job.paper.abstract}\n{job.text}"
        return SummaryRecord(
            paper_id=job.paper.id,
            version=job.paper.version,
            model=self.backend.model,
            backend=self.backend.kind,
            prompt_hash=self.prompt_hash,
            summary=out.summary,
            source_text=job.source_text,
            ungrounded=ungrounded_numbers(out.summary, source),
            usage=out.usage,
        )

    async def summarize_one(self, paper: Paper, want_fulltext: bool) -> None:
        try:
            record = await self._attempts(paper, want_fulltext)
        except LLMCallError as exc:
            if exc.fatal and not self.result.fatal:
                self.result.fatal = str(exc)
            self.result.failures[paper.id] = exc.message
            self.progress(f"failed {paper.id}: {exc.message}")
            return
        except PapercastError as exc:
            self.result.failures[paper.id] = str(exc)
            self.progress(f"failed {paper.id}: {exc}")
            return
        except Exception as exc:  # one paper's surprise must not sink the others
            log.exception("summarizing %s failed unexpectedly", paper.id)
            self.result.failures[paper.id] = f"unexpected error: {type(exc).__name__}: {exc}"
            return
        self.result.records[paper.id] = self.store.put(record)
        self.progress(f"summarized {paper.id} ({record.source_text})")

    async def _attempts(self, paper: Paper, want_fulltext: bool) -> SummaryRecord:
        full = await self.fulltext(paper, want_fulltext)
        if not full.available and want_fulltext and self.settings.llm.fulltext and full.note:
            self.result.notes[paper.id] = full.note
        if not full.available and not paper.abstract.strip():
            raise LLMCallError(
                f"{paper.id} has an empty abstract and no full text: nothing to summarize",
                "check the paper's PDF link",
            )
        if not full.available:
            return await self.call(self.job(paper, paper.abstract, "abstract"))
        budget = self.text_budget
        for _ in range(2):  # the budgeted text, then once more with a tighter budget
            text = budget_text(full.text or "", budget)
            job = self.job(paper, text, "full")
            try:
                return await self.call(job)
            except ContextOverflowError as exc:
                budget = tighter_budget(budget, job, exc, self.settings.llm.max_output_tokens)
                log.info("%s: context overflow; retrying with %d tokens", paper.id, budget)
                if budget < MIN_TEXT_TOKENS:
                    break
        if not paper.abstract.strip():
            raise ContextOverflowError(f"{paper.id}: the text does not fit the model's context")
        self.result.notes[paper.id] = "full text did not fit the model's context"
        return await self.call(self.job(paper, paper.abstract, "abstract"))


async def _summarize(
    papers: list[Paper],
    settings: Settings,
    db: Database,
    layout: Layout,
    *,
    fulltext_ids: set[str] | None,
    refresh: bool,
    run_id: int | None,
    on_progress: Progress | None,
    max_cost: float | None,
) -> SummarizeResult:
    prompts = PromptSet.load(settings.llm.prompts_dir)
    backend = create_backend(settings, prompts)
    pass_ = _Summarizer(
        settings,
        db,
        layout,
        backend,
        prompts,
        run_id=run_id,
        on_progress=on_progress,
        max_cost=max_cost,
    )
    try:
        todo = []
        for paper in _unique(papers):
            hit = None if refresh else pass_.cached(paper)
            if hit is not None:
                pass_.result.records[paper.id] = hit
                pass_.result.cached.add(paper.id)
                continue
            todo.append(paper)
        if pass_.result.cached:
            pass_.progress(f"{len(pass_.result.cached)} summaries from the cache")
        wanted = {p.id for p in todo} if fulltext_ids is None else fulltext_ids
        await asyncio.gather(*(pass_.summarize_one(p, p.id in wanted) for p in todo))
    finally:
        pass_.fetcher.close()
        await backend.aclose()
    return pass_.result


def summarize_papers(
    papers: list[Paper],
    *,
    settings: Settings,
    db: Database,
    layout: Layout,
    fulltext_ids: set[str] | None = None,
    refresh: bool = False,
    run_id: int | None = None,
    on_progress: Callable[[str], None] | None = None,
    max_cost: float | None = None,
) -> SummarizeResult:
    """Summarize ``papers`` (cached ones are reused unless ``refresh``).

    Full text is fetched only for ids in ``fulltext_ids`` (None = all). ``max_cost`` (USD;
    default ``[llm] max_cost``) stops before a call would exceed it.
    """
    layout.ensure()
    limit = max_cost if max_cost is not None else settings.llm.max_cost
    return run_sync(
        _summarize(
            papers,
            settings,
            db,
            layout,
            fulltext_ids=fulltext_ids,
            refresh=refresh,
            run_id=run_id,
            on_progress=on_progress,
            max_cost=limit,
        )
    )


def estimate_cost(
    papers: list[Paper],
    settings: Settings,
    *,
    db: Database | None = None,
    layout: Layout | None = None,
    fulltext_ids: set[str] | None = None,
    refresh: bool = False,
    download: bool = False,
) -> CostEstimate:
    """Expected tokens and cost of summarizing ``papers``, without calling any model.

    Cached summaries cost nothing. Full text counts at its real length when the PDF is cached
    (or ``download`` is set), else at a typical paper's length within the budget.
    """
    prompts = PromptSet.load(settings.llm.prompts_dir)
    name = resolve_backend_name(settings)
    extractive = name == "extractive"
    model = "extractive" if extractive else settings.llm.model
    prompt_hash = EXTRACTIVE_PROMPT_HASH if extractive else prompts.hash
    store = SummaryStore(db) if db is not None else None
    fetcher = FullTextFetcher(settings, layout) if layout is not None else None
    budget = context_budget(settings)
    estimate = CostEstimate(backend=name, model=model)
    estimate.priced = extractive or cost_usd(settings.llm, model, 1_000_000, 0) > 0
    system_tokens = estimate_tokens(prompts.system())
    try:
        for paper in _unique(papers):
            row = PaperEstimate(paper_id=paper.id)
            estimate.papers.append(row)
            if store is not None and not refresh:
                hit = store.get(paper.id, paper.version, model, prompt_hash, SUMMARY_SCHEMA_VERSION)
                if hit is not None:
                    row.cached = True
                    continue
            if extractive:
                continue
            wants_full = settings.llm.fulltext and (
                fulltext_ids is None or paper.id in fulltext_ids
            )
            text_tokens = estimate_tokens(paper.abstract)
            if wants_full and fetcher is not None:
                text = fetcher.cached_text(paper)
                if text is None and download:
                    text = fetcher.get(paper).text
                if text is not None:
                    row.source_text = "full"
                    text_tokens = estimate_tokens(budget_text(text, budget))
                else:
                    row.source_text, row.text_known = "full", False
                    text_tokens = min(budget, TYPICAL_FULLTEXT_TOKENS)
            elif wants_full:
                row.source_text, row.text_known = "full", False
                text_tokens = min(budget, TYPICAL_FULLTEXT_TOKENS)
            user = prompts.user(paper, "", row.source_text)
            row.input_tokens = system_tokens + estimate_tokens(user) + text_tokens
            row.output_tokens = min(TYPICAL_OUTPUT_TOKENS, settings.llm.max_output_tokens)
            row.cost_usd = cost_usd(settings.llm, model, row.input_tokens, row.output_tokens)
            estimate.input_tokens += row.input_tokens
            estimate.output_tokens += row.output_tokens
            estimate.cost_usd += row.cost_usd
    finally:
        if fetcher is not None:
            fetcher.close()
    return estimate
