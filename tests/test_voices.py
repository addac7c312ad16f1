"""[audio] voice names a Piper voice: downloaded once from the voices repository (served here
from 127.0.0.1 in its real layout) into PAPERCAST_HOME, a clear error naming the voice when it
cannot be fetched, and never a voice of another language reading the issue unless asked."""

from __future__ import annotations

import json
import wave
from io import BytesIO
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.audio.engines.piper import PiperEngine
from papercast.audio.voices import resolve_voice, voice_url
from papercast.cli import app
from papercast.config import Settings
from papercast.errors import AudioError
from papercast.sample.server import FixtureServer, Reply
from support.piper_voices import offline_url, repository_voice, serve_voice, voice_path

runner = CliRunner()
VOICE = "de_DE-test-medium"
PATH = voice_path(VOICE)


@pytest.fixture(scope="module")
def german_voice() -> tuple[bytes, bytes]:
    return repository_voice("de_DE", "de")


@pytest.fixture
def voices(german_voice: tuple[bytes, bytes]) -> FixtureServer:
    with FixtureServer() as server:
        serve_voice(server, VOICE, german_voice)
        yield server


def _settings(tmp_path: Path, base: str, **audio: object) -> Settings:
    return Settings(
        home=tmp_path / "home",
        issue={"language": "de"},
        audio={"voice": VOICE, "voices_url": base, **audio},
    )


def test_voice_urls_follow_the_repository_layout() -> None:
    assert voice_url(
        "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0/",
        "de_DE-thorsten-medium",
        ".onnx",
    ) == (
        "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0/"
        "de/de_DE/thorsten/medium/de_DE-thorsten-medium.onnx"
    )


def test_a_named_voice_is_downloaded_once_and_speaks(
    voices: FixtureServer, tmp_path: Path, german_voice: tuple[bytes, bytes]
) -> None:
    settings = _settings(tmp_path, voices.url("/"))
    voice = resolve_voice(settings)
    folder = tmp_path / "home" / "voices"
    assert voice.model == folder / f"{VOICE}.onnx" and voice.language == "de"
    assert voice.model.read_bytes() == german_voice[0]
    assert json.loads(voice.config.read_text())["language"]["family"] == "de"
    assert sorted(p.name for p in folder.iterdir()) == [f"{VOICE}.onnx", f"{VOICE}.onnx.json"]
    assert sorted(r.path for r in voices.requests) == [PATH + ".onnx", PATH + ".onnx.json"]
    # the second time: from PAPERCAST_HOME, no request
    engine = PiperEngine.from_settings(settings)
    assert len(voices.requests) == 2
    [result] = list(engine.synthesize(["Guten Morgen, hier sind die neuen Paper."]))
    assert result.error is None and result.wav
    with wave.open(BytesIO(result.wav)) as wav:
        assert wav.getnframes() / wav.getframerate() > 0.5


def test_a_voice_that_cannot_be_fetched_is_a_clear_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offline = offline_url("/voices")
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    monkeypatch.setenv("PAPERCAST_ISSUE__LANGUAGE", "de")
    monkeypatch.setenv("PAPERCAST_AUDIO__VOICES_URL", offline)
    out = tmp_path / "speech.mp3"
    result = runner.invoke(app, ["speak", "Guten Tag", "--voice", VOICE, "--out", str(out)])
    assert result.exit_code != 0
    text = " ".join(result.output.split())
    assert f"cannot download the Piper voice {VOICE}" in text
    assert f"{offline}/de/de_DE/test/medium/{VOICE}.onnx" in text
    assert "voices" in text and "Traceback" not in result.output
    assert not out.exists()
    folder = Path(str(tmp_path / "home" / "voices"))
    assert not folder.exists() or not any(folder.iterdir()), "no half-downloaded voice left"


def test_an_unknown_voice_name_says_so(voices: FixtureServer, tmp_path: Path) -> None:
    settings = _settings(tmp_path, voices.url("/")).model_copy()
    settings.audio.voice = "de_DE-nobody-medium"
    with pytest.raises(AudioError) as caught:
        resolve_voice(settings)
    assert "no Piper voice named 'de_DE-nobody-medium'" in str(caught.value)
    assert not list((tmp_path / "home" / "voices").iterdir())


def test_an_interrupted_download_leaves_nothing_behind(
    german_voice: tuple[bytes, bytes], tmp_path: Path
) -> None:
    model, config = german_voice
    with FixtureServer() as server:
        server.route(PATH + ".onnx.json", Reply(body=config))
        server.route(PATH + ".onnx", Reply(body=model[:100000], drop=True))
        with pytest.raises(AudioError):
            resolve_voice(_settings(tmp_path, server.url("/")))
    folder = tmp_path / "home" / "voices"
    assert sorted(p.name for p in folder.iterdir()) == [], "no partial file under any name"


def test_an_english_voice_never_reads_german_silently(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", issue={"language": "de"})
    with pytest.raises(AudioError) as caught:
        PiperEngine.from_settings(settings)
    error = caught.value
    assert "en_US-joe-medium speaks 'en', but [issue] language is 'de'" in str(error)
    assert 'voice = "de_DE-thorsten-medium"' in (error.hint or "")
    # Japanese: Piper has no voice, so the hint says what else works
    with pytest.raises(AudioError) as caught:
        PiperEngine.from_settings(Settings(home=tmp_path / "home", issue={"language": "ja"}))
    assert 'engine = "openai"' in (caught.value.hint or "")
    # the explicit override
    allowed = Settings(
        home=tmp_path / "home",
        issue={"language": "de"},
        audio={"voice_language_mismatch": True},
    )
    assert PiperEngine.from_settings(allowed).voice == "en_US-joe-medium"


def test_a_voice_file_of_another_language_is_refused(
    tmp_path: Path, german_voice: tuple[bytes, bytes]
) -> None:
    model, config = german_voice
    path = tmp_path / "mine.onnx"
    path.write_bytes(model)
    (tmp_path / "mine.onnx.json").write_bytes(config)
    settings = Settings(
        home=tmp_path / "home", issue={"language": "fr"}, audio={"voice": str(path)}
    )
    with pytest.raises(AudioError, match="speaks 'de', but \\[issue\\] language is 'fr'"):
        PiperEngine.from_settings(settings)
    german = Settings(home=tmp_path / "home", issue={"language": "de"}, audio={"voice": str(path)})
    assert PiperEngine.from_settings(german).options.model_path == path
