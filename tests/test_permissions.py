"""Published files follow the umask; state is private (issue 12, item 5).

Before, every file papercast wrote went through ``tempfile.mkstemp`` and was 0600 whatever the
umask, so a web server running as another user answered 403 for issue.html, feed.xml and the
whole site; while the store, logs and caches were as open as the umask made them.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.sample.server import FixtureServer
from support.fake_openai import FakeOpenAI
from support.pipeline_world import SENTINEL_KEY, World, serve_pdfs, week_entries

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
runner = CliRunner()
WEEK = "2024-W41"
PUBLISHED = (
    "issue.md",
    "issue.html",
    "email.html",
    "issue.txt",
    "substack.html",
    "feed.xml",
    "chapters.json",
    "run.json",
    "episode.mp3",
)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, umask_022: None) -> Iterator[World]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI() as fake:
        w = World(server=server, fake=fake, entries=week_entries(4, server.url("/pdf/")))
        w.serve_arxiv()
        serve_pdfs(server, 4)
        yield w


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): mode(p) for p in sorted(root.rglob("*"))}


@pytest.mark.timeout(180)
def test_published_files_follow_the_umask_and_state_stays_private(world: World) -> None:
    home = Path(os.environ["PAPERCAST_HOME"])
    world.write_config(
        Path.cwd(),
        issue={"highlights": 2, "noteworthy": 2},
        llm={"fulltext": True},
        publish={"notes_dir": "notes", "site_dir": "site"},
    )
    result = runner.invoke(app, ["run", "--week", WEEK])
    assert result.exit_code == 0, result.output
    site = runner.invoke(app, ["site", "--out", "public"])
    assert site.exit_code == 0, site.output

    issue = Path("out") / WEEK
    for name in PUBLISHED:
        assert mode(issue / name) == 0o644, (name, oct(mode(issue / name)))
    assert mode(Path("out") / "feed.xml") == 0o644
    for root in (Path("out"), Path("notes"), Path("site"), Path("public")):
        found = modes(root)
        assert found, root
        wrong = {
            name: oct(m)
            for name, m in found.items()
            if m != (0o755 if (root / name).is_dir() else 0o644)
        }
        assert not wrong, (root, wrong)
    assert len(list(Path("site").rglob("*.html"))) >= 2 and (Path("site") / WEEK / "episode.mp3").is_file()  # fmt: skip

    # state: folders 0700, files 0600 (the store with its WAL, logs, caches, the lock)
    assert mode(home) == 0o700
    state = modes(home)
    for name in ("papercast.db", "run.lock"):
        assert state[name] == 0o600, (name, oct(state[name]))
    assert [n for n in state if n.startswith("logs/")] and [n for n in state if n.startswith("cache/pdf/")]  # fmt: skip
    assert [n for n in state if n.startswith("cache/tts/")]
    wrong = {
        name: oct(m)
        for name, m in state.items()
        if m != (0o700 if (home / name).is_dir() else 0o600)
    }
    assert not wrong, wrong


def test_a_different_umask_is_followed(umask_022: None, tmp_path: Path) -> None:
    from papercast.config import Settings
    from papercast.render import render_issue
    from support.issue_builders import sample_issue

    os.umask(0o027)
    written = render_issue(sample_issue(), settings=Settings(), out_dir=tmp_path, formats=["md"])
    assert mode(written["md"]) == 0o640
    os.umask(0o002)
    written = render_issue(sample_issue(), settings=Settings(), out_dir=tmp_path, formats=["md"])
    assert mode(written["md"]) == 0o664
