"""PDF text extraction, section splitting, budgeting, downloads and the PDF cache."""

from __future__ import annotations

import pytest

from papercast.sample.server import FixtureServer, Reply
from papercast.sections import split_sections
from papercast.summarize.fulltext import (
    FullTextError,
    FullTextFetcher,
    PdfExtractor,
    budget_text,
    context_budget,
    pdf_url,
)
from support.corpus_papers import NAMES as CORPUS_NAMES
from support.corpus_papers import corpus_pdf
from support.corpus_papers import expected as corpus_expected
from support.llm_helpers import Env, make_paper, make_settings
from support.pdfs import (
    make_corrupt_pdf,
    make_image_only_pdf,
    make_many_page_pdf,
    make_not_a_pdf,
    make_pdf,
    sample_paper_pages,
)

PAPER_TEXT = "\n".join(
    [
        "Great Title",
        "Abstract",
        "We do X. " * 20,
        "1 Introduction",
        "Intro words. " * 200,
        "2 Related Work",
        "Others did Y. " * 400,
        "3 Method",
        "Our method. " * 200,
        "4 Results",
        "We gain 4.2%. " * 200,
        "5 Conclusion",
        "We conclude. " * 50,
        "References",
        "[1] A. Author. A paper. 2020. " * 300,
    ]
)


def _drawn_and_corpus() -> list[tuple[str, bytes, str, int, list[str]]]:
    """(name, PDF, title, pages, text that must be there): a drawn PDF and the LaTeX corpus."""
    drawn = make_pdf(
        sample_paper_pages("A (Tricky) Title \\ ok", "Abstract text here."), title="Meta Title"
    )
    cases = [("drawn", drawn, "Meta Title", 8, ["3 Method", "A (Tricky) Title \\ ok"])]
    for name in CORPUS_NAMES:
        want = corpus_expected(name)
        headings = [h for h in want["sections"] if h[0].isdigit()]
        cases.append((name, corpus_pdf(name), want["title"], want["pages"], headings))
    return cases


@pytest.mark.parametrize(
    ("pdf", "title", "pages", "present"),
    [case[1:] for case in _drawn_and_corpus()],
    ids=[case[0] for case in _drawn_and_corpus()],
)
def test_pdfs_read_back_with_title_and_headings(
    pdf: bytes, title: str, pages: int, present: list[str]
) -> None:
    extracted = PdfExtractor().extract(pdf)
    assert extracted.title == title and extracted.pages == pages
    lines = extracted.text.splitlines()
    for text in present:
        assert text in lines or text in extracted.text


def test_without_metadata_the_title_is_the_first_page_title() -> None:
    no_meta = PdfExtractor().extract(make_pdf(sample_paper_pages("First Page Title")))
    assert no_meta.title == "First Page Title"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (make_corrupt_pdf(), "corrupt"),
        (make_not_a_pdf(), "not_pdf"),
        (b"", "not_pdf"),
        (make_image_only_pdf(3), "no_text"),
    ],
)
def test_unusable_pdfs_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(FullTextError) as info:
        PdfExtractor().extract(data)
    assert info.value.reason == reason


def test_long_pdf_reads_head_and_tail_within_the_cap() -> None:
    extracted = PdfExtractor(max_pages=20).extract(make_many_page_pdf(300))
    assert extracted.total_pages == 300 and extracted.pages == 20
    assert "Page 15." in extracted.text and "Page 300." in extracted.text
    assert "Page 100." not in extracted.text


def test_sections_are_found_and_classified() -> None:
    roles = [(s.heading, s.role) for s in split_sections(PAPER_TEXT)]
    assert roles == [
        ("", "front"),
        ("Abstract", "abstract"),
        ("1 Introduction", "intro"),
        ("2 Related Work", "related"),
        ("3 Method", "method"),
        ("4 Results", "results"),
        ("5 Conclusion", "conclusion"),
        ("References", "references"),
    ]


def test_text_that_fits_is_untouched() -> None:
    assert budget_text(PAPER_TEXT, 1_000_000) == PAPER_TEXT


def test_budget_keeps_the_essentials_not_the_tail() -> None:
    kept = budget_text(PAPER_TEXT, 1500)
    assert len(kept) <= 1500 * 4 + 300
    for needed in ("Great Title", "We do X.", "1 Introduction", "3 Method", "4 Results"):
        assert needed in kept
    assert "5 Conclusion" in kept and "We conclude." in kept
    assert "[1] A. Author" not in kept
    assert "[section omitted: 2 Related Work]" in kept and "Others did Y." not in kept
    assert "[section omitted: References]" not in kept  # references are dropped silently
    roomy = budget_text(PAPER_TEXT, 2500)  # spare room goes to the next sections by priority
    assert "Others did Y." in roomy and "[1] A. Author" not in roomy


def test_context_budget_respects_model_context() -> None:
    small = make_settings(None, context_tokens=8000, max_output_tokens=1000)
    assert context_budget(small) == 8000 - 1000 - 1500
    assert context_budget(make_settings(None)) == 24000


def test_pdf_links_fall_back_to_the_source_pattern() -> None:
    assert pdf_url(make_paper(1)) == "https://arxiv.org/pdf/2401.00001v1"
    assert pdf_url(make_paper(1, pdf_url="https://x.org/p.pdf")) == "https://x.org/p.pdf"


@pytest.mark.parametrize("name", ["drawn", *CORPUS_NAMES])
def test_download_is_cached_and_bad_links_become_notes(
    fixture_server: FixtureServer, name: str
) -> None:
    body = make_pdf(sample_paper_pages()) if name == "drawn" else corpus_pdf(name)
    fixture_server.route("/ok.pdf", Reply(body=body, content_type="application/pdf"))
    fixture_server.route("/big.pdf", Reply(body=b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)))
    env = Env.create(make_settings(None, max_pdf_mb=1))
    with FullTextFetcher(env.settings, env.layout) as fetcher:
        ok = make_paper(1, pdf_url=fixture_server.url("/ok.pdf"))
        assert fetcher.get(ok).available
        assert fetcher.get(ok).note == "cached"
        assert len(fixture_server.requests_to("/ok.pdf")) == 1
        assert fetcher.cache_path(ok).read_bytes().startswith(b"%PDF-")
        big = fetcher.get(make_paper(2, pdf_url=fixture_server.url("/big.pdf")))
        assert not big.available and "more than 1 MB" in (big.note or "")
        missing = fetcher.get(make_paper(3, pdf_url=fixture_server.url("/nope.pdf")))
        assert not missing.available and "HTTP 404" in (missing.note or "")


def test_unstructured_text_keeps_opening_and_end() -> None:
    text = "Opening words here. " * 500 + "FINAL CONCLUSION sentence."
    kept = budget_text(text, 500)
    assert kept.startswith("Opening words here.") and kept.endswith("FINAL CONCLUSION sentence.")
    assert len(kept) <= 500 * 4 + 50


def test_heading_detection_is_not_fooled_by_prose() -> None:
    text = "\n".join(
        [
            "A Sample Paper",
            "A Transformer model with 12 layers and",
            "2 Layers",
            "A. Proofs",
            "x",
        ]
    )
    headings = [s.heading for s in split_sections(text) if s.heading]
    assert headings == ["2 Layers", "A. Proofs"]
