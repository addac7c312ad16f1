"""The summarize stage: from a paper (or an id, link or PDF) to a stored, checked summary.

- ``direct``: ``summarize_papers`` (concurrent, cached, costed calls) and ``estimate_cost``.
- ``batch``: the OpenAI Batch API (submit now, collect later).
- ``inputs``: what a user typed after ``papercast summarize`` -> Papers.
- ``fulltext``: PDF download and cache, text extraction, the budget sent to the model;
  ``pdftext`` cleans pdfium's text, ``pdfmeta`` tells which paper a PDF is.
- ``prompts``: the summary prompt files and their hash; ``grounding``: numbers checked
  against the source text; ``output``: ``papercast summarize``'s md/html/json.

The backends that write a summary (OpenAI-compatible, extractive) live in ``papercast.llm``.
"""

from papercast.summarize.direct import (
    CostEstimate,
    SummarizeResult,
    estimate_cost,
    summarize_papers,
)

__all__ = ["CostEstimate", "SummarizeResult", "estimate_cost", "summarize_papers"]
