"""Richer entries: affiliations, code links, venue in every format, and issue.bib."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import bibtexparser
import pytest
from lxml import etree
from typer.testing import CliRunner

from papercast.cli import app
from papercast.details import code_links, front_matter_affiliations, paper_details, venue
from papercast.models import Author, Paper
from papercast.sample.server import FixtureServer, Reply
from support.fake_openai import FakeOpenAI
from support.pdfs import make_pdf
from support.pipeline_world import SENTINEL_KEY, World, week_entries

runner = CliRunner()
ARXIV = "{http://arxiv.org/schemas/atom}"
ATOM = "{http://www.w3.org/2005/Atom}"


def _paper(**values: object) -> Paper:
    return Paper(id="arxiv:2410.05258", source="arxiv", title="Differential Transformer", **values)


@pytest.mark.parametrize(
    ("comment", "journal_ref", "expected"),
    [
        ("Accepted at ICLR 2025 (Oral). 12 pages, 5 figures", None, "ICLR 2025 (Oral)"),
        ("Published as a conference paper at ICLR 2025", None, "ICLR 2025"),
        (
            "To appear in the Proceedings of NeurIPS 2024, 10 pages",
            None,
            "Proceedings of NeurIPS 2024",
        ),
        ("accepted to ACL 2024 Findings; code: https://github.com/x/y", None, "ACL 2024 Findings"),
        ("12 pages, 4 figures", None, None),
        ("Accepted at ICLR 2025", "Nature 630, 100-105 (2024)", "Nature 630, 100-105 (2024)"),
    ],
)
def test_venue_from_journal_ref_or_the_comment(
    comment: str, journal_ref: str | None, expected: str | None
) -> None:
    assert venue(_paper(comment=comment, journal_ref=journal_ref)) == expected


def test_code_links_repositories_first_then_project_pages() -> None:
    found = code_links(
        "Code is available at https://github.com/microsoft/unilm/tree/master/Diff-Transformer. "
        "Project page: https://diff-transformer.github.io/ and a demo on "
        "https://huggingface.co/spaces/acme/diff-demo.",
        "Accepted at ICLR 2025. Mirror: https://gitlab.com/acme/difftx.git",
        "We build on https://github.com/features/copilot and javascript:alert(1) "
        "and https://github.com/acme/<script>x",
    )
    assert found == [
        "https://github.com/microsoft/unilm",
        "https://huggingface.co/spaces/acme/diff-demo",
        "https://gitlab.com/acme/difftx",
        "https://diff-transformer.github.io/",
    ]


def test_affiliations_from_the_source_else_the_first_page() -> None:
    front = (
        "Differential Transformer\nTianzhu Ye∗†‡ Li Dong∗† Yuqing Xia∗†\n"
        "† Microsoft Research ‡ Tsinghua University\n1 University of Oxford 2 Google DeepMind\n"
        "{tianzhu, lidong}@microsoft.com\nAbstract\nTransformer at Microsoft Research tends to"
    )
    assert front_matter_affiliations(front, "Differential Transformer") == [
        "Microsoft Research",
        "Tsinghua University",
        "University of Oxford",
        "Google DeepMind",
    ]
    with_source = _paper(authors=[Author(name="A B", affiliations=["ETH Zurich"])])
    assert paper_details(with_source, front).affiliations == ["ETH Zurich"]
    assert paper_details(_paper(), front).affiliations[0] == "Microsoft Research"


def test_code_in_the_references_is_someone_elses() -> None:
    text = "Intro. Our code: https://github.com/acme/ours\n\nReferences\n[1] https://github.com/other/theirs"
    assert paper_details(_paper(), text).code == ["https://github.com/acme/ours"]


# --- a weekly run on fixture papers that carry them -----------------------------------------


def _set(entry: etree._Element, tag: str, text: str | None) -> None:
    for old in entry.findall(f"{ARXIV}{tag}"):
        entry.remove(old)
    if text is not None:
        element = etree.SubElement(entry, f"{ARXIV}{tag}")
        element.text = text


def _entries(server: FixtureServer) -> list[etree._Element]:
    entries = week_entries(3, server.url("/pdf/"))
    for entry in entries:
        _set(entry, "comment", None)
        _set(entry, "journal_ref", None)
        for author in entry.findall(f"{ATOM}author"):
            for affiliation in author.findall(f"{ARXIV}affiliation"):
                author.remove(affiliation)
    _set(
        entries[0], "comment", "Accepted at ICLR 2025 (Oral). Code: https://github.com/acme/difftx"
    )
    first_author = entries[0].find(f"{ATOM}author")
    assert first_author is not None
    etree.SubElement(first_author, f"{ARXIV}affiliation").text = "Microsoft Research"
    _set(entries[1], "journal_ref", "Nature 630, 100-105 (2024)")
    return entries


def _serve_pdfs(server: FixtureServer) -> None:
    body = "1 Introduction\nLanguage models are evaluated on many benchmarks today. " * 6
    for i in range(3):
        front = f"Paper {i}\nAda Lovelace\n"
        if i == 1:
            front += "University of Oxford\n"
        text = front + "Abstract\nWe improve accuracy by 10.5% on the benchmark. " * 3
        if i == 1:
            body_i = body + "\nOur code and models: https://huggingface.co/acme/model-one\n"
        else:
            body_i = body
        server.route(
            f"/pdf/2410.{5000 + i:05d}v1",
            Reply(
                body=make_pdf([text, body_i], title=f"Paper {i}"), content_type="application/pdf"
            ),
        )


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [v or "" for k, v in attrs if tag == "a" and k == "href"]


def test_a_run_shows_affiliations_code_and_venue_everywhere_and_writes_issue_bib(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI() as fake:
        world = World(server=server, fake=fake, entries=_entries(server))
        world.serve_arxiv()
        _serve_pdfs(server)
        world.write_config(
            Path.cwd(),
            audio={"enabled": False},
            issue={"highlights": 3, "noteworthy": 0, "show_name": "Test Papers"},
            publish={"out_dir": "out", "notes_dir": "notes"},
        )
        result = runner.invoke(app, ["run", "--week", "2024-W41"])
    assert result.exit_code == 0, result.output
    folder = Path("out/2024-W41")
    expected = {
        "Microsoft Research",  # arXiv's own affiliation
        "ICLR 2025 (Oral)",  # "Accepted at ..." in the comment
        "https://github.com/acme/difftx",  # a repository in the comment
        "University of Oxford",  # no affiliation in the metadata: the PDF's first page
        "Nature 630, 100-105 (2024)",  # the journal reference
        "https://huggingface.co/acme/model-one",  # a link in the full text
    }
    for name in ("issue.md", "issue.txt"):
        text = (folder / name).read_text(encoding="utf-8")
        for value in expected:
            assert value in text, (name, value)
    for name in ("issue.html", "email.html", "substack.html"):
        parser = _Text()
        parser.feed((folder / name).read_text(encoding="utf-8"))
        shown = " ".join(" ".join(parser.text).split())
        for value in expected - {u for u in expected if u.startswith("https://")}:
            assert value in shown, (name, value)
        assert "https://github.com/acme/difftx" in parser.links, name
        assert "https://huggingface.co/acme/model-one" in parser.links, name
    notes = " ".join(p.read_text(encoding="utf-8") for p in Path("notes").glob("*.md"))
    for value in expected:
        assert value in notes, ("notes", value)

    library = bibtexparser.parse_string((folder / "issue.bib").read_text(encoding="utf-8"))
    assert not library.failed_blocks
    assert len(library.entries) == 3
    by_eprint = {e.fields_dict["eprint"].value: e for e in library.entries}
    assert set(by_eprint) == {"2410.05000v1", "2410.05001v1", "2410.05002v1"}
    first = by_eprint["2410.05000v1"]
    assert first.entry_type == "misc"
    assert first.fields_dict["archivePrefix"].value == "arXiv"
    assert first.fields_dict["primaryClass"].value == "cs.SE"
    assert first.fields_dict["doi"].value == "10.48550/arXiv.2410.05000"
    assert first.fields_dict["note"].value == "ICLR 2025 (Oral)"
    assert len({e.key for e in library.entries}) == 3
    assert (
        "2024-W41/issue.bib"
        in json.loads((folder / "run.json").read_text(encoding="utf-8"))["outputs"]
    )
