"""Clean full text and PDF identity, on the LaTeX corpus (tests/corpus) and on small cases.

Expectations come from tests/corpus/corpus.json, written by hand from the sources and the
built PDFs, not from the code under test.
"""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest

from papercast.sections import split_sections
from papercast.summarize.fulltext import PdfExtractor
from papercast.summarize.pdftext import clean_pages, rejoin
from support.corpus_papers import NAMES, corpus_pdf, expected
from support.pdfs import make_pdf, sample_paper_pages

ARTEFACT_MARKS = ("\ufffe", "\u00ad", *(chr(c) for c in range(0xFB00, 0xFB07)))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _raw_pages(name: str) -> list[str]:
    document = pdfium.PdfDocument(corpus_pdf(name))
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


@pytest.mark.parametrize("name", NAMES)
def test_corpus_raw_text_has_the_artefacts_we_clean(name: str) -> None:
    """The corpus really exercises the cleaning: pdfium's raw text carries the artefacts."""
    raw = "".join(_raw_pages(name))
    paper = expected(name)
    assert "\ufffe" in raw
    for artefact in paper["artefacts"]:
        assert artefact in _flat(raw), artefact


@pytest.mark.parametrize("name", NAMES)
def test_corpus_text_is_clean(name: str) -> None:
    paper = expected(name)
    text = PdfExtractor().extract(corpus_pdf(name)).text
    flat = _flat(text)
    assert not [mark for mark in ARTEFACT_MARKS if mark in text]
    for word in paper["hyphenated"]:
        assert re.search(rf"\b{word}\b", flat), f"{word} is not whole"
    for word in paper["compounds"]:
        assert word in flat, f"{word} lost its hyphen"
    for word in paper["ligature_words"]:
        assert word.lower() in flat.lower(), word
    for artefact in paper["artefacts"]:
        assert artefact not in flat, f"{artefact!r} survived cleaning"
    assert not re.search(r"(?m)^\d{1,3}$", text), "a page or line number survived"


@pytest.mark.parametrize("name", NAMES)
def test_corpus_reads_in_order_with_every_section(name: str) -> None:
    paper = expected(name)
    text = PdfExtractor().extract(corpus_pdf(name)).text
    flat = _flat(text)
    positions = [flat.find(phrase) for phrase in paper["order"]]
    assert -1 not in positions, [
        p for p, at in zip(paper["order"], positions, strict=True) if at < 0
    ]
    assert positions == sorted(positions), "reading order is wrong"
    headings = [s.heading for s in split_sections(text) if s.heading]
    assert headings == paper["sections"]


def test_line_numbers_are_gone_even_where_pdfium_merged_lines() -> None:
    text = PdfExtractor().extract(corpus_pdf("conformal-review")).text
    # pdfium reads the abstract of the review copy as one line: "1 Abstract 2 Conformal ..."
    assert "\nAbstract\nConformal prediction turns" in text
    assert "sets contain the true label" in _flat(text)
    assert not re.search(r"\b(?:predict|under|con)\s*\d+\s*(?:ing|lying|formal)\b", text)


def test_page_number_glued_to_a_footnote_is_removed() -> None:
    text = PdfExtractor().extract(corpus_pdf("conformal-review")).text
    assert "kosei@meridian.example.org\n" in text + "\n"
    assert "example.org1" not in text


@pytest.mark.parametrize("name", NAMES)
def test_corpus_pdf_knows_which_paper_it_is(name: str) -> None:
    paper = expected(name)
    extracted = PdfExtractor().extract(corpus_pdf(name))
    identity = extracted.identity
    assert identity.arxiv_id == paper["arxiv_id"]
    assert identity.version == paper["version"]
    assert extracted.title == paper["title"]
    assert identity.authors == paper["authors"]
    if paper["stamp"]:
        assert identity.found_in == "stamp"
        assert identity.category == paper["primary_category"]
        assert identity.date is not None and identity.date.isoformat() == paper["stamp_date"]
    else:
        assert identity.doi == paper["doi"] and identity.found_in == "page 1"


def test_an_arxiv_link_on_page_one_or_an_id_in_the_metadata_identifies_the_paper() -> None:
    pages = sample_paper_pages(
        "Sparse Probes", "Extended version: https://arxiv.org/abs/2402.11873v3 (with code)."
    )
    linked = PdfExtractor().extract(make_pdf(pages, author="Ada Lovelace; Alan M. Turing"))
    assert (linked.identity.arxiv_id, linked.identity.version) == ("2402.11873", 3)
    assert linked.identity.found_in == "page 1"
    assert linked.identity.authors == ["Ada Lovelace", "Alan M. Turing"]
    plain = sample_paper_pages("Sparse Probes", "No identifiers on this page at all.")
    meta = PdfExtractor().extract(make_pdf(plain, subject="arXiv:2403.01234v2 [cs.LG]"))
    assert (meta.identity.arxiv_id, meta.identity.version) == ("2403.01234", 2)
    assert meta.identity.found_in == "metadata"
    assert PdfExtractor().extract(make_pdf(plain)).identity.arxiv_id is None


def test_junk_metadata_titles_are_ignored() -> None:
    pages = sample_paper_pages("The Real Title Of It", "Some abstract text here.")
    extracted = PdfExtractor().extract(make_pdf(pages, title="Microsoft Word - draft3.docx"))
    assert extracted.title == "The Real Title Of It"


# -- the rule for hyphens at line ends (docs/summaries.md) ----------------------------------


def test_pdfium_hyphen_marks_and_soft_hyphens_join() -> None:
    pages = ["We study autoregres\ufffesive decoding and para\u00admeters in de\u00ad\ncoders."]
    assert clean_pages(pages).text == "We study autoregressive decoding and parameters in decoders."


def test_a_hyphen_before_a_capital_or_digit_or_after_one_letter_is_real() -> None:
    assert rejoin("We compare GPT-\n4 with Llama-\nLarge and k-\nmeans.") == (
        "We compare GPT-4 with Llama-Large and k-means."
    )


def test_the_papers_own_spelling_decides() -> None:
    text = "A real-time system.\nOur real\ufffetime path and the base\ufffeline beat the baseline."
    assert rejoin(text) == (
        "A real-time system.\nOur real-time path and the baseline beat the baseline."
    )


def test_without_evidence_the_dictionary_decides() -> None:
    # two words that are no word together keep the hyphen; a word split by hyphenation joins
    text = "a fixed\ufffelength draft and inter\ufffeactive use of autoregres-\nsive models"
    assert rejoin(text) == "a fixed-length draft and interactive use of autoregressive models"


def test_a_plain_hyphen_at_a_line_end_follows_the_same_rule() -> None:
    assert rejoin("the frame-\nwork is fine-\ngrained") == "the framework is fine-grained"


def test_ligatures_and_typeset_accents_are_normalized_but_math_is_not() -> None:
    pages = [
        "The \ufb01rst e\ufb03cient \ufb02ow by Vukovi\u00b4c and Cand`es: x\u00b2 \u2264 \u2211 \u03b1"
    ]
    text = clean_pages(pages).text
    assert text == "The first efficient flow by Vuković and Candès: x\u00b2 \u2264 \u2211 \u03b1"


def test_repeated_headers_and_page_numbers_go_but_body_lines_stay() -> None:
    topics = ("sampling", "calibration", "ablations")
    pages = [
        "\n".join(
            [
                "Journal of Things 12 (2024) 1-9",
                f"Here we discuss {topic} in detail.",
                f"The {topic} results differ from page to page.",
                "Short line.",
                *(f"Line {n} about {topic} and nothing else." for n in range(4)),
                f"Page {number} of 3",
                str(number),
            ]
        )
        for number, topic in enumerate(topics, start=1)
    ]
    cleaned = clean_pages(pages)
    assert "Journal of Things" not in cleaned.text and "Page 2 of 3" not in cleaned.text
    assert not re.search(r"(?m)^\d$", cleaned.text)
    for topic in topics:
        assert f"Here we discuss {topic} in detail." in cleaned.text
    assert cleaned.text.count("Short line.") == 3  # repeated, but not at a page's edge
    assert cleaned.removed["page number"] == 3


def test_a_single_page_keeps_its_lines() -> None:
    assert clean_pages(["Title\nOne page only.\n7"]).text.startswith("Title\nOne page only.")
