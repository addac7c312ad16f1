"""Shared builders for the summary tests: settings pointed at a fake server, papers, a store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from papercast.config import Settings, load_settings
from papercast.layout import Layout
from papercast.models import Author, Paper
from papercast.store import Database
from papercast.summarize import SummarizeRequest
from support.fake_openai import FakeOpenAI

SENTINEL_KEY = "sk-test-SENTINEL-0123456789abcdef"


def make_settings(fake: FakeOpenAI | None = None, **llm: Any) -> Settings:
    section: dict[str, Any] = {"max_retries": 0, "timeout": 10}
    if fake is not None:
        section.update(base_url=fake.base_url, api_key=SENTINEL_KEY)
    section.update(llm)
    return load_settings(overrides={"llm": section, "arxiv": {"delay_seconds": 0}})


def make_paper(n: int, abstract: str | None = None, **fields: Any) -> Paper:
    text = (
        abstract
        if abstract is not None
        else (
            f"We propose Method{n} for graph learning. "
            f"Method{n} improves accuracy by {n}.5% over GCN on Cora. "
            "However, it needs more memory."
        )
    )
    return Paper(
        id=f"arxiv:2401.{n:05d}",
        source="arxiv",
        version=1,
        title=f"Paper number {n}",
        authors=[Author(name="Ada Lovelace"), Author(name="Alan Turing")],
        abstract=text,
        **fields,
    )


@dataclass
class Env:
    settings: Settings
    layout: Layout
    db: Database

    @classmethod
    def create(cls, settings: Settings) -> Env:
        layout = Layout.from_settings(settings)
        layout.ensure()
        return cls(settings, layout, Database(layout.db_path))

    def request(self, papers: list[Paper], **options: Any) -> SummarizeRequest:
        """A summarize request for ``papers`` in this environment."""
        return SummarizeRequest(papers, self.settings, self.db, self.layout, **options)
