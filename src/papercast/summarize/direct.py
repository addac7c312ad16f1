"""Summarize papers: cache, full text, prompt, backend, grounding check, store — concurrently.

``summarize_papers`` is what the weekly run and ``papercast summarize`` call. Inside it is async
with at most ``[llm] max_concurrency`` model requests in flight; it is called from sync code.
One paper failing never sinks the others: failures come back per paper (and, not being cached,
are retried on the next run). A fatal error (bad key, unknown model) stops the remaining calls.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from papercast.errors import PapercastError
from papercast.i18n import get_language
from papercast.llm.base import (
    ContextOverflowError,
    LLMCallError,
    SourceText,
    SummaryBackend,
    SummaryJob,
)
from papercast.llm.extractive import EXTRACTIVE_PROMPT_HASH
from papercast.llm.pricing import Budget, cost_usd, estimate_tokens
from papercast.llm.registry import create_backend
from papercast.models import CallLog, Paper, SummaryRecord, Usage
from papercast.store.calls import CallStore
from papercast.store.summaries import SummaryStore
from papercast.summarize.fulltext import FullText, FullTextFetcher, budget_text, context_budget
from papercast.summarize.grounding import ungrounded_numbers
from papercast.summarize.jobs import SummarizeRequest, make_job, summary_schema_hash
from papercast.summarize.prompts import PromptSet

log = logging.getLogger(__name__)
T = TypeVar("T")


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


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also when the caller already has an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


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


class _Summarizer:
    """One summarize pass: shared state for the concurrent per-paper tasks."""

    def __init__(
        self, request: SummarizeRequest, backend: SummaryBackend, prompts: PromptSet
    ) -> None:
        settings = request.settings
        self.request = request
        self.settings = settings
        self.store = SummaryStore(request.db)
        self.calls = CallStore(request.db, request.run_id)
        self.backend = backend
        self.prompts = prompts
        self.prompt_hash = EXTRACTIVE_PROMPT_HASH if backend.kind == "extractive" else prompts.hash
        self.fetcher = FullTextFetcher(settings, request.layout)
        self.progress = request.progress
        self.budget = Budget(request.cost_limit)
        self.llm_slots = asyncio.Semaphore(settings.llm.max_concurrency)
        self.download_slots = asyncio.Semaphore(min(4, settings.llm.max_concurrency))
        self.result = SummarizeResult(backend=backend.name, model=backend.model)
        self.text_budget = context_budget(settings)
        self.schema_hash = summary_schema_hash()

    async def fulltext(self, paper: Paper) -> FullText:
        if not self.request.wants_fulltext(paper):
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
            self.calls.log(
                call, paper_id=paper.id, prompt_hash=self.prompt_hash, schema_hash=self.schema_hash
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
            ungrounded=ungrounded_numbers(
                out.summary, source, language=self.settings.issue.language
            ),
            usage=out.usage,
        )

    async def summarize_one(self, paper: Paper) -> None:
        try:
            record = await self._attempts(paper)
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

    async def _attempts(self, paper: Paper) -> SummaryRecord:
        full = await self.fulltext(paper)
        if not full.available and self.request.wants_fulltext(paper) and full.note:
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


async def _summarize(request: SummarizeRequest) -> SummarizeResult:
    prompts = PromptSet.load(request.settings.llm.prompts_dir, request.settings.issue.language)
    backend = create_backend(request.settings, prompts)
    lang = get_language(request.settings.issue.language)
    if backend.name == "extractive" and not lang.is_english:
        log.warning(
            "extractive summaries (no language model) keep each paper's own language: "
            "[issue] language %r applies to the headings and labels, and the issue says so; "
            "set up an LLM ([llm] in papercast.toml) for summaries in %s",
            lang.tag,
            lang.english_name,
        )
    pass_ = _Summarizer(request, backend, prompts)
    try:
        todo = []
        for paper in request.unique_papers():
            hit = request.cached(paper, backend.model, pass_.prompt_hash)
            if hit is not None:
                pass_.result.records[paper.id] = hit
                pass_.result.cached.add(paper.id)
                continue
            todo.append(paper)
        if pass_.result.cached:
            pass_.progress(f"{len(pass_.result.cached)} summaries from the cache")
        await asyncio.gather(*(pass_.summarize_one(p) for p in todo))
    finally:
        pass_.fetcher.close()
        await backend.aclose()
    return pass_.result


def summarize_papers(request: SummarizeRequest) -> SummarizeResult:
    """Summarize the request's papers (cached ones are reused unless ``refresh``).

    Full text is fetched only for ``fulltext_ids`` (None: all); the spending limit (``max_cost``,
    default ``[llm] max_cost``) stops before a call would exceed it.
    """
    request.layout.ensure()
    return run_sync(_summarize(request))
