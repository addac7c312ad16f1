"""End-to-end: `papercast audio ISSUE` and `papercast speak TEXT|FILE` through the CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from typer.testing import CliRunner

from papercast.cli import app
from papercast.store import Database
from papercast.store.issues import IssueStore
from papercast.store.tts import TTSCallStore
from support.audio_fakes import entry, make_issue
from support.fake_openai import FakeOpenAI

runner = CliRunner()
SECRET = "sk-cli-SENTINEL-77aa99bb"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=SECRET) as server:
        monkeypatch.setenv("OPENAI_API_KEY", SECRET)
        monkeypatch.setenv("PAPERCAST_AUDIO__BASE_URL", server.base_url)
        monkeypatch.setenv("PAPERCAST_PUBLISH__OUT_DIR", str(tmp_path / "out"))
        yield server


def _home() -> Path:
    return Path(os.environ["PAPERCAST_HOME"])


def test_audio_builds_the_episode_of_a_stored_issue_and_records_it(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    with Database(_home() / "papercast.db") as db:
        IssueStore(db).save(make_issue([entry(1, title="Round and Round"), entry(2)]))
    result = runner.invoke(app, ["audio", "2024-W41", "--engine", "openai"])
    assert result.exit_code == 0, result.output
    mp3 = tmp_path / "out" / "2024-W41" / "episode.mp3"
    assert mp3.is_file() and (mp3.parent / "chapters.json").is_file()
    assert f"Wrote {mp3}" in result.output
    assert "Round and Round" in result.output and "0:00  Intro" in result.output
    assert "segment(s) synthesized, 0 from cache; openai (alloy)" in result.output
    chapters = json.loads((mp3.parent / "chapters.json").read_text())["chapters"]
    assert [c["title"] for c in chapters][:2] == ["Intro", "Round and Round"]
    with Database(_home() / "papercast.db") as db:
        stored = IssueStore(db).get("2024-W41")
        # as the weekly run stores it: the name, found in the issue's folder by the feed and site
        assert stored is not None and stored.audio_file == "episode.mp3"
        assert stored.audio_duration_seconds and stored.audio_duration_seconds > 10
        assert stored.audio_duration is not None and ":" in stored.audio_duration
        assert TTSCallStore(db).totals()["calls"] == len(fake.calls_to("/v1/audio/speech"))
    assert SECRET not in result.output

    again = runner.invoke(app, ["audio", "latest", "--engine", "openai"])
    assert again.exit_code == 0, again.output
    assert "0 segment(s) synthesized" in again.output
    elsewhere = tmp_path / "elsewhere"
    moved = runner.invoke(app, ["audio", "latest", "--engine", "openai", "--out", str(elsewhere)])
    assert moved.exit_code == 0, moved.output
    with Database(_home() / "papercast.db") as db:
        stored = IssueStore(db).get("2024-W41")
        assert stored is not None  # outside the issue's folder: the whole path
        assert stored.audio_file == str((elsewhere / "episode.mp3").resolve())


def test_audio_max_minutes_leaves_out_the_least_significant(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    long = " ".join(["A sentence about the method with several words in it."] * 60)
    entries = [entry(1, significance=8, method=long), entry(2, significance=2, method=long)]
    with Database(_home() / "papercast.db") as db:
        IssueStore(db).save(make_issue(entries))
    result = runner.invoke(
        app, ["audio", "2024-W41", "--engine", "openai", "--max-minutes", "4", "--rate", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "Left out to fit [audio] max_minutes: arxiv:2410.00002" in result.output


def test_audio_for_an_unknown_issue_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    result = runner.invoke(app, ["audio", "2024-W40"])
    assert result.exit_code == 2
    assert "issue 2024-W40 is not in the store" in result.output


def test_speak_text_and_file_with_openai(fake: FakeOpenAI, tmp_path: Path) -> None:
    out = tmp_path / "hello.mp3"
    result = runner.invoke(
        app,
        ["speak", "Hello, e.g. LLMs.", "--out", str(out), "--engine", "openai", "--voice", "echo"],
    )
    assert result.exit_code == 0, result.output
    assert out.is_file() and ID3(out)["TIT2"].text == ["Hello, for example, L L Ms."]
    body = fake.calls_to("/v1/audio/speech")[0].body
    assert body["input"] == "Hello, for example, L L Ms." and body["voice"] == "echo"

    text_file = tmp_path / "notes.txt"
    text_file.write_text("First paragraph here.\n\nSecond paragraph, https://x.org gone.")
    result = runner.invoke(
        app, ["speak", str(text_file), "--out", str(tmp_path / "n.mp3"), "-e", "openai"]
    )
    assert result.exit_code == 0, result.output
    inputs = [c.body["input"] for c in fake.calls_to("/v1/audio/speech")]
    assert "First paragraph here." in inputs and "Second paragraph, gone." in inputs


def test_speak_with_the_default_piper_voice(tmp_path: Path) -> None:
    out = tmp_path / "piper.mp3"
    result = runner.invoke(app, ["speak", "This is the built in voice.", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 5000
    assert "piper (en_US-joe-medium)" in result.output


def test_speak_rejects_a_non_mp3_output(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    result = runner.invoke(app, ["speak", "Hi.", "--out", str(tmp_path / "x.wav")])
    assert result.exit_code == 2 and "must end in .mp3" in result.output
    assert not (tmp_path / "x.wav").exists()


def test_speak_with_an_invalid_rate_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    result = runner.invoke(app, ["speak", "Hi.", "--rate", "9"])
    assert result.exit_code == 2 and "audio.speaking_rate" in result.output


def test_commands_have_help_with_an_example() -> None:
    for command in ("audio", "speak"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Example: papercast " + command in result.output
