"""A store for the web app's tests: a ranked week of papers on two topics, some summarized,
one hostile, an earlier week with an issue on disk; and the app over it.

Settings keep everything offline: extractive summaries, no full text, no audio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from papercast.config import Settings, derive
from papercast.layout import Layout
from papercast.models import Author, Issue, IssueEntry, Paper
from papercast.store import Database, PaperStore
from papercast.store.issues import IssueStore
from papercast.store.summaries import SummaryStore
from papercast.store.weekly import RankedRef, WeeklyState, WeeklyStore
from support.issue_builders import HOSTILE_TITLE, hostile_summary, paper, summary

WEEK = "2024-W41"
PAST = "2024-W40"
GRAPH = "graph neural networks message passing over molecules"
PROTEIN = "protein folding structure prediction with evolutionary couplings"
SUMMARY_ONLY_WORD = "zanzibarite"  # appears in one summary and nowhere else


def topic_paper(n: int, topic: str, *, week: str = WEEK) -> Paper:
    day = 8 if week == WEEK else 1
    words = GRAPH if topic == "graph" else PROTEIN
    return paper(
        n,
        title=f"{words.split(' over ')[0].split(' with ')[0].title()} study {n}",
        abstract=f"We study {words}. Variant {n} improves on prior {topic} work.",
        authors=[Author(name=f"Ada Author{n}", affiliations=[f"Lab {n % 3}"])],
        categories=["cs.LG"] if topic == "graph" else ["q-bio.BM"],
        published=datetime(2024, 10, day, 12, tzinfo=UTC),
    )


def web_settings(root: Path, **sections: dict[str, object]) -> Settings:
    data: dict[str, object] = {
        "home": root / "home",
        "arxiv": {"categories": ["cs.LG"]},
        "llm": {"backend": "extractive", "fulltext": False},
        "audio": {"enabled": False},
        "publish": {"out_dir": root / "out", "feed": False},
        "issue": {"highlights": 3, "noteworthy": 10},
        "serve": {"page_size": 10},
    }
    for name, values in sections.items():
        merged = dict(data.get(name, {}))  # type: ignore[call-overload]
        merged.update(values)
        data[name] = merged
    return derive(Settings(), data, origin="the test world")


@dataclass
class WebWorld:
    settings: Settings
    layout: Layout
    papers: list[Paper]  # this week's candidates, best score first

    def db(self) -> Database:
        return Database(self.layout.db_path)


def build_world(root: Path, *, candidates: int = 24, **sections: dict[str, object]) -> WebWorld:
    """A ranked week of ``candidates`` papers (alternating topics; paper 2 is hostile, paper 3's
    summary holds a word found nowhere else) and a built past issue with files on disk."""
    settings = web_settings(root, **sections)
    layout = Layout.from_settings(settings)
    layout.ensure()
    papers: list[Paper] = []
    with Database(layout.db_path) as db:
        store = PaperStore(db)
        summaries = SummaryStore(db)
        for n in range(1, candidates + 1):
            topic = "graph" if n % 2 else "protein"
            p = topic_paper(n, topic)
            if n == 2:
                p = p.model_copy(update={"title": HOSTILE_TITLE})
            store.upsert(p)
            papers.append(p)
        summaries.put(hostile_summary(2))
        summaries.put(summary(3, results=f"The {SUMMARY_ONLY_WORD} effect doubles recall."))
        ranked = [
            RankedRef(id=p.id, score=round(1.0 - i / 100, 3), why=f"WHY-{i + 1}")
            for i, p in enumerate(papers)
        ]
        WeeklyStore(db).save(WeeklyState(issue_id=WEEK, window=WEEK, ranked=ranked))
        _past_issue(db, layout)
    return WebWorld(settings=settings, layout=layout, papers=papers)


def past_protein_papers() -> list[Paper]:
    """Papers of the week before, in the store but in no issue (for feedback from search)."""
    return [topic_paper(200 + n, "protein", week=PAST) for n in range(3)]


def _past_issue(db: Database, layout: Layout) -> None:
    past = [topic_paper(100 + n, "graph", week=PAST) for n in range(3)]
    for p in [*past, *past_protein_papers()]:
        PaperStore(db).upsert(p)
    entries = [IssueEntry(paper=p, score=0.9, why="picked by you") for p in past]
    issue = Issue(
        id=PAST,
        title="Graph week",
        date=datetime(2024, 10, 6, tzinfo=UTC).date(),
        highlights=entries[:2],
        noteworthy=entries[2:],
        audio_duration_seconds=75.0,
        audio_file="episode.mp3",
    )
    IssueStore(db).save(issue)
    WeeklyStore(db).save(
        WeeklyState(
            issue_id=PAST,
            window=PAST,
            ranked=[RankedRef(id=p.id, score=0.9, picked=True) for p in past],
            stage="done",
        )
    )
    folder = layout.issue_dir(PAST)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "issue.html").write_text("<!doctype html><title>Graph week</title><p>issue</p>")
    (folder / "episode.mp3").write_bytes(b"ID3" + b"\0" * 64)
    (folder / "chapters.json").write_text(
        '{"version": "1.2.0", "chapters": [{"startTime": 0, "endTime": 30, "title": "Intro"},'
        ' {"startTime": 30.5, "endTime": 75, "title": "Graph study 100"}]}'
    )
    (folder / "run.json").write_text('{"status": "done", "candidates": 3, "chosen": 3}')
    (folder / "email").mkdir(exist_ok=True)
    (folder / "email" / "issue.eml").write_text("To: reader@example.org\n\nprivate")
    (folder / ".issue.html.1234.tmp").write_text("half-written")


CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)
