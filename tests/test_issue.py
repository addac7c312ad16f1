"""Assembling the weekly Issue: highlights vs one-liners, stars, transparency, determinism."""

from __future__ import annotations

from datetime import date

import pytest

from papercast.config import Settings
from papercast.errors import ConfigError, InputError
from papercast.issue import (
    assemble_issue,
    first_sentence,
    issue_id_for,
    issue_sunday,
    one_liner,
    parse_issue_id,
)
from papercast.models import IssueEntry
from support.issue_builders import paper, sample_issue, summary


def _ranked(n: int) -> list[IssueEntry]:
    return [IssueEntry(paper=paper(i), score=1 - i / 100, why=f"why {i}") for i in range(1, n + 1)]


def test_issue_ids_are_iso_weeks_and_default_date_is_the_sunday() -> None:
    assert issue_id_for(date(2024, 10, 9)) == "2024-W41"
    assert issue_sunday("2024-W41") == date(2024, 10, 13)
    assert issue_id_for(date(2021, 1, 2)) == "2020-W53"
    for bad in ("2024-41", "2024-W99", "W41", "2024-W1", "../etc"):
        with pytest.raises(InputError, match="ISO weeks"):
            parse_issue_id(bad)


def test_highlights_are_the_most_significant_of_the_top_ranked_shown_in_rank_order() -> None:
    settings = Settings(issue={"highlights": 2, "noteworthy": 10, "star_top": 1})
    ranked = _ranked(6)
    significance = {1: 3, 2: 9, 3: 8, 4: 10, 5: 10, 6: 10}
    summaries = {f"arxiv:2410.{n:05d}": summary(n, s) for n, s in significance.items()}
    issue = assemble_issue("2024-W41", ranked=ranked, summaries=summaries, settings=settings)
    # the pool is the top 2 x 2 = 4 by rank; 4 (10) and 2 (9) win; shown in rank order
    assert [e.paper.id for e in issue.highlights] == ["arxiv:2410.00002", "arxiv:2410.00004"]
    assert [e.paper.id for e in issue.noteworthy] == [
        "arxiv:2410.00001", "arxiv:2410.00003", "arxiv:2410.00005", "arxiv:2410.00006",
    ]  # fmt: skip
    # one star: the most significant one-liner, ties to the better rank
    assert [e.paper.id for e in issue.noteworthy if e.starred] == ["arxiv:2410.00005"]
    assert all(e.summary is not None for e in issue.highlights)


def test_unsummarized_papers_become_one_liners_from_their_abstract() -> None:
    settings = Settings(issue={"highlights": 3, "noteworthy": 5, "star_top": 0})
    ranked = _ranked(4)
    summaries = {"arxiv:2410.00003": summary(3, 7)}
    issue = assemble_issue("2024-W41", ranked=ranked, summaries=summaries, settings=settings)
    assert [e.paper.id for e in issue.highlights] == ["arxiv:2410.00003"]
    lines = {e.paper.id: one_liner(e) for e in issue.noteworthy}
    assert lines["arxiv:2410.00001"] == "We study thing 1 in depth."
    assert not any(e.starred for e in issue.noteworthy)


def test_noteworthy_count_caps_the_list_and_duplicates_keep_their_best_rank() -> None:
    settings = Settings(issue={"highlights": 1, "noteworthy": 2})
    ranked = _ranked(5)
    ranked.insert(2, IssueEntry(paper=paper(1), score=0.1, why="duplicate"))
    issue = assemble_issue("2024-W41", ranked=ranked, summaries={}, settings=settings)
    assert issue.highlights == []
    assert [e.paper.id for e in issue.noteworthy] == ["arxiv:2410.00001", "arxiv:2410.00002"]
    assert issue.noteworthy[0].why == "why 1"


def test_first_sentence_respects_abbreviations_and_length() -> None:
    assert first_sentence("We use e.g. transformers et al. here. Then more.") == (
        "We use e.g. transformers et al. here."
    )
    long = "word " * 200
    cut = first_sentence(long, limit=50)
    assert len(cut) <= 50 and cut.endswith("…")
    assert first_sentence("") == ""


def test_transparency_line_names_the_model_and_date() -> None:
    issue = sample_issue()
    assert issue.transparency == "This issue was written by gpt-4o-mini on 2024-10-13."
    assert issue.model == "gpt-4o-mini" and not issue.extractive
    assert issue.title == "This Week's New Papers - Oct 13, 2024"
    assert issue.date == date(2024, 10, 13)


def test_extractive_summaries_are_said_to_be_extractive() -> None:
    settings = Settings()
    ranked = _ranked(3)
    summaries = {f"arxiv:2410.{n:05d}": summary(n, 5, model="extractive") for n in (1, 2)}
    issue = assemble_issue("2024-W41", ranked=ranked, summaries=summaries, settings=settings)
    assert issue.extractive
    assert issue.transparency.startswith("These summaries are extractive")
    assert "written by gpt" not in issue.transparency
    mixed = {**summaries, "arxiv:2410.00003": summary(3, 5, model="llama3")}
    issue = assemble_issue("2024-W41", ranked=ranked, summaries=mixed, settings=settings)
    assert issue.transparency.startswith("This issue was written by llama3 on 2024-10-13.")
    assert "Some summaries are extractive" in issue.transparency


def test_title_intro_outro_are_templates_and_bad_ones_say_which_key() -> None:
    settings = Settings(
        issue={
            "title": "{{ show_name }} #{{ issue_id }} ({{ date.isoformat() }})",
            "intro": "{{ highlights_count }} highlights, {{ noteworthy_count }} more.",
            "show_name": "Weekly ML",
        }
    )
    issue = assemble_issue("2024-W41", ranked=_ranked(8), summaries={}, settings=settings,
                           issue_date=date(2024, 10, 12))  # fmt: skip
    assert issue.title == "Weekly ML #2024-W41 (2024-10-12)"
    assert issue.intro == "0 highlights, 8 more."
    bad = Settings(issue={"outro": "{{ nope }}"})
    with pytest.raises(ConfigError, match=r"\[issue\] outro"):
        assemble_issue("2024-W41", ranked=_ranked(1), summaries={}, settings=bad)
    sandboxed = Settings(issue={"title": "{{ date.__class__.__mro__ }}"})
    with pytest.raises(ConfigError, match="title"):
        assemble_issue("2024-W41", ranked=_ranked(1), summaries={}, settings=sandboxed)


def test_same_inputs_give_identical_issues() -> None:
    first = sample_issue().model_dump_json()
    second = sample_issue().model_dump_json()
    assert first == second
