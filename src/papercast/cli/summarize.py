"""`papercast summarize`: structured summaries of one or many papers, from ids, links or PDFs."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from papercast.cli.app import app
from papercast.cli.console import err, line
from papercast.cli.state import get_state, output_file
from papercast.config import Settings, derive
from papercast.errors import EXIT_FAILED, EXIT_PARTIAL, InputError, LLMError
from papercast.layout import atomic_write_text, cached_fulltext
from papercast.models import Paper
from papercast.store import Database
from papercast.summarize import CostEstimate, SummarizeRequest
from papercast.summarize.output import OutputFormat, SummaryItem, render_summaries


def _settings(
    base: Settings,
    model: str | None,
    backend: str | None,
    concurrency: int | None,
    no_fulltext: bool,
) -> Settings:
    """[llm] with the options given on the command line (validated)."""
    changes: dict[str, Any] = {k: v for k, v in (("model", model), ("backend", backend)) if v}
    if concurrency is not None:
        changes["max_concurrency"] = concurrency
    if no_fulltext:
        changes["fulltext"] = False
    return derive(base, {"llm": changes}) if changes else base


def finite_dollars(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a number of dollars")
    return value


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        atomic_write_text(out, text)
        err.print(f"Wrote {out}")


def _report_failures(failures: dict[str, str]) -> None:
    for what, reason in failures.items():
        err.print(line(("failed", "red"), f" {what}: {reason}"))


def _print_estimate(e: CostEstimate) -> None:
    cached = sum(p.cached for p in e.papers)
    assumed = sum(not p.text_known for p in e.papers)
    typer.echo(
        f"{len(e.papers)} papers, {cached} cached, {e.to_summarize} to summarize with "
        f"{e.model} ({e.backend})"
    )
    typer.echo(f"expected tokens: {e.input_tokens} in, {e.output_tokens} out")
    if e.backend == "extractive":
        typer.echo("expected cost: $0.00 (extractive, offline: no model is called)")
    elif not e.priced:
        typer.echo(f"expected cost: unknown (no price for {e.model} in [llm] prices)")
    else:
        typer.echo(f"expected cost: ${e.cost_usd:.4f}")
    if assumed:
        typer.echo(f"({assumed} PDFs not downloaded yet: their length is assumed)")


@app.command()
def summarize(
    ctx: typer.Context,
    refs: Annotated[
        list[str] | None,
        typer.Argument(
            help="arXiv ids or URLs, bioRxiv/medRxiv DOIs or URLs, PDF links or local PDF files."
        ),
    ] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", "-f", help="Read references, one per line.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Output format: md, json (one object per line), html.")
    ] = "md",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Model (default: the \\[llm] model setting).")
    ] = None,
    backend: Annotated[
        str | None, typer.Option(help="auto, openai or extractive (offline, no model).")
    ] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ignore cached summaries.")] = False,
    estimate: Annotated[
        bool, typer.Option("--estimate", help="Print expected tokens and cost; call no model.")
    ] = False,
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost", min=0.0, callback=finite_dollars, help="Stop before spending more (USD)."
        ),
    ] = None,
    no_fulltext: Annotated[
        bool, typer.Option("--no-fulltext", help="Summarize from abstracts only.")
    ] = False,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, max=256, help="Requests in flight, 1-256 (default: \\[llm] max_concurrency)."
        ),
    ] = None,
    batch: Annotated[
        bool, typer.Option("--batch", help="Submit through the OpenAI Batch API (half price).")
    ] = False,
    collect: Annotated[
        bool, typer.Option("--collect", help="Collect finished batches and print them.")
    ] = False,
    batch_id: Annotated[
        str | None, typer.Option("--batch-id", help="With --collect: only this batch.")
    ] = None,
) -> None:
    """Summarize papers with an LLM (or offline, extractively) and print the summaries.

    Example: papercast summarize 2410.05258 --format json

    Example: papercast summarize --from-file links.txt --out week.md --max-cost 0.50
    """
    if fmt not in ("md", "json", "html"):
        raise InputError(f"unknown --format {fmt!r}", "use md, json or html")
    output: OutputFormat = fmt  # type: ignore[assignment]
    if out is not None:  # checked before anything is paid for
        out = output_file(out)
    state = get_state(ctx)
    settings = _settings(state.settings(), model, backend, concurrency, no_fulltext)
    layout = state.layout()
    if collect:
        _collect(settings, state.database(), output, out, batch_id)
        return
    wanted = list(refs or [])
    if from_file is not None:
        from papercast.summarize.inputs import read_refs_file

        wanted += read_refs_file(from_file)
    if not wanted:
        raise InputError("no papers given", "pass arXiv ids, links or PDFs, or --from-file FILE")
    from papercast.summarize.inputs import InputResolver

    resolver = InputResolver(settings, layout)
    try:
        with err.status("Looking up papers…"):
            resolved = resolver.resolve(wanted)
    finally:
        resolver.close()
    if len(wanted) == 1 and resolver.exceptions:
        raise next(iter(resolver.exceptions.values()))
    _report_failures(resolved.errors)
    with state.database() as db:
        request = SummarizeRequest(
            resolved.papers, settings, db, layout, refresh=refresh, max_cost=max_cost
        )
        if estimate:
            from papercast.summarize import estimate_cost

            _print_estimate(estimate_cost(request, download=True))
            return
        if batch:
            _submit(request)
            return
        failures = _summarize(request, output, out)
    failures.update(resolved.errors)
    if failures:
        raise typer.Exit(EXIT_PARTIAL if len(failures) < len(wanted) else EXIT_FAILED)


def _summarize(request: SummarizeRequest, output: OutputFormat, out: Path | None) -> dict[str, str]:
    from papercast.summarize import summarize_papers

    papers = list(request.papers)
    if not papers:
        return {}
    with err.status("Summarizing…") as status:
        result = summarize_papers(replace(request, on_progress=status.update))
    if result.fatal and not result.records:
        raise LLMError(result.fatal)
    items = [
        SummaryItem.build(
            paper,
            result.records[paper.id],
            cached_fulltext(request.layout, paper),
            cached=paper.id in result.cached,
            note=result.notes.get(paper.id),
        )
        for paper in papers
        if paper.id in result.records
    ]
    if items:
        _emit(
            render_summaries(
                items,
                output,
                request.settings.issue.templates_dir,
                request.settings.issue.language,
            ),
            out,
        )
    for item in items:
        if item.record.extractive:
            err.print(
                line(("note", "yellow"), f" {item.paper.id}: extractive summary (offline, no LLM)")
            )
        if item.record.ungrounded:
            err.print(
                line(
                    ("warning", "yellow"),
                    f" {item.paper.id}: numbers not found in the source text: "
                    + ", ".join(item.record.ungrounded),
                )
            )
    usage = result.usage
    if usage.requests:
        err.print(
            f"{usage.requests} requests, {usage.input_tokens} tokens in, "
            f"{usage.output_tokens} out, ${usage.cost_usd:.4f}"
            + (" (tokens estimated: the server reported no usage)" if usage.estimated else ""),
            highlight=False,
        )
    if len(papers) == 1 and result.failures and not items:
        raise LLMError(next(iter(result.failures.values())))
    _report_failures(result.failures)
    return dict(result.failures)


def _submit(request: SummarizeRequest) -> None:
    from papercast.summarize.batch import submit_batch

    info = submit_batch(replace(request, on_progress=lambda msg: err.print(msg)))
    if info is None:
        typer.echo("Nothing to submit: every paper is summarized or already in a batch.")
        return
    typer.echo(
        f"Submitted batch {info.batch_id} ({info.request_count} requests, status {info.status})."
    )
    typer.echo("Collect it later with: papercast summarize --collect")


def _collect(
    settings: Settings, db: Database, output: OutputFormat, out: Path | None, batch_id: str | None
) -> None:
    from papercast.store.papers import PaperStore
    from papercast.summarize.batch import collect_batches

    with db:
        results = collect_batches(settings=settings, db=db, batch_id=batch_id)
        if not results:
            typer.echo("No pending batches.")
            return
        items: list[SummaryItem] = []
        known = PaperStore(db)
        for result in results:
            status: Literal["done", "pending"] = "done" if result.done else "pending"
            err.print(
                f"batch {result.batch_id}: {result.status} "
                f"({result.completed}/{result.total} requests){'' if status == 'done' else ' — collect again later'}"
            )
            _report_failures(result.failures)
            for paper_id, record in result.records.items():
                paper = result.papers.get(paper_id) or known.get(paper_id)
                if paper is None:
                    paper = Paper(id=paper_id, source="local", title=paper_id)
                items.append(SummaryItem.build(paper, record))
    if items:
        _emit(
            render_summaries(items, output, settings.issue.templates_dir, settings.issue.language),
            out,
        )
