"""The OpenAI Batch API: submit the week's summary requests at half price, collect them later.

``submit_batch`` builds one JSONL line per paper (chat completions with the strict Summary
schema), uploads it, creates a batch with ``completion_window="24h"`` and records the batch id
with what each request stands for. ``collect_batches`` checks every pending batch; finished
ones are turned into stored summaries (grounding-checked, cost recorded at the batch price) and
marked collected. Both are resumable: rerun ``collect`` until nothing is pending.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from typing import Any, Literal

import openai
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from papercast.config import Settings
from papercast.errors import BudgetExceededError, ConfigError
from papercast.llm.base import SummaryJob
from papercast.llm.client import Endpoint, endpoint, translate
from papercast.llm.pricing import cost_usd, estimate_tokens
from papercast.llm.registry import resolve_backend_name
from papercast.llm.schema import summary_response_format
from papercast.models import SUMMARY_SCHEMA_VERSION, CallLog, Paper, Summary, SummaryRecord, Usage
from papercast.store.calls import CallStore
from papercast.store.db import Database
from papercast.store.summaries import BatchInfo, BatchItem, SummaryStore
from papercast.summarize.fulltext import FullText, FullTextFetcher, budget_text, context_budget
from papercast.summarize.grounding import ungrounded_numbers
from papercast.summarize.jobs import SummarizeRequest, make_job
from papercast.summarize.prompts import PromptSet

log = logging.getLogger(__name__)
ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"
DONE = frozenset({"completed", "failed", "expired", "cancelled"})


class CollectResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: str
    papers: dict[str, Paper] = Field(default_factory=dict)
    status: str
    done: bool = False
    completed: int = 0
    total: int = 0
    records: dict[str, SummaryRecord] = Field(default_factory=dict)
    failures: dict[str, str] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)


def _endpoint(settings: Settings) -> Endpoint:
    if resolve_backend_name(settings) != "openai":
        raise ConfigError(
            "--batch needs the OpenAI-compatible backend",
            "set OPENAI_API_KEY (the Batch API is an OpenAI feature), or drop --batch",
        )
    return endpoint(settings, "batch")


def _request_line(custom_id: str, job: SummaryJob, settings: Settings) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": settings.llm.model,
        "messages": [
            {"role": "system", "content": job.system},
            {"role": "user", "content": job.user},
        ],
        "response_format": summary_response_format(),
        "max_completion_tokens": settings.llm.max_output_tokens,
        "temperature": settings.llm.temperature,
    }
    return {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}


def build_jobs(request: SummarizeRequest) -> tuple[list[SummaryJob], dict[str, str]]:
    """Jobs for papers without a cached summary (full text fetched as for a direct run).

    Returns (jobs, skipped: paper id -> reason).
    """
    settings = request.settings
    prompts = PromptSet.load(settings.llm.prompts_dir, settings.issue.language)
    budget = context_budget(settings)
    jobs: list[SummaryJob] = []
    skipped: dict[str, str] = {}
    request.layout.ensure()
    with FullTextFetcher(settings, request.layout) as fetcher:
        for paper in request.unique_papers():
            if request.cached(paper, settings.llm.model, prompts.hash) is not None:
                skipped[paper.id] = "already summarized (cached)"
                continue
            full = fetcher.get(paper) if request.wants_fulltext(paper) else FullText()
            if full.text:
                text = budget_text(full.text, budget)
                jobs.append(make_job(prompts, paper, text, "full", prompts.hash))
            elif paper.abstract.strip():
                jobs.append(make_job(prompts, paper, paper.abstract, "abstract", prompts.hash))
            else:
                skipped[paper.id] = "empty abstract and no full text: nothing to summarize"
    return jobs, skipped


def submit_batch(request: SummarizeRequest) -> BatchInfo | None:
    """Submit summaries for papers not cached and not already pending; None if nothing to do."""
    settings = request.settings
    store = SummaryStore(request.db)
    pending = store.pending_paper_ids()
    todo = [p for p in request.papers if p.id not in pending]
    jobs, skipped = build_jobs(replace(request, papers=todo))
    for paper_id, reason in skipped.items():
        request.progress(f"skipped {paper_id}: {reason}")
    if not jobs:
        return None
    model = settings.llm.model
    estimate = sum(
        cost_usd(
            settings.llm,
            model,
            estimate_tokens(j.system + j.user),
            settings.llm.max_output_tokens,
            batch=True,
        )
        for j in jobs
    )
    limit = request.cost_limit
    if limit is not None and estimate > limit:
        raise BudgetExceededError(
            f"the batch could cost up to ${estimate:.4f}, over the budget of ${limit:.2f}",
            "raise --max-cost / [llm] max_cost, or summarize fewer papers",
        )
    items = {str(i): job for i, job in enumerate(jobs)}
    lines = "".join(json.dumps(_request_line(k, j, settings)) + "\n" for k, j in items.items())
    batch_api = _endpoint(settings)
    client = batch_api.client()
    try:
        upload = client.files.create(
            file=("papercast-batch.jsonl", lines.encode("utf-8")), purpose="batch"
        )
        batch = client.batches.create(
            input_file_id=upload.id,
            endpoint=ENDPOINT,
            completion_window="24h",
            metadata={"tool": "papercast"},
        )
    except openai.OpenAIError as exc:
        raise translate(exc, batch_api) from None
    finally:
        client.close()
    info = BatchInfo(
        batch_id=batch.id,
        model=model,
        status=batch.status,
        request_count=len(items),
        input_file_id=upload.id,
        run_id=request.run_id,
        items={
            key: BatchItem(
                paper_id=job.paper.id,
                version=job.paper.version,
                prompt_hash=job.prompt_hash,
                source_text=job.source_text,
                text=f"{job.paper.title}\n{job.paper.abstract}\n{job.text}",
                paper=job.paper,
            )
            for key, job in items.items()
        },
    )
    store.save_batch(info)
    request.progress(f"submitted batch {batch.id} with {len(items)} requests")
    return info


def _content(row: dict[str, Any]) -> tuple[str | None, dict[str, Any], str | None]:
    """(message content, usage, error) of one output-file line."""
    response = row.get("response") or {}
    body = response.get("body") or {}
    if row.get("error") or int(response.get("status_code") or 0) != 200:
        error = row.get("error") or (body.get("error") if isinstance(body, dict) else None)
        message = error.get("message") if isinstance(error, dict) else str(error)
        return None, {}, f"batch request failed: {message}"
    choice = (body.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    if message.get("refusal"):
        return None, body.get("usage") or {}, f"the model refused: {message['refusal'][:200]}"
    return message.get("content"), body.get("usage") or {}, None


def _collect_one(
    client: openai.OpenAI, info: BatchInfo, settings: Settings, store: SummaryStore
) -> CollectResult:
    batch = client.batches.retrieve(info.batch_id)
    counts = batch.request_counts
    result = CollectResult(
        batch_id=info.batch_id,
        status=batch.status,
        completed=counts.completed if counts else 0,
        total=counts.total if counts else info.request_count,
    )
    info.status = batch.status
    if batch.status not in DONE:
        store.save_batch(info)
        return result
    rows: list[dict[str, Any]] = []
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            text = client.files.content(file_id).text
            rows.extend(json.loads(line) for line in text.splitlines() if line.strip())
    seen = set()
    for row in rows:
        item = info.items.get(str(row.get("custom_id")))
        if item is None:
            continue
        seen.add(str(row.get("custom_id")))
        _store_row(row, item, info, settings, store, result)
    for key, item in info.items.items():
        if key not in seen:
            result.failures[item.paper_id] = f"batch {batch.status} without an answer"
    info.output_file_id = batch.output_file_id
    info.error_file_id = batch.error_file_id
    info.collected = True
    store.save_batch(info)
    result.done = True
    return result


def _store_row(
    row: dict[str, Any],
    item: BatchItem,
    info: BatchInfo,
    settings: Settings,
    store: SummaryStore,
    result: CollectResult,
) -> None:
    content, usage, error = _content(row)
    tokens_in = int(usage.get("prompt_tokens") or 0)
    tokens_out = int(usage.get("completion_tokens") or 0)
    cost = cost_usd(settings.llm, info.model, tokens_in, tokens_out, batch=True)
    summary: Summary | None = None
    if error is None:
        try:
            summary = Summary.model_validate_json(content or "")
        except (pydantic.ValidationError, ValueError):
            error = "the model returned invalid JSON"
    call = CallLog(
        model=info.model,
        purpose="summary-batch",
        status="ok" if summary is not None else "invalid",
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_usd=cost,
        error=error,
        options={"batch_id": info.batch_id},
    )
    CallStore(store.db, info.run_id).log(call, paper_id=item.paper_id, prompt_hash=item.prompt_hash)
    result.usage.input_tokens += tokens_in
    result.usage.output_tokens += tokens_out
    result.usage.cost_usd += cost
    result.usage.requests += 1
    if summary is None:
        result.failures[item.paper_id] = error or "no answer"
        return
    record = SummaryRecord(
        paper_id=item.paper_id,
        version=item.version,
        model=info.model,
        backend="llm",
        prompt_hash=item.prompt_hash,
        schema_version=SUMMARY_SCHEMA_VERSION,
        summary=summary,
        source_text="full" if item.source_text == "full" else "abstract",
        ungrounded=ungrounded_numbers(summary, item.text, language=settings.issue.language),
        usage=Usage(input_tokens=tokens_in, output_tokens=tokens_out, cost_usd=cost, requests=1),
    )
    result.records[item.paper_id] = store.put(record)
    if item.paper is not None:
        result.papers[item.paper_id] = item.paper


def collect_batches(
    *, settings: Settings, db: Database, batch_id: str | None = None
) -> list[CollectResult]:
    """Check pending batches (or one); store the summaries of finished ones."""
    store = SummaryStore(db)
    if batch_id is not None:
        info = store.batch(batch_id)
        if info is None:
            from papercast.errors import NotFoundError

            raise NotFoundError(f"no batch {batch_id} was submitted from here", "see --collect")
        infos = [info]
    else:
        infos = store.batches(pending_only=True)
    if not infos:
        return []
    batch_api = _endpoint(settings)
    client = batch_api.client()
    results = []
    try:
        for info in infos:
            started = time.monotonic()
            try:
                results.append(_collect_one(client, info, settings, store))
            except openai.OpenAIError as exc:
                error = translate(exc, batch_api)
                results.append(
                    CollectResult(batch_id=info.batch_id, status=f"error: {error.message}")
                )
            log.debug("collected %s in %.2fs", info.batch_id, time.monotonic() - started)
    finally:
        client.close()
    return results
