"""Every per-input or per-source network failure is that input's or source's (issue 12, item 3).

A server on 127.0.0.1 redirects forever. Before, httpx's TooManyRedirects escaped as
``Unexpected error``, exit 1, with nothing written: the good papers' summaries were lost, and a
feed that looped failed the whole weekly run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.errors import SourceError
from papercast.http import HttpFetcher
from papercast.sample.server import FixtureServer, Reply
from support.fake_openai import FakeOpenAI
from support.pdfs import make_pdf, sample_paper_pages
from support.pipeline_world import SENTINEL_KEY, World, serve_pdfs, week_entries

runner = CliRunner()


def redirect_loop(server: FixtureServer, path: str = "/loop") -> str:
    server.route(path, Reply(status=302, headers={"Location": path}, body=""))
    return server.url(path)


def write_pdf(name: str, title: str, finding: str) -> Path:
    path = Path(name)
    path.write_bytes(make_pdf(sample_paper_pages(title, finding)))
    return path


def test_a_redirect_loop_is_one_clear_failure_not_retried(fixture_server: FixtureServer) -> None:
    url = redirect_loop(fixture_server)
    with HttpFetcher(retries=3, backoff=0) as http, pytest.raises(SourceError) as caught:
        http.get(url)
    assert "redirects in a loop" in str(caught.value)
    assert len(fixture_server.requests_to("/loop")) == 21  # 1 + httpx's 20 redirects, once


@pytest.mark.timeout(120)
def test_summarize_keeps_the_good_papers_when_one_url_redirects_forever(
    fixture_server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")  # as a user sees it
    good = write_pdf("good.pdf", "Good Findings", "We measure things. The effect is 3.25 units.")
    other = write_pdf("other.pdf", "Other Findings", "We count things. There are 42 of them.")
    loop = redirect_loop(fixture_server)

    result = runner.invoke(
        app, ["summarize", str(good), str(other), loop, "--out", "week.md", "--no-fulltext"]
    )

    assert result.exit_code == 3, result.output
    written = Path("week.md").read_text(encoding="utf-8")
    assert "## Good Findings" in written and "## Other Findings" in written
    assert f"failed {loop}" in result.stderr and "redirects in a loop" in result.stderr
    assert "Unexpected error" not in result.output


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI() as fake:
        w = World(server=server, fake=fake, entries=week_entries(4, server.url("/pdf/")))
        w.serve_arxiv()
        serve_pdfs(server, 4)
        yield w


@pytest.mark.timeout(120)
def test_a_feed_that_redirects_forever_fails_only_that_source(world: World) -> None:
    loop = redirect_loop(world.server, "/feed-loop")
    world.write_config(
        Path.cwd(),
        feeds={"urls": [loop], "num_retries": 2},
        issue={"highlights": 1, "noteworthy": 2},
        audio={"enabled": False},
        llm={"fulltext": False},
    )

    result = runner.invoke(app, ["run", "--week", "2024-W41"])

    assert result.exit_code == 3, result.output
    report = json.loads((Path("out") / "2024-W41" / "run.json").read_text())
    assert report["status"] == "partial" and report["failed"] == {}
    by_source = {s["source"]: s for s in report["sources"]}
    assert by_source["arxiv"]["error"] is None and by_source["arxiv"]["candidates"] == 4
    feed = by_source["feed 127.0.0.1/feed-loop"]
    assert "redirects in a loop" in feed["error"]
    assert [w for w in report["warnings"] if w.startswith("feed 127.0.0.1/feed-loop failed:")]
    assert len(report["highlights"]) == 1 and report["noteworthy"] == 2
    assert (Path("out") / "2024-W41" / "issue.html").is_file()
    assert len(world.server.requests_to("/feed-loop")) == 21  # not retried: it would loop again
