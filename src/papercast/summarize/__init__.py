"""The summarize stage: from a paper (or an id, link or PDF) to a stored, checked summary.

- ``jobs``: ``SummarizeRequest`` (the papers and everything the stage needs besides them,
  shared by the three ways below) and one paper's job (text + rendered prompts).
- ``direct``: ``summarize_papers`` (concurrent, cached, costed calls).
- ``batch``: the OpenAI Batch API (submit now, collect later).
- ``estimate``: ``estimate_cost``, what it would cost, calling no model.
- ``inputs``: what a user typed after ``papercast summarize`` -> Papers.
- ``fulltext``: PDF download and cache, text extraction, the budget sent to the model;
  ``pdftext`` cleans pdfium's text, ``pdfmeta`` tells which paper a PDF is.
- ``prompts``: the summary prompt files and their hash; ``grounding``: numbers checked
  against the source text; ``output``: ``papercast summarize``'s md/html/json.

The backends that write a summary (OpenAI-compatible, extractive) live in ``papercast.llm``.
"""

from papercast.summarize.direct import SummarizeResult, summarize_papers
from papercast.summarize.estimate import CostEstimate, estimate_cost
from papercast.summarize.jobs import SummarizeRequest

__all__ = [
    "CostEstimate",
    "SummarizeRequest",
    "SummarizeResult",
    "estimate_cost",
    "summarize_papers",
]
