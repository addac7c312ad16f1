"""The spoken script: chapters, wording, trimming to max_minutes, template overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from papercast.audio.script import build_script, parse_script
from papercast.config import Settings
from papercast.errors import AudioError
from support.audio_fakes import entry, make_issue


def test_script_has_intro_one_chapter_per_highlight_and_outro() -> None:
    issue = make_issue([entry(1, title="Round and Round We Go"), entry(2, title="BloArk")])
    script = build_script(issue, Settings())
    titles = [c.title for c in script.chapters]
    assert titles == ["Intro", "Round and Round We Go", "BloArk", "Outro"]
    assert script.chapters[1].url == "https://arxiv.org/abs/2410.00001"
    intro = " ".join(script.chapters[0].paragraphs)
    assert "Welcome to the test show." in intro
    assert "October 13, 2024" in intro
    assert "two papers" in intro
    assert "gpt-4o-mini" in intro  # the transparency line
    first = script.chapters[1].paragraphs
    assert first[0].startswith("Paper one: Round and Round We Go.")
    assert any(p.startswith("In short: A new way") for p in first)
    assert any(p.startswith("The caveats.") for p in first)
    assert script.chapters[2].paragraphs[0].startswith("And finally: BloArk.")


def test_spoken_text_has_no_urls_or_markup() -> None:
    issue = make_issue(
        [
            entry(
                1,
                method="See https://github.com/a/b and **bold** $x^2$ e.g. here [3].",
                results="LLMs got 12% better.",
            )
        ]
    )
    text = build_script(issue, Settings()).text
    assert "http" not in text and "github.com" not in text
    assert "**" not in text and "$" not in text and "[3]" not in text
    assert "for example" in text
    assert "L L Ms got 12 percent better." in text


def test_entities_markup_and_tables_are_never_read_out() -> None:
    issue = make_issue(
        [
            entry(
                1,
                title="Tom &amp; Jerry &lt;b&gt;revisited&lt;/b&gt;",
                method="<em>We</em> compare:\n| model | acc |\n|---|---|\n| A | 90% |",
                results="It&#39;s &gt; 2x faster <script>track()</script> &nbsp;overall.",
            )
        ]
    )
    text = build_script(issue, Settings()).text
    for leftover in ("&", "amp", "lt;", "gt;", "#39", "nbsp", "|", "---", "<", "track()"):
        assert leftover not in text, leftover
    assert "Tom and Jerry revisited" in text and "model, acc, A, 90 percent" in text


def test_least_significant_highlights_are_left_out_to_fit_max_minutes() -> None:
    long = " ".join(["This sentence is about the method in some detail."] * 40)
    entries = [
        entry(1, significance=9, method=long),
        entry(2, significance=3, method=long),
        entry(3, significance=7, method=long),
        entry(4, significance=5, method=long),
    ]
    settings = Settings(audio={"max_minutes": 10})
    full = build_script(make_issue(entries), Settings())
    assert full.estimated_seconds() > 10 * 60  # the premise: all four do not fit
    script = build_script(make_issue(entries), settings)
    assert script.estimated_seconds() <= 10 * 60
    assert script.dropped[0] == "arxiv:2410.00002"  # significance 3 goes first
    assert "arxiv:2410.00001" in script.kept
    assert set(script.kept) | set(script.dropped) == {e.paper.id for e in entries}
    # order of the kept ones is the issue's order, and the intro says some were left out
    assert script.kept == [e.paper.id for e in entries if e.paper.id in script.kept]
    assert "in the written issue only" in script.chapters[0].paragraphs[1]
    # whole sentences only: every paragraph still ends like a sentence
    assert all(p[-1] in ".!?" for c in script.chapters for p in c.paragraphs)


def test_at_least_one_highlight_is_kept_even_if_too_long() -> None:
    long = " ".join(["A long sentence about the method and its many parts."] * 200)
    script = build_script(
        make_issue([entry(1, method=long), entry(2, method=long)]),
        Settings(audio={"max_minutes": 1}),
    )
    assert len(script.kept) == 1
    assert len(script.chapters) == 3


def test_a_user_template_overrides_the_built_in_one(tmp_path: Path) -> None:
    (tmp_path / "podcast_script.j2").write_text(
        "## Hello <https://example.org>\n\nHi {{ show_name }}, {{ highlights | length }} papers.\n"
    )
    settings = Settings(issue={"templates_dir": tmp_path, "show_name": "Tuna"})
    script = build_script(make_issue([entry(1)]), settings)
    assert [c.title for c in script.chapters] == ["Hello"]
    assert script.chapters[0].url == "https://example.org"
    assert script.chapters[0].paragraphs == ["Hi Tuna, 1 papers."]


def test_a_broken_template_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "podcast_script.j2").write_text("{{ no_such_variable }}")
    settings = Settings(issue={"templates_dir": tmp_path})
    with pytest.raises(AudioError, match="podcast script template"):
        build_script(make_issue([entry(1)]), settings)


def test_an_empty_script_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "podcast_script.j2").write_text("## Only a title\n")
    with pytest.raises(AudioError, match="nothing to read aloud"):
        build_script(make_issue([entry(1)]), Settings(issue={"templates_dir": tmp_path}))


def test_parse_script_text_before_a_chapter_goes_to_an_intro() -> None:
    chapters = parse_script("Hello there.\n\n## Next\nLine one\nline two.\n\n\n## Empty\n")
    assert [(c.title, c.paragraphs) for c in chapters] == [
        ("Intro", ["Hello there."]),
        ("Next", ["Line one line two."]),
    ]


def test_highlight_without_summary_reads_its_abstract() -> None:
    bare = entry(1).model_copy(update={"summary": None})
    bare.paper.abstract = "We study cats."
    script = build_script(make_issue([bare]), Settings())
    assert "We study cats." in script.chapters[1].paragraphs


def test_an_empty_summary_section_is_not_announced() -> None:
    script = build_script(make_issue([entry(1, critiques="  ")]), Settings())
    paragraphs = script.chapters[1].paragraphs
    assert not any(p.startswith("The caveats") for p in paragraphs)
    assert any(p.startswith("Why it matters.") for p in paragraphs)


def test_a_heading_inside_a_summary_does_not_start_a_chapter() -> None:
    issue = make_issue([entry(1, method="## Approach\nThey train it.\n# Data\nPublic data.")])
    script = build_script(issue, Settings())
    assert [c.title for c in script.chapters] == [
        "Intro",
        "Paper 1 on efficient attention",
        "Outro",
    ]
    assert (
        "How it works. Approach. They train it. Data. Public data." in script.chapters[1].paragraphs
    )
