"""The README's main command: `papercast run --sample`, offline, no keys, real Piper voice."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import webvtt
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from typer.testing import CliRunner

from papercast.cli import app
from support.pipeline_world import ISSUE_FILES, digest

runner = CliRunner()


@pytest.mark.slow
def test_sample_run_produces_a_complete_issue_offline() -> None:
    result = runner.invoke(app, ["run", "--sample"])
    assert result.exit_code == 0, result.output
    folder = Path("papercast-out") / "2024-W41"
    assert f"The issue is in {folder}" in result.output.replace("\n", "")
    for name in (*ISSUE_FILES, "run.json", "feed.xml"):
        assert (folder / name).is_file(), name
    report = json.loads((folder / "run.json").read_text())
    assert report["status"] == "done" and report["backend"] == "extractive"
    assert {s["source"].split()[0] for s in report["sources"]} == {"arxiv", "biorxiv", "feed"}
    assert report["candidates"] > 80 and len(report["highlights"]) == 3
    # the stated interest of the sample ranks the reference issue's papers first
    assert "arxiv:2410.06205" in report["highlights"]
    markdown = (folder / "issue.md").read_text()
    assert "extractive" in markdown.lower()
    assert "Round and Round We Go" in markdown
    html = (folder / "issue.html").read_text()
    assert "<script" not in html.lower()
    audio = MP3(folder / "episode.mp3")
    assert audio.info.length > 60
    chapter_json = json.loads((folder / "chapters.json").read_text())
    assert len(chapter_json["chapters"]) == len(report["highlights"]) + 2
    chapters = ID3(folder / "episode.mp3").getall("CHAP")
    assert len(chapters) == len(report["highlights"]) + 2  # intro, one per highlight, outro
    assert report["tts_synthesized"] > 0
    captions = webvtt.read(str(folder / "episode.vtt")).captions
    assert captions and captions[-1].end_in_seconds <= audio.info.length
    assert "Round and Round We Go" in (folder / "episode.txt").read_text()
    assert '<a href="episode.txt">transcript</a>' in html
    assert "2024-W41/episode.vtt" in report["outputs"]

    before = digest(folder)
    again = runner.invoke(app, ["run", "--sample"])
    assert again.exit_code == 0, again.output
    rerun = json.loads((folder / "run.json").read_text())
    assert rerun["tts_synthesized"] == 0 and rerun["summarized"] == 0
    assert digest(folder) == before
    assert sorted(p.name for p in Path.cwd().iterdir()) == ["papercast-out"]  # nothing else left
    assert sorted(p.name for p in Path("papercast-out").iterdir()) == ["2024-W41", "feed.xml"]
    assert (Path(os.environ["PAPERCAST_HOME"]) / "sample" / "papercast.db").is_file()


def test_the_sample_keeps_its_state_under_papercast_home(tmp_path: Path) -> None:
    """Not in the working directory (it was papercast-out/.papercast-sample), nor in your store."""
    from papercast.config import load_settings
    from papercast.layout import Layout
    from papercast.sample import sample_settings, serve_sample

    with serve_sample() as (_server, week):
        settings = sample_settings(load_settings(), week)
    layout = Layout.from_settings(settings)
    assert layout.home == Path(os.environ["PAPERCAST_HOME"]) / "sample"
    assert layout.out_dir == Path("papercast-out")
