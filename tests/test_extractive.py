"""The offline (extractive) summary reads well: its sentences come from the right sections, none
twice, no fragments, and no score or star appears anywhere, since nothing assessed the paper."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from papercast.audio.script import build_script
from papercast.config import Settings
from papercast.export.notes import write_notes
from papercast.issue import assemble_issue
from papercast.llm.extractive import extractive_summary, is_fragment
from papercast.models import IssueEntry, SummaryRecord
from papercast.render import FORMATS, render_issue
from papercast.sections import split_sections
from papercast.summarize.fulltext import PdfExtractor
from papercast.summarize.output import SummaryItem, render_summaries
from support.corpus_papers import NAMES, corpus_pdf, expected
from support.issue_builders import paper, summary

FIELDS = ("tldr", "method", "results", "critiques", "implications")
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _sentences(text: str) -> list[str]:
    return [s for s in _SPLIT.split(text) if s]


def _section_text(body: str, roles: set[str]) -> str:
    return " ".join(" ".join(s.text.split()) for s in split_sections(body) if s.role in roles)


@pytest.mark.parametrize("name", NAMES)
def test_full_text_fields_come_from_their_sections(name: str) -> None:
    extracted = PdfExtractor().extract(corpus_pdf(name))
    body = extracted.text
    abstract = next(s.text for s in split_sections(body) if s.role == "abstract")
    result = extractive_summary(expected(name)["title"], abstract, body)
    method = _section_text(body, {"method"})
    results = _section_text(body, {"results"})
    closing = _section_text(body, {"conclusion", "discussion"})
    for sentence in _sentences(result.method):
        assert sentence in method, sentence
    for sentence in _sentences(result.results):
        assert sentence in results, sentence
    assert any(number in result.results for number in expected(name)["results_numbers"]) or (
        re.search(r"\d", result.results)
    )
    for sentence in _sentences(result.implications):
        assert sentence in closing, sentence


@pytest.mark.parametrize("name", NAMES)
def test_no_sentence_twice_and_no_fragments(name: str) -> None:
    body = PdfExtractor().extract(corpus_pdf(name)).text
    abstract = next(s.text for s in split_sections(body) if s.role == "abstract")
    result = extractive_summary(expected(name)["title"], abstract, body)
    quoted = [s for field in FIELDS for s in _sentences(getattr(result, field))]
    keys = [" ".join(re.findall(r"[a-z0-9]+", s.lower())) for s in quoted]
    assert len(keys) == len(set(keys)), "a sentence appears twice"
    for sentence in quoted:
        assert re.search(r"[.!?][\"')\]]?$", sentence), sentence
        assert not re.match(r"(Table|Figure|Fig\.)\s*\d", sentence), sentence
        assert sentence.count("[") == sentence.count("]"), sentence


def test_repeats_within_the_abstract_and_body_are_quoted_once() -> None:
    abstract = (
        "We propose Foo, a method for graphs. Foo improves accuracy by 4.2% on Cora. "
        "Foo improves accuracy by 4.2% on Cora."
    )
    body = (
        "3 Method\nWe propose Foo, a method for graphs. Foo uses a new loss.\n\n"
        "4 Results\nFoo improves accuracy by 4.2% on Cora. It also runs 2x faster than GCN.\n"
    )
    result = extractive_summary("Foo", abstract, body)
    text = " ".join(getattr(result, f) for f in FIELDS)
    assert text.count("Foo improves accuracy by 4.2% on Cora") == 1
    assert text.count("We propose Foo, a method for graphs") == 1


@pytest.mark.parametrize(
    "fragment",
    [
        "The drafter could be calculated as:",
        "This reduces the primary latency 1",
        "Table 2: Ablations on the 7B model, averaged over the four tasks.",
        "Figure 3. Acceptance rate by token frequency for both models here.",
        "As shown in prior work [12, the method is sound and well tested.",
        "[4] A. Author. A paper about speculative decoding. 2020.",
        "L(ϕ) = E h KL p(· | x) ∥ q(· | x) i holds for every token here.",
        "denote the hidden state of token t after layer l of the model.",
    ],
)
def test_fragments_are_recognized(fragment: str) -> None:
    assert is_fragment(fragment)


def test_real_sentences_are_not_fragments() -> None:
    for sentence in (
        "The index correlated with species richness at r = 0.78 (95% interval 0.71 to 0.83).",
        "We use a GPU and a CPU for every run.",
        "On the 7B model it reaches an average speedup of 1.87×, against 1.52× for layer skipping.",
    ):
        assert not is_fragment(sentence), sentence


# -- nothing assessed: no significance, score or star anywhere ------------------------------


def _extractive_issue(settings: Settings) -> tuple[list[IssueEntry], dict[str, SummaryRecord]]:
    ranked = [IssueEntry(paper=paper(n), score=1.0 - n / 100, why="") for n in range(1, 9)]
    summaries = {
        p.paper.id: summary(
            n, significance=9 - n, model="extractive", significance_reason=f"NOTASSESSED-{n}"
        )
        for n, p in enumerate(ranked, start=1)
    }
    return ranked, summaries


def test_no_significance_score_or_star_in_any_format_when_nothing_assessed(
    tmp_path: Path,
) -> None:
    settings = Settings()
    ranked, summaries = _extractive_issue(settings)
    issue = assemble_issue("2024-W41", ranked=ranked, summaries=summaries, settings=settings)
    assert issue.noteworthy and not any(e.starred for e in issue.noteworthy)
    paths = render_issue(issue, settings=settings, out_dir=tmp_path, formats=list(FORMATS))
    outputs = {fmt: p.read_text(encoding="utf-8") for fmt, p in paths.items()}
    notes = write_notes(issue, tmp_path / "notes")
    outputs.update({f"note {p.name}": p.read_text(encoding="utf-8") for p in notes})
    items = [SummaryItem(paper=e.paper, record=summaries[e.paper.id]) for e in issue.highlights]
    for fmt in ("md", "html"):
        outputs[f"summarize {fmt}"] = render_summaries(items, fmt)  # type: ignore[arg-type]
    rows = [json.loads(line) for line in render_summaries(items, "json").splitlines()]
    assert all(r["summary"]["significance"] is None for r in rows)  # null: not assessed
    assert all(r["summary"]["significance_reason"] is None for r in rows)
    outputs["spoken script"] = build_script(issue, settings).text
    assert len(outputs) >= 9
    for where, text in outputs.items():
        assert "NOTASSESSED" not in text, where
        assert not re.search(r"significance|/10\b|★|⭐", text, re.I), where
    assert "(* = most interesting)" not in outputs["txt"]
    assert "CRITIQUES-1" not in outputs["spoken script"]  # the placeholder is not read out


def test_an_assessed_summary_still_shows_its_score_and_star(tmp_path: Path) -> None:
    settings = Settings()
    ranked, summaries = _extractive_issue(settings)
    last = ranked[-1].paper.id
    summaries[last] = summary(8, significance=9)  # an LLM summary among extractive ones
    issue = assemble_issue("2024-W41", ranked=ranked, summaries=summaries, settings=settings)
    paths = render_issue(issue, settings=settings, out_dir=tmp_path, formats=["md"])
    text = paths["md"].read_text(encoding="utf-8")
    assert last in {e.paper.id for e in issue.highlights}  # the one assessed paper leads
    assert text.count("Significance: 9/10") == 1 and "/10" not in text.replace("9/10", "")
