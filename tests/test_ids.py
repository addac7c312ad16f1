from __future__ import annotations

from pathlib import Path

import pytest

from papercast.errors import InputError
from papercast.ids import parse_arxiv_id, parse_reference


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2410.05258", ("2410.05258", None)),
        ("2410.05258v2", ("2410.05258", 2)),
        ("arXiv:2410.05258v3", ("2410.05258", 3)),
        ("https://arxiv.org/abs/2410.05258v2", ("2410.05258", 2)),
        ("https://arxiv.org/pdf/2410.05258", ("2410.05258", None)),
        ("http://export.arxiv.org/abs/2410.05258v1", ("2410.05258", 1)),
        ("arxiv.org/pdf/2410.05258v1.pdf", ("2410.05258", 1)),
        ("hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("math.GT/0309136", ("math.GT/0309136", None)),
        ("0704.0001", ("0704.0001", None)),
    ],
)
def test_arxiv_ids(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "bad", ["2413.00001", "24101.0525", "abc", "", "https://example.org/abs/2410.05258"]
)
def test_malformed_arxiv_ids(bad: str) -> None:
    with pytest.raises(InputError, match="not an arXiv identifier"):
        parse_arxiv_id(bad)


def test_references() -> None:
    bio = parse_reference("https://www.biorxiv.org/content/10.1101/2023.09.12.557460v1.full.pdf")
    assert (bio.kind, bio.paper_id, bio.version) == (
        "biorxiv",
        "biorxiv:10.1101/2023.09.12.557460",
        1,
    )
    assert (
        parse_reference("https://doi.org/10.48550/arXiv.2410.05258").paper_id == "arxiv:2410.05258"
    )
    assert parse_reference("10.1101/2023.09.12.557460").kind == "doi"
    assert parse_reference("https://example.com/paper").kind == "url"


def test_local_pdf_reference(tmp_path: Path) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert parse_reference(str(pdf)).kind == "pdf"
    with pytest.raises(InputError, match="no such file"):
        parse_reference(str(tmp_path / "missing.pdf"))
    with pytest.raises(InputError, match="cannot tell"):
        parse_reference("not a thing")
