"""What summarizing would cost, without calling any model (``--estimate``, ``run --dry-run``).

Cached summaries cost nothing; full text counts at its real length when the PDF is cached (or
downloaded on request), else at a typical paper's length within the budget.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from papercast.llm.base import SourceText
from papercast.llm.extractive import EXTRACTIVE_PROMPT_HASH
from papercast.llm.pricing import TYPICAL_OUTPUT_TOKENS, cost_usd, estimate_tokens
from papercast.llm.registry import resolve_backend_name
from papercast.models import SummaryRecord
from papercast.summarize.fulltext import FullTextFetcher, budget_text, context_budget
from papercast.summarize.jobs import SummarizeRequest
from papercast.summarize.prompts import PromptSet

TYPICAL_FULLTEXT_TOKENS = 12000  # assumed for --estimate when a PDF is not downloaded yet


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
    records: dict[str, SummaryRecord] = Field(
        default_factory=dict, exclude=True, description="the cached summaries, by paper id"
    )

    @property
    def to_summarize(self) -> int:
        return sum(not p.cached for p in self.papers)


def estimate_cost(request: SummarizeRequest, *, download: bool = False) -> CostEstimate:
    """Expected tokens and cost of summarizing ``papers``, without calling any model.

    Cached summaries cost nothing. Full text counts at its real length when the PDF is cached
    (or ``download`` is set), else at a typical paper's length within the budget.
    """
    settings = request.settings
    prompts = PromptSet.load(settings.llm.prompts_dir, settings.issue.language)
    name = resolve_backend_name(settings)
    extractive = name == "extractive"
    model = "extractive" if extractive else settings.llm.model
    prompt_hash = EXTRACTIVE_PROMPT_HASH if extractive else prompts.hash
    fetcher = FullTextFetcher(settings, request.layout)
    budget = context_budget(settings)
    estimate = CostEstimate(backend=name, model=model)
    estimate.priced = extractive or cost_usd(settings.llm, model, 1_000_000, 0) > 0
    system_tokens = estimate_tokens(prompts.system())
    try:
        for paper in request.unique_papers():
            row = PaperEstimate(paper_id=paper.id)
            estimate.papers.append(row)
            cached = request.cached(paper, model, prompt_hash)
            if cached is not None:
                row.cached = True
                estimate.records[paper.id] = cached
                continue
            if extractive:
                continue
            text_tokens = estimate_tokens(paper.abstract)
            if request.wants_fulltext(paper):
                text = fetcher.cached_text(paper)
                if text is None and download:
                    text = fetcher.get(paper).text
                if text is not None:
                    row.source_text = "full"
                    text_tokens = estimate_tokens(budget_text(text, budget))
                else:
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
        fetcher.close()
    return estimate
