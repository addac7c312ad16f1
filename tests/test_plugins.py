"""Plugins are real: a package's entry points make a summary backend, a ranker and a TTS engine
that can be chosen in papercast.toml and on the command line, like the built-ins.

The plugin (tests/support/demo_plugin.py) is installed as pip would leave it: a module and its
.dist-info with entry_points.txt, in a folder on sys.path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.llm import BACKENDS
from papercast.rank import RANKERS
from support import demo_plugin
from support.pdfs import make_pdf

runner = CliRunner()

HISTORY_CSV = "title,abstract,picked\nScaling MLPs,multi-layer perceptrons at scale,1\n"
CANDIDATES_CSV = "id,title,abstract\nc1,First,one\nc2,Second,two\nc3,Third,three\n"


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(demo_plugin.install(tmp_path / "site-packages")))


def config(text: str) -> None:
    Path("papercast.toml").write_text(text, encoding="utf-8")


def paper_pdf(tmp_path: Path) -> Path:
    text = "A Study of Echoes\nAbstract\nWe study echoes in caves and measure 12 of them. " * 8
    path = tmp_path / "paper.pdf"
    path.write_bytes(make_pdf([text], title="A Study of Echoes"))
    return path


def test_without_the_plugin_its_names_are_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    config('[llm]\nbackend = "echo"\n')
    result = runner.invoke(app, ["summarize", str(paper_pdf(tmp_path))])
    assert result.exit_code == 2
    assert "unknown [llm] backend 'echo'" in " ".join(result.output.split())


@pytest.mark.usefixtures("plugin")
def test_a_plugin_backend_is_chosen_in_the_config_and_on_the_command_line(tmp_path: Path) -> None:
    assert "echo" in BACKENDS.names()
    pdf = paper_pdf(tmp_path)
    config('[llm]\nbackend = "echo"\n')
    result = runner.invoke(app, ["summarize", str(pdf), "--format", "json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.splitlines()[0])
    assert row["summary"]["tldr"] == "ECHO A Study of Echoes" and row["model"] == "echo-1"
    config('[llm]\nbackend = "extractive"\n')
    flag = runner.invoke(app, ["summarize", str(pdf), "--backend", "echo", "--format", "json"])
    assert flag.exit_code == 0, flag.output
    assert json.loads(flag.stdout.splitlines()[0])["summary"]["tldr"].startswith("ECHO")


@pytest.mark.usefixtures("plugin")
def test_a_plugin_ranker_is_chosen_in_the_config_and_on_the_command_line(tmp_path: Path) -> None:
    assert "reverse" in RANKERS.names()
    history, candidates = tmp_path / "h.csv", tmp_path / "c.csv"
    history.write_text(HISTORY_CSV, encoding="utf-8")
    candidates.write_text(CANDIDATES_CSV, encoding="utf-8")
    args = ["rank", "--history", str(history), "--candidates", str(candidates), "--why"]
    flag = runner.invoke(app, [*args, "--backend", "reverse"])
    assert flag.exit_code == 0, flag.output
    rows = [json.loads(line) for line in flag.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["c3", "c2", "c1"]
    assert rows[0]["why"] == "reversed by the plugin"
    config('[rank]\nbackend = "reverse"\n')
    configured = runner.invoke(app, args)
    assert configured.exit_code == 0, configured.output
    assert configured.stdout == flag.stdout


@pytest.mark.usefixtures("plugin")
def test_a_plugin_tts_engine_is_chosen_in_the_config_and_on_the_command_line(
    tmp_path: Path,
) -> None:
    out = tmp_path / "beep.mp3"
    flag = runner.invoke(app, ["speak", "Hello there.", "--engine", "beep", "--out", str(out)])
    assert flag.exit_code == 0, flag.output
    assert out.stat().st_size > 1000 and "beep (beep-voice)" in flag.output
    config('[audio]\nengine = "beep"\n')
    again = runner.invoke(app, ["speak", "Hello again.", "--out", str(tmp_path / "b.mp3")])
    assert again.exit_code == 0, again.output
    assert "beep (beep-voice)" in again.output


@pytest.mark.usefixtures("plugin")
def test_a_typo_names_the_key_and_lists_the_plugins_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    config('[audio]\nengine = "beeep"\n')
    result = runner.invoke(app, ["speak", "Hi.", "--out", str(tmp_path / "x.mp3")])
    said = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "audio.engine" in said and "unknown [audio] engine 'beeep'" in said
    assert "choose one of: piper, openai, beep" in said
