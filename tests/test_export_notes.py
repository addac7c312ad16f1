"""Per-paper notes with YAML frontmatter (parsed back as YAML-compatible JSON scalars)."""

from __future__ import annotations

import json
from pathlib import Path

from papercast.export.notes import tag, write_notes
from support.issue_builders import HOSTILE_TITLE, sample_issue


def _frontmatter(text: str) -> dict[str, object]:
    assert text.startswith("---\n")
    head = text.split("\n---\n", 1)[0].splitlines()[1:]
    values = {}
    for line in head:
        key, _, raw = line.partition(": ")
        values[key] = json.loads(raw)  # JSON scalars/lists are valid YAML flow values
    return values


def test_one_note_per_summarized_paper_with_frontmatter(tmp_path: Path) -> None:
    issue = sample_issue()
    written = write_notes(issue, tmp_path / "vault")
    # papers 1-7 are summarized; 8-10 have no summary and get no note
    assert sorted(p.name for p in written) == [f"arxiv-2410.{n:05d}.md" for n in range(1, 8)]
    note = (tmp_path / "vault" / "arxiv-2410.00001.md").read_text(encoding="utf-8")
    front = _frontmatter(note)
    assert front == {
        "id": "arxiv:2410.00001",
        "title": "Paper Number 1: A Study of Things",
        "authors": ["Author 1A", "Author 1B", "Author 1C", "Author 1D"],
        "date": "2024-10-08",
        "issue": "2024-W41",
        "source": "arxiv",
        "links": ["https://arxiv.org/abs/2410.00001v1", "https://arxiv.org/pdf/2410.00001v1"],
        "tags": ["topic-1", "transformers"],
        "significance": 9,
        "summary_model": "gpt-4o-mini",
    }
    for heading in ("## TL;DR", "## Method", "## Results", "## Critiques", "## Implications"):
        assert heading in note
    assert "METHOD-1: we train a model on data 1." in note


def test_hostile_text_stays_inside_its_frontmatter_value(tmp_path: Path) -> None:
    write_notes(sample_issue(), tmp_path)
    note = (tmp_path / "arxiv-2410.00002.md").read_text(encoding="utf-8")
    front = _frontmatter(note)
    assert front["title"] == HOSTILE_TITLE
    assert front["links"] == ["https://arxiv.org/abs/2410.00002v1"], "javascript:/data: dropped"
    assert set(front) == {"id", "title", "authors", "date", "issue", "source", "links", "tags",
                          "significance", "summary_model"}  # fmt: skip


def test_tags_are_obsidian_friendly() -> None:
    assert tag("Large Language Models") == "large-language-models"
    assert tag("  RL/bandits ") == "rl/bandits"
    assert tag("#!") == ""
