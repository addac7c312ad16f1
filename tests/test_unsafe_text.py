"""Text is made safe once, where it enters; a failed export is that export's failure (issue 12, 1).

``models.safe_text`` drops what no output may carry (XML-forbidden and control characters,
noncharacters such as U+FFFE, lone surrogates, bidi controls, invisible characters). Every seam
model applies it to every string it is given, so it covers every source, PDF metadata, LLM
answers, history imports, and rows an older papercast stored before the check existed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from typer.testing import CliRunner

from papercast.cli import app
from papercast.config import Settings
from papercast.export.podcast_feed import build_podcast_feed
from papercast.models import Issue, Paper, Summary, SummaryRecord, safe_text
from papercast.sample.server import FixtureServer
from papercast.store import Database
from papercast.store.issues import IssueStore
from support.fake_openai import FakeOpenAI
from support.hostile_corpus import UNSAFE_CHARACTERS, assert_no_unsafe_characters, sprinkle
from support.issue_builders import sample_issue
from support.pipeline_world import SENTINEL_KEY, World, serve_pdfs, week_entries

runner = CliRunner()


@pytest.mark.parametrize("name", sorted(UNSAFE_CHARACTERS))
def test_each_unsafe_character_is_dropped(name: str) -> None:
    cleaned = safe_text(f"a{UNSAFE_CHARACTERS[name]}b")
    assert cleaned in ("ab", "a b"), (name, cleaned)


def test_what_text_needs_is_kept() -> None:
    kept = "Zoë’s 数学 🧑\u200d🔬 (ZWJ) می\u200cخواهم (ZWNJ) α≤β\ttab\nline\r"
    assert safe_text(kept) == kept
    assert safe_text("accelerat\ufffeing") == "accelerating"  # pdfium's hyphen mark: a plain drop
    assert safe_text("\ud83d lone") == " lone"


@given(st.text(alphabet=st.characters(codec=None), max_size=200))
def test_any_text_becomes_xml_and_utf8_compatible(text: str) -> None:
    cleaned = safe_text(text)
    cleaned.encode("utf-8")  # no lone surrogate left
    element = etree.Element("x")
    element.text = cleaned  # lxml refuses what XML 1.0 forbids
    assert safe_text(cleaned) == cleaned  # idempotent
    assert_no_unsafe_characters(cleaned, repr(text))


def test_every_seam_model_cleans_what_it_is_given() -> None:
    dirty = sprinkle("Attention Is All You Need")
    paper = Paper(
        id=f"biorxiv:10.1101/2024.10.07.{dirty}",
        source="biorxiv",
        title=dirty,
        abstract=dirty,
        authors=[{"name": dirty, "affiliations": [dirty]}],
        categories=[dirty],
        origin=dirty,
        abs_url=f"https://example.org/{dirty}",
    )
    summary = Summary(
        tldr=dirty,
        method=dirty,
        results=dirty,
        critiques=dirty,
        implications=dirty,
        significance=5,
        significance_reason=dirty,
        keywords=[dirty],
    )
    for model in (paper, summary):
        assert_no_unsafe_characters(model.model_dump_json(), type(model).__name__)
    assert "Attention" in paper.title and "Need" in summary.tldr


def test_a_history_import_stores_clean_text() -> None:
    dirty = sprinkle("Attention Is All You Need")
    rows = [{"id": "2410.05258", "title": dirty, "abstract": dirty}, {"title": dirty + " 2"}]
    Path("mine.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = runner.invoke(app, ["history", "import", "mine.jsonl"])
    assert result.exit_code == 0, result.output
    with Database(Path(os.environ["PAPERCAST_HOME"]) / "papercast.db") as db:
        stored = [dict(r) for r in db.query("SELECT title, abstract FROM history")]
    assert len(stored) == 2 and "Attention" in stored[0]["title"]
    assert_no_unsafe_characters(json.dumps(stored, ensure_ascii=False), "history rows")


def test_rows_stored_by_an_older_papercast_are_cleaned_as_they_are_read(tmp_path: Path) -> None:
    """The feed covers every stored issue: one old row with U+FFFE made every week fail."""
    settings = Settings(podcast={"base_url": "https://cdn.example/pc"})
    issue = sample_issue(settings)
    issue.audio_file = "episode.mp3"
    (tmp_path / "out" / issue.id).mkdir(parents=True)
    (tmp_path / "out" / issue.id / "episode.mp3").write_bytes(b"\xff" * 100)
    with Database(tmp_path / "papercast.db") as db:
        IssueStore(db).save(issue)
        # as an older version stored it: U+FFFE and U+FFFF inside the JSON
        db.execute("UPDATE issues SET data = replace(data, 'Paper Number', 'Paper' || char(65534) || ' Number' || char(65535))")  # fmt: skip
        raw = db.query_one("SELECT data FROM issues")
        assert raw is not None and "\ufffe" in raw["data"]
        stored = IssueStore(db).list()
    assert_no_unsafe_characters(stored[0].model_dump_json(), "issue read back")
    feed = build_podcast_feed(
        stored, settings=settings, out_path=tmp_path / "feed.xml", audio_root=tmp_path / "out"
    )
    etree.fromstring(feed.read_bytes())
    record = SummaryRecord.model_validate_json(
        json.dumps(
            {
                "paper_id": "arxiv:1",
                "model": "m",
                "summary": {
                    "tldr": "a\ufffeb",
                    "method": "m",
                    "results": "r",
                    "critiques": "c",
                    "implications": "i",
                    "significance": 3,
                    "significance_reason": "\u202ex",
                },
            },
            ensure_ascii=False,
        )
    )
    assert record.summary.tldr == "ab" and record.summary.significance_reason == "x"
    assert isinstance(stored[0], Issue)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI() as fake:
        w = World(server=server, fake=fake, entries=week_entries(4, server.url("/pdf/")))
        w.serve_arxiv()
        serve_pdfs(server, 4)
        yield w


@pytest.mark.timeout(120)
def test_an_export_that_fails_is_a_failed_export_reported_and_retried(world: World) -> None:
    blocker = Path("site")
    blocker.write_text("a file where the site folder should be\n")
    world.write_config(
        Path.cwd(),
        issue={"highlights": 1, "noteworthy": 2},
        audio={"enabled": False},
        llm={"fulltext": False},
        publish={"site_dir": str(blocker.resolve())},
    )
    first = runner.invoke(app, ["run", "--week", "2024-W41"])
    assert first.exit_code == 3, first.output
    folder = Path("out") / "2024-W41"
    report = json.loads((folder / "run.json").read_text())
    assert report["status"] == "partial"
    assert [w for w in report["warnings"] if w.startswith("site failed:")], report["warnings"]
    for name in ("issue.md", "issue.html", "email.html", "issue.txt", "substack.html"):
        assert (folder / name).is_file(), name

    blocker.unlink()
    again = runner.invoke(app, ["run", "--week", "2024-W41"])
    assert again.exit_code == 0, again.output
    assert (blocker / "index.html").is_file()
    fixed = json.loads((folder / "run.json").read_text())
    assert fixed["status"] == "done" and not [w for w in fixed["warnings"] if "site" in w]
    assert os.listdir(blocker)


@pytest.mark.timeout(120)
def test_one_format_failing_never_costs_the_others(world: World) -> None:
    templates = Path("my-templates")
    templates.mkdir()
    (templates / "substack.html.j2").write_text("{{ no_such_variable }}\n")
    world.write_config(
        Path.cwd(),
        issue={"highlights": 1, "noteworthy": 2, "templates_dir": str(templates.resolve())},
        audio={"enabled": False},
        llm={"fulltext": False},
    )
    result = runner.invoke(app, ["run", "--week", "2024-W41"])
    assert result.exit_code == 3, result.output
    folder = Path("out") / "2024-W41"
    report = json.loads((folder / "run.json").read_text())
    failed = [w for w in report["warnings"] if w.startswith("substack output failed:")]
    assert failed and "substack.html.j2" in failed[0], report["warnings"]
    assert not (folder / "substack.html").exists()
    for name in ("issue.md", "issue.html", "email.html", "issue.txt", "feed.xml"):
        assert (folder / name).is_file(), name


def test_a_pdf_title_with_pdfiums_hyphen_mark_is_joined_not_kept() -> None:
    """PDF metadata (UTF-16, as real PDFs write non-Latin titles) carrying U+FFFE."""
    from support.pdfs import make_pdf, sample_paper_pages

    title = "Accelerat\ufffeing Trans\u202eformers"
    encoded = ("<" + "FEFF" + title.encode("utf-16-be").hex().upper() + ">").encode()
    placeholder = b"X" * (len(encoded) - 2)
    pdf = make_pdf(sample_paper_pages("Body Title", "The effect is 3.25 units."), title=placeholder.decode())  # fmt: skip
    assert pdf.count(b"(" + placeholder + b")") == 1
    Path("paper.pdf").write_bytes(pdf.replace(b"(" + placeholder + b")", encoded))
    result = runner.invoke(app, ["summarize", "paper.pdf", "--format", "json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert row["paper"]["title"] == "Accelerating Transformers"
