"""What to summarize and how: the request every entry point builds, and one paper's job.

``SummarizeRequest`` is what the weekly run and ``papercast summarize`` hand to
``summarize_papers``, ``submit_batch`` and ``estimate_cost``: the papers, where state lives,
which papers get their full text, whether to ignore the cache, the run the calls belong to, the
spending limit and a progress callback. ``make_job`` renders the prompts for one paper's text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from papercast.config import Settings
from papercast.layout import Layout
from papercast.llm.base import SourceText, SummaryJob
from papercast.models import SUMMARY_SCHEMA_VERSION, Paper, Summary, SummaryRecord
from papercast.store.db import Database
from papercast.store.summaries import SummaryStore
from papercast.summarize.prompts import PromptSet

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SummarizeRequest:
    """Papers to summarize and everything the stage needs besides them."""

    papers: Sequence[Paper]
    settings: Settings
    db: Database
    layout: Layout
    fulltext_ids: set[str] | None = None  # full text only for these ids (None: every paper)
    refresh: bool = False  # ignore cached summaries
    run_id: int | None = None  # the weekly run the model calls belong to
    max_cost: float | None = None  # USD; default [llm] max_cost
    on_progress: Progress | None = None

    def unique_papers(self) -> list[Paper]:
        """Each paper once (the first of the same id), in the given order."""
        seen: dict[str, Paper] = {}
        for paper in self.papers:
            seen.setdefault(paper.id, paper)
        return list(seen.values())

    def wants_fulltext(self, paper: Paper) -> bool:
        return self.settings.llm.fulltext and (
            self.fulltext_ids is None or paper.id in self.fulltext_ids
        )

    @property
    def cost_limit(self) -> float | None:
        return self.max_cost if self.max_cost is not None else self.settings.llm.max_cost

    def progress(self, message: str) -> None:
        if self.on_progress is not None:
            self.on_progress(message)

    def cached(self, paper: Paper, model: str, prompt_hash: str) -> SummaryRecord | None:
        """The stored summary of this paper version by this model and prompt (unless refresh)."""
        if self.refresh:
            return None
        return SummaryStore(self.db).get(
            paper.id, paper.version, model, prompt_hash, SUMMARY_SCHEMA_VERSION
        )


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


def summary_schema_hash() -> str:
    """Identifies the Summary JSON schema a call asked for (logged with every call)."""
    schema = json.dumps(Summary.model_json_schema(), sort_keys=True)
    return hashlib.sha256(schema.encode()).hexdigest()[:16]
