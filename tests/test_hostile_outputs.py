"""Every output format against one hostile corpus (issue 12, item 4).

The corpus (tests/support/hostile_corpus.py) carries ``<script>``, ``<img onerror>``, ``<svg onload>``,
``javascript:`` links and remote tracking images in titles, abstracts, authors, URLs and the
LLM's answer, plus characters no output may hold. Each format is checked the way a reader would
meet it: HTML parsed, Markdown rendered as CommonMark with raw HTML allowed (Obsidian renders
HTML in notes), XML and JSON parsed; the hostile text must still be there, as text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from papercast.cli import app
from papercast.config import Settings
from papercast.export.notes import write_notes
from papercast.export.podcast_feed import build_podcast_feed
from papercast.export.site import build_site
from papercast.models import Issue
from papercast.render import render_format
from papercast.sample.server import FixtureServer, Reply
from support.bibtex_checks import assert_bibtex_sound
from support.fake_openai import FakeOpenAI
from support.hostile_corpus import (
    HOSTILE_ABSTRACT,
    HOSTILE_AFFILIATION,
    HOSTILE_AUTHORS,
    HOSTILE_SUMMARY,
    HOSTILE_TITLE,
    LONE_SURROGATE_JSON,
    LONE_SURROGATE_MARK,
    VISIBLE_AS_TEXT,
    assert_file_safe,
    assert_html_inert,
    assert_markdown_inert,
    assert_no_unsafe_characters,
    hostile_issue,
    sprinkle,
)
from support.llm_helpers import SENTINEL_KEY
from support.payloads import synthetic_biorxiv_records
from support.payloads.biorxiv import biorxiv_details_page

runner = CliRunner()
SETTINGS = Settings(issue={"highlights": 2}, podcast={"base_url": "https://cdn.example/pc"})


def issue() -> Issue:
    built = hostile_issue(SETTINGS)
    assert isinstance(built, Issue)
    assert HOSTILE_TITLE.split()[0] in built.highlights[0].paper.title
    assert built.noteworthy and "Attention" in built.noteworthy[1].paper.title
    return built


@pytest.mark.parametrize("fmt", ["md", "html", "email", "substack", "txt", "bib"])
def test_every_issue_format_is_inert_and_clean(fmt: str, tmp_path: Path) -> None:
    text = render_format(issue(), fmt, settings=SETTINGS)
    assert_no_unsafe_characters(text, fmt)
    # the hostile comment, journal reference and affiliations made it into the entries
    assert "ICLR" in text and "Proc." in text, fmt
    assert "University" in text or fmt == "bib", fmt  # (BibTeX has no field for it)
    if fmt != "bib":  # the repository link, cut clean of the markup that followed it
        assert "https://github.com/acme/repo" in text and "acme/repo%22" not in text, fmt
    if fmt == "bib":
        shown = assert_bibtex_sound(text, entries=5)
    elif fmt == "md":
        shown = assert_markdown_inert(text, fmt).all_text
    elif fmt == "txt":
        shown = text
        assert "javascript:" not in text.split("Attention")[0]  # no link line to a js: URL
    else:
        shown = assert_html_inert(text, fmt).all_text
    assert VISIBLE_AS_TEXT in shown


def test_notes_are_escaped_as_issue_md_is(tmp_path: Path) -> None:
    written = write_notes(issue(), tmp_path / "vault")
    assert written
    shown = []
    for note in written:
        assert_file_safe(note)  # Markdown rendered with HTML on: inert; no unsafe characters
        shown.append(assert_markdown_inert(note.read_text(encoding="utf-8"), note).all_text)
    assert any(VISIBLE_AS_TEXT in text for text in shown)
    assert any("![](https://tracker.example" in text for text in shown)  # as text, not an image


def test_site_and_feed_are_inert_and_clean(tmp_path: Path) -> None:
    built = issue()
    built.audio_file = "episode.mp3"
    (tmp_path / "out" / built.id).mkdir(parents=True)
    (tmp_path / "out" / built.id / "episode.mp3").write_bytes(b"\xff" * 100)
    build_site([built], settings=SETTINGS, site_dir=tmp_path / "site", audio_root=tmp_path / "out")
    pages = list((tmp_path / "site").rglob("*.html"))
    assert len(pages) >= 2
    for path in (tmp_path / "site").rglob("*"):
        if path.is_file():
            assert_file_safe(path)
    feed = build_podcast_feed(
        [built], settings=SETTINGS, out_path=tmp_path / "feed.xml", audio_root=tmp_path / "out"
    )
    assert_file_safe(feed)
    root = etree.fromstring(feed.read_bytes())
    description = root.findtext("channel/item/description") or ""
    assert "Attention <script>" in description  # text in the XML, escaped by the serializer
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in ("href", "url"):
                assert value.startswith("https://"), (element.tag, value)


@pytest.fixture
def hostile_doi(fixture_server: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> str:
    from datetime import date

    record = synthetic_biorxiv_records(1, seed=4, since=date(2024, 10, 7), until=date(2024, 10, 7))[0]  # fmt: skip
    record["title"] = sprinkle(HOSTILE_TITLE) + LONE_SURROGATE_MARK
    record["abstract"] = sprinkle(HOSTILE_ABSTRACT)
    record["authors"] = "; ".join(sprinkle(a) for a in HOSTILE_AUTHORS)
    record["author_corresponding"] = sprinkle(HOSTILE_AUTHORS[1])
    record["author_corresponding_institution"] = sprinkle(HOSTILE_AFFILIATION)
    record["abstract"] += ' Code: https://github.com/acme/repo"><script>alert(12)</script>'
    body = biorxiv_details_page([record], since=date(2024, 10, 7), until=date(2024, 10, 7))
    body = body.replace(LONE_SURROGATE_MARK.encode(), LONE_SURROGATE_JSON)
    doi = record["doi"]
    route = f"/details/biorxiv/{doi}/na/json"
    fixture_server.route(route, Reply(body=body, content_type="application/json"))
    monkeypatch.setenv("PAPERCAST_BIORXIV__API_URL", fixture_server.url(""))
    monkeypatch.setenv("PAPERCAST_BIORXIV__NUM_RETRIES", "0")
    return doi


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_summarize_outputs_are_inert_and_clean(
    fmt: str, hostile_doi: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        fake.answer_next(HOSTILE_SUMMARY)
        out = Path(f"summary.{fmt}")
        result = runner.invoke(
            app, ["summarize", hostile_doi, "--format", fmt, "--out", str(out), "--no-fulltext"]
        )
    assert result.exit_code == 0, result.output
    assert_file_safe(out)
    text = out.read_text(encoding="utf-8")
    if fmt == "json":
        data = json.loads(text)
        assert data["paper"]["title"].startswith("Attention <script>")
        assert data["summary"]["tldr"].startswith("A model <script>")
        assert data["details"]["code"] == ["https://github.com/acme/repo"]
        assert data["details"]["affiliations"][0].startswith("<svg onload=")
        return
    doc = assert_markdown_inert(text, out) if fmt == "md" else assert_html_inert(text, out)
    assert VISIBLE_AS_TEXT in doc.all_text
