"""Property tests for the summaries' own outputs (issue 8): ``papercast summarize --format
html`` stays inert whatever the paper or the model wrote, and the grounding check never calls
a number invented when the summary copies it from the source."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papercast.models import Author, normalize_text
from papercast.summarize.grounding import ungrounded_numbers
from papercast.summarize.output import SummaryItem, render_summaries
from support.html_checks import Tags
from support.issue_builders import paper, summary

FUZZ = settings(max_examples=150, deadline=None, derandomize=True)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
HOSTILE = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "'><svg onload=alert(1)>",
        "<a href='javascript:alert(1)'>x</a>",
        "</p><iframe src=//evil.example>",
        "[x](javascript:alert(1))",
    ]
)
PROSE = st.lists(HOSTILE | TEXT, min_size=1, max_size=4).map(" ".join)


def _html(
    title: str, author: str, tldr: str, critiques: str, keyword: str, url: str
) -> tuple[str, str]:
    hostile = paper(
        1,
        title=title or "x",
        authors=[Author(name=author or "x")],
        abs_url=url or None,
        pdf_url=url or None,
    )
    record = summary(
        1, 7, tldr=tldr or "x", critiques=critiques or "x", keywords=[keyword or "x", "ok"]
    )
    items = [SummaryItem(paper=hostile, record=record, note="abstract only <b>")]
    return render_summaries(items, "html"), render_summaries(items, "json")


@FUZZ
@given(title=PROSE, author=PROSE, tldr=PROSE, critiques=PROSE, keyword=PROSE)
def test_summarize_html_output_carries_no_markup_from_paper_or_model(
    title: str, author: str, tldr: str, critiques: str, keyword: str
) -> None:
    html, lines = _html(title, author, tldr, critiques, keyword, "https://e.org/a")
    doc = Tags.of(html)
    names = {tag for tag, _ in doc.tags}
    assert not names & {"script", "img", "svg", "iframe", "b"}, names
    for tag, attrs in doc.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
    first = json.loads(lines.split("\n")[0])  # JSON lines: one object per "\n"-terminated line
    assert first["paper"]["title"] == (normalize_text(title) or "x")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>"])
def test_summarize_html_output_links_only_http(url: str) -> None:
    html, _ = _html("Title", "Author", "TLDR", "Critiques", "kw", url)
    hrefs = [attrs.get("href") for _, attrs in Tags.of(html).tags if attrs.get("href")]
    assert all(h.startswith(("https://", "http://")) for h in hrefs), hrefs


NUMBERS = st.one_of(
    st.integers(0, 10**9).map(str),
    st.integers(1000, 10**9).map(lambda n: f"{n:,}"),
    st.builds("{}.{}".format, st.integers(0, 999), st.integers(0, 999)),
    st.builds("{}%".format, st.integers(0, 100)),
    st.builds("{} %".format, st.integers(0, 100)),
)
WORDS = st.lists(
    st.sampled_from(
        ["accuracy", "improves", "by", "on", "the", "benchmark", "(", ")", ",", "v2", "x", "-"]
    ),
    max_size=4,
).map(" ".join)


@FUZZ
@given(parts=st.lists(st.tuples(WORDS, NUMBERS), min_size=1, max_size=6))
def test_numbers_copied_from_the_source_are_never_called_invented(
    parts: list[tuple[str, str]],
) -> None:
    sentence = " ".join(f"{words} {number}" for words, number in parts) + "."
    record = summary(
        1,
        5,
        results=sentence,
        tldr=sentence,
        method="We train a model.",
        critiques="None.",
        implications="Some.",
        significance_reason="Solid.",
    )
    source = "Intro. " + sentence + " More text."
    assert ungrounded_numbers(record.summary, source, language="en") == []


SPOKEN = {
    "en": [
        "twelve percent", "three hundred", "twenty-one", "two point five", "seven billion",
        "ninety-nine", "one", "a", "the first", "two-fold", "tenfold", "forty two", "zero",
        "one thousand two hundred", "thirteen", "five per cent", "hundreds",
    ],
    "de": [
        "zwölf Prozent", "dreihundert", "einundzwanzig", "zwei Komma fünf", "sieben Milliarden",
        "neunundneunzig", "eine", "der erste", "zweifach", "zehn", "null", "dreizehn",
    ],
    "fr": [
        "douze pour cent", "trois cents", "vingt-et-un", "deux virgule cinq", "sept milliards",
        "quatre-vingt-dix-neuf", "une", "le premier", "dix", "zéro", "treize", "mille deux cents",
    ],
}  # fmt: skip
FILLER = st.lists(
    st.sampled_from(["accuracy", "improves", "by", "on", "the", "models", "(", ")", ",", "."]),
    max_size=3,
).map(" ".join)


@FUZZ
@given(
    language=st.sampled_from(sorted(SPOKEN)),
    data=st.data(),
)
def test_numbers_in_words_copied_from_the_source_are_never_called_invented(
    language: str, data: st.DataObject
) -> None:
    """The paper is read (in English and the issue's language) the way the summary is: a
    sentence of number words copied from it is never flagged, whatever sits around them."""
    said = st.tuples(FILLER, st.sampled_from(SPOKEN[language]))
    parts = data.draw(st.lists(said, min_size=1, max_size=5))
    sentence = " ".join(f"{words} {number}" for words, number in parts) + "."
    record = summary(
        1,
        5,
        results=sentence,
        tldr="A model.",
        method="We train a model.",
        critiques="None.",
        implications="Some.",
        significance_reason="Solid.",
    )
    source = "Intro. " + sentence + " More text."
    assert ungrounded_numbers(record.summary, source, language=language) == []
