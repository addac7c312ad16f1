"""A hostile bioRxiv week through the whole weekly run, every output checked (issue 12, 1 and 4).

The bioRxiv API on 127.0.0.1 answers with titles, abstracts, authors and a DOI carrying
characters no output may hold (U+FFFE, U+FFFF, a JSON-escaped lone surrogate, bidi overrides,
invisible characters) and markup that runs when rendered; the LLM answers with more of both.
The week and the next one must both succeed with every output written (feed included, which
feedgen refuses to write with a U+FFFE in it), and a store poisoned by an older papercast must
not fail later runs.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from papercast.cli import app
from papercast.sample.server import FixtureServer, RecordedRequest, Reply
from support.fake_openai import FakeOpenAI
from support.hostile_corpus import (
    HOSTILE_ABSTRACT,
    HOSTILE_AUTHORS,
    HOSTILE_SUMMARY,
    HOSTILE_TITLE,
    LONE_SURROGATE_JSON,
    LONE_SURROGATE_MARK,
    VISIBLE_AS_TEXT,
    assert_file_safe,
    assert_html_inert,
    assert_markdown_inert,
    sprinkle,
)
from support.payloads import BiorxivApiHandler, synthetic_biorxiv_records
from support.payloads.biorxiv import BiorxivRecord
from support.pipeline_world import SENTINEL_KEY, World

runner = CliRunner()
WEEKS = {"2024-W41": (date(2024, 10, 7), date(2024, 10, 13)), "2024-W42": (date(2024, 10, 14), date(2024, 10, 20))}  # fmt: skip


def hostile_records(week: str, seed: int) -> list[BiorxivRecord]:
    since, until = WEEKS[week]
    records = synthetic_biorxiv_records(4, seed=seed, since=since, until=until)
    for record in records:
        record["version"] = "1"
    first = records[0]
    first["date"] = until.isoformat()  # the newest: a highlight whatever the ranking's cold start
    first["title"] = sprinkle(HOSTILE_TITLE) + LONE_SURROGATE_MARK
    first["abstract"] = sprinkle(HOSTILE_ABSTRACT) + LONE_SURROGATE_MARK
    first["authors"] = "; ".join(sprinkle(a) for a in HOSTILE_AUTHORS)
    first["doi"] = first["doi"][:-3] + "\ufffe" + first["doi"][-3:]
    records[1]["title"] = "\u202eevil.exe\u202c " + sprinkle(records[1]["title"])
    return records


class HostileBiorxiv:
    """The paging API handler, with a lone surrogate JSON-escaped into the bytes it sends."""

    def __init__(self, records: list[BiorxivRecord]) -> None:
        self.inner = BiorxivApiHandler({"biorxiv": records})

    def __call__(self, request: RecordedRequest) -> Reply:
        reply = self.inner(request)
        body = reply.payload().replace(LONE_SURROGATE_MARK.encode(), LONE_SURROGATE_JSON)
        return Reply(status=reply.status, body=body, content_type=reply.content_type)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI() as fake:
        for seed, (week, (since, until)) in enumerate(WEEKS.items(), start=1):
            handler = HostileBiorxiv(hostile_records(week, seed))
            for cursor in range(8):
                base = f"/details/biorxiv/{since}/{until}/{cursor}"
                server.route(base, handler)
                server.route(base + "/json", handler)
        yield World(server=server, fake=fake, entries=[])


def configure(world: World, folder: Path) -> None:
    world.write_config(
        folder,
        arxiv={"categories": []},
        biorxiv={
            "servers": ["biorxiv"],
            "api_url": world.server.url(""),
            "delay_seconds": 0,
            "num_retries": 0,
        },
        llm={"fulltext": False},
        issue={"highlights": 2, "noteworthy": 2},
        publish={"notes_dir": str(folder / "notes"), "site_dir": str(folder / "site")},
    )


def run(week: str) -> object:
    return runner.invoke(app, ["run", "--week", week])


def every_output(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and ".papercast" not in p.parts]


def check_outputs(folder: Path, week: str) -> None:
    out = folder / "out" / week
    report = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert report["status"] == "done", report
    for name in (
        "issue.md",
        "issue.html",
        "email.html",
        "issue.txt",
        "substack.html",
        "episode.mp3",
        "chapters.json",
        "feed.xml",
    ):
        assert (out / name).is_file(), name
    files = every_output(folder / "out") + every_output(folder / "notes")
    files += every_output(folder / "site")
    for path in files:
        assert_file_safe(path)
    # the hostile paper is in the issue, its markup visible as text and inert
    page = assert_html_inert((out / "issue.html").read_text(encoding="utf-8"), "issue.html")
    assert VISIBLE_AS_TEXT in page.all_text
    markdown = assert_markdown_inert((out / "issue.md").read_text(encoding="utf-8"), "issue.md")
    assert VISIBLE_AS_TEXT in markdown.all_text
    notes = list((folder / "notes").glob("*.md"))  # each checked whole, frontmatter too
    assert notes
    shown = [assert_markdown_inert(n.read_text(encoding="utf-8"), n).all_text for n in notes]
    assert any(VISIBLE_AS_TEXT in text for text in shown)
    chapters = json.loads((out / "chapters.json").read_text(encoding="utf-8"))["chapters"]
    assert any("Attention" in c["title"] for c in chapters)
    for chapter in chapters:
        assert chapter.get("url", "https://").startswith(("https://", "http://")), chapter


def feed_items(folder: Path) -> list[str]:
    root = etree.fromstring((folder / "out" / "feed.xml").read_bytes())
    return [item.findtext("guid") or "" for item in root.iter("item")]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_hostile_week_and_the_next_both_succeed_with_every_output_clean(world: World) -> None:
    folder = Path.cwd()
    configure(world, folder)
    # matched on what only the hostile paper carries: week 42's "MetaTune" abstract also says
    # "Attention", and with concurrent requests the first to arrive would take the answer
    world.fake.answer_next(HOSTILE_SUMMARY, match="pwned")

    first = run("2024-W41")
    assert first.exit_code == 0, first.output
    check_outputs(folder, "2024-W41")
    # the hostile record really was served and stored: its DOI lost only the U+FFFE
    store = sqlite3.connect(Path(os.environ["PAPERCAST_HOME"]) / "papercast.db")
    ids = [row[0] for row in store.execute("SELECT id FROM papers")]
    assert len(ids) == 4 and not [i for i in ids if "\ufffe" in i]
    assert any(HOSTILE_TITLE.split()[0] in row[0] for row in store.execute("SELECT title FROM papers"))  # fmt: skip

    world.fake.answer_next(HOSTILE_SUMMARY, match="pwned")
    second = run("2024-W42")
    assert second.exit_code == 0, second.output
    check_outputs(folder, "2024-W42")
    assert feed_items(folder) == ["papercast-2024-W42", "papercast-2024-W41"]

    # a store written by an older papercast, with the characters still in it, poisons nothing
    with store:
        store.execute("UPDATE issues SET data = replace(data, 'Attention', 'Atten' || char(65534) || 'tion')")  # fmt: skip
        store.execute("UPDATE papers SET data = replace(data, 'Attention', 'Atten' || char(65535) || 'tion')")  # fmt: skip
    poisoned = store.execute("SELECT COUNT(*) FROM issues WHERE instr(data, char(65534))")
    assert poisoned.fetchone()[0] == 2
    store.close()
    again = run("2024-W42")
    assert again.exit_code == 0, again.output
    check_outputs(folder, "2024-W42")
    assert feed_items(folder) == ["papercast-2024-W42", "papercast-2024-W41"]
