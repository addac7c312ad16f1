"""Hand-written papers, summaries and issues for the issue/render/export tests.

Includes hostile strings: markup in titles, attribute breakouts, javascript: URLs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from papercast.config import Settings
from papercast.issue import assemble_issue
from papercast.models import Author, Issue, IssueEntry, Paper, Summary, SummaryRecord

HOSTILE_TITLE = "Attention <script>alert('t')</script> Is Enough"
HOSTILE_BREAKOUT = '"><img src=x onerror=alert(1)>'
HOSTILE_URL = "javascript:alert(document.cookie)"


def paper(n: int, **overrides: object) -> Paper:
    data: dict[str, object] = {
        "id": f"arxiv:2410.{n:05d}",
        "source": "arxiv",
        "version": 1,
        "title": f"Paper Number {n}: A Study of Things",
        "authors": [Author(name=f"Author {n}{c}") for c in "ABCD"],
        "abstract": f"We study thing {n} in depth. It works well. More text follows here.",
        "categories": ["cs.LG", "cs.CL"],
        "primary_category": "cs.LG",
        "published": datetime(2024, 10, 8, 12, 0, tzinfo=UTC),
        "abs_url": f"https://arxiv.org/abs/2410.{n:05d}v1",
        "pdf_url": f"https://arxiv.org/pdf/2410.{n:05d}v1",
    }
    data.update(overrides)
    return Paper.model_validate(data)


def summary(
    n: int, significance: int = 5, *, model: str = "gpt-4o-mini", **overrides: object
) -> SummaryRecord:
    fields: dict[str, object] = {
        "tldr": f"TLDR-{n}: thing {n} beats the baseline.",
        "method": f"METHOD-{n}: we train a model on data {n}.",
        "results": f"RESULTS-{n}: accuracy rises by {n}% over the baseline.",
        "critiques": f"CRITIQUES-{n}: only one dataset is tested.",
        "implications": f"IMPLICATIONS-{n}: practitioners can adopt it.",
        "significance": significance,
        "significance_reason": f"REASON-{n}",
        "keywords": ["transformers", f"topic {n}"],
    }
    fields.update(overrides)
    backend = "extractive" if model == "extractive" else "llm"
    return SummaryRecord(
        paper_id=f"arxiv:2410.{n:05d}",
        version=1,
        model=model,
        backend=backend,
        summary=Summary.model_validate(fields),
    )


def hostile_paper(n: int) -> Paper:
    return paper(
        n,
        title=HOSTILE_TITLE,
        authors=[Author(name=HOSTILE_BREAKOUT), Author(name="Eve [x](javascript:alert(1))")],
        abstract=f"{HOSTILE_BREAKOUT} first sentence. Second.",
        abs_url=HOSTILE_URL,
        pdf_url="data:text/html,<script>alert(1)</script>",
        categories=["<b>cs.CR</b>"],
    )


def hostile_summary(n: int, significance: int = 9) -> SummaryRecord:
    return summary(
        n,
        significance,
        tldr=f"TLDR-{n} <script>alert('x')</script> [click](javascript:alert(2))",
        method=f"METHOD-{n} {HOSTILE_BREAKOUT}",
        results=f'RESULTS-{n} <a href="javascript:alert(3)">here</a>',
    )


def sample_issue(
    settings: Settings | None = None,
    *,
    n_papers: int = 10,
    hostile: bool = True,
    issue_id: str = "2024-W41",
) -> Issue:
    """10 ranked papers: 1-7 summarized, 8-10 abstract-only; paper 2 is hostile."""
    settings = settings or Settings()
    ranked: list[IssueEntry] = []
    summaries: dict[str, SummaryRecord] = {}
    for n in range(1, n_papers + 1):
        p = hostile_paper(n) if hostile and n == 2 else paper(n)
        ranked.append(
            IssueEntry(paper=p, score=1.0 - n / 100, why=f"WHY-{n}: matches your interests")
        )
        if n <= 7:
            rec = hostile_summary(n) if hostile and n == 2 else summary(n, significance=10 - n)
            summaries[p.id] = rec
    return assemble_issue(issue_id, ranked=ranked, summaries=summaries, settings=settings)


def fixed_date() -> date:
    return date(2024, 10, 13)
