"""The OpenAI TTS engine, driven with the real openai SDK against the fake server."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from papercast.audio import build_episode, speak
from papercast.audio.engines import create_engine
from papercast.config import Settings
from papercast.errors import AudioError, ConfigError
from papercast.layout import Layout
from papercast.sample.server import LocalServer
from papercast.store import Database
from papercast.store.tts import TTSCallStore
from support.audio_fakes import entry, make_issue
from support.fake_openai import FakeOpenAI

SECRET = "sk-test-SENTINEL-5e1f0a9b7c"
SPEECH = "/v1/audio/speech"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=SECRET) as server:
        yield server


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    layout = Layout(home=tmp_path / "home", out_dir=tmp_path / "out")
    layout.ensure()
    return layout


def openai_settings(fake: FakeOpenAI, **audio: object) -> Settings:
    values: dict[str, object] = {
        "engine": "openai",
        "base_url": fake.base_url,
        "paragraph_pause_ms": 200,
        "chapter_pause_ms": 400,
        "openai_max_retries": 1,
        **audio,
    }
    return Settings(audio=values)


def speech_inputs(fake: FakeOpenAI) -> list[str]:
    return [c.body["input"] for c in fake.calls_to(SPEECH)]


def test_episode_with_openai_tts(
    fake: FakeOpenAI,
    layout: Layout,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    settings = openai_settings(fake, openai_voice="nova")
    db = Database(layout.db_path)
    issue = make_issue([entry(1), entry(2)])
    out = tmp_path / "out" / "2024-W41"
    episode = build_episode(issue, settings=settings, layout=layout, db=db, out_dir=out)

    calls = fake.calls_to(SPEECH)
    assert len(calls) == episode.segments_synthesized
    assert {c.body["model"] for c in calls} == {"gpt-4o-mini-tts"}
    assert {c.body["voice"] for c in calls} == {"nova"}
    assert {c.body["response_format"] for c in calls} == {"wav"}
    assert all(c.headers["authorization"] == f"Bearer {SECRET}" for c in calls)
    sent = speech_inputs(fake)
    assert len(sent) == len(set(sent))  # a paragraph said twice is synthesized once
    spoken = " ".join(sent)
    for said in (
        "Welcome to the test show.",
        "Paper 1 on efficient attention",
        "Paper 2 on efficient attention",
        "A new way to make attention cheaper.",
        "They train a small model on public data.",
        "It is twelve percent faster.",
        "Only one dataset is used.",
        "Cheaper models for everyone.",
        "That is all.",
    ):
        assert said in spoken, said
    assert not any(mark in spoken for mark in ("**", "](", "<", "http"))  # text, not markup

    assert episode.engine == "openai" and episode.voice == "nova"
    assert [c.title for c in episode.chapters] == [
        "Intro",
        "Paper 1 on efficient attention",
        "Paper 2 on efficient attention",
        "Outro",
    ]
    assert len(ID3(episode.mp3_path).getall("CHAP")) == 4
    # the fake speaks 2.5 words a second
    assert episode.duration_seconds > len(spoken.split()) / 2.5

    rows = TTSCallStore(db).recent(100)
    assert len(rows) == len(calls) and all(r["model"] == "gpt-4o-mini-tts" for r in rows)
    assert all(r["cost_usd"] > 0 for r in rows)
    db.close()
    # the key is nowhere: database, outputs, logs
    for path in [layout.db_path, *out.iterdir()]:
        assert SECRET.encode() not in path.read_bytes()
    assert SECRET not in caplog.text

    # rerun: every segment from the cache, no request
    before = len(fake.calls)
    again = build_episode(issue, settings=settings, layout=layout, out_dir=out)
    assert again.segments_synthesized == 0 and len(fake.calls) == before


def test_a_10000_character_section_is_split_into_requests_and_nothing_is_lost(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    method = " ".join(
        f"Step {i} of the method feeds the {i}th layer with tokens from the encoder."
        for i in range(150)
    )
    assert len(method) > 10_000
    settings = openai_settings(fake, speaking_rate=4.0)  # the fake then speaks 10 words/s
    issue = make_issue([entry(1, method=method)])
    build_episode(issue, settings=settings, layout=layout, out_dir=tmp_path / "e")

    pieces = [text for text in speech_inputs(fake) if "of the method feeds" in text]
    assert len(pieces) >= 3
    assert all(len(c.body["input"]) <= 4096 for c in fake.calls_to(SPEECH))
    # order of completion may differ; every sentence is sent exactly once, whole, and each
    # request holds whole sentences only
    whole = re.compile(
        r"Step (\d+) of the method feeds the \S+ layer with tokens from the encoder\."
    )
    steps = sorted(int(n) for piece in pieces for n in whole.findall(piece))
    assert steps == list(range(150))
    leftovers = [whole.sub("", piece).strip() for piece in pieces]
    # nothing but the section's spoken heading is left: no sentence was cut in two
    assert [text for text in leftovers if text] == ["How it works."]


def test_requests_run_concurrently(
    layout: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with FakeOpenAI(latency=0.3) as slow:
        settings = openai_settings(slow, workers=4)
        build_episode(
            make_issue([entry(1)]), settings=settings, layout=layout, out_dir=tmp_path / "e"
        )
        assert slow.max_in_flight >= 3


def test_instructions_and_speed_are_sent_when_set(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    settings = openai_settings(fake, instructions="Calm and clear.", speaking_rate=1.25)
    speak("Hello there. This is a test.", settings=settings, layout=layout, out=tmp_path / "a.mp3")
    body = fake.calls_to(SPEECH)[0].body
    assert body["instructions"] == "Calm and clear." and body["speed"] == 1.25

    settings = openai_settings(fake, instructions="Calm.", openai_model="tts-1")
    speak("Another test sentence.", settings=settings, layout=layout, out=tmp_path / "b.mp3")
    body = fake.calls_to(SPEECH)[-1].body
    assert body["model"] == "tts-1" and "instructions" not in body and "speed" not in body


@pytest.mark.parametrize("response_format", ["mp3", "pcm", "flac"])
def test_other_response_formats_are_decoded(
    fake: FakeOpenAI,
    layout: Layout,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    response_format: str,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    settings = openai_settings(fake, openai_response_format=response_format)
    episode = speak(
        "One two three four five six seven eight nine ten.",
        settings=settings,
        layout=layout,
        out=tmp_path / "a.mp3",
    )
    assert fake.calls_to(SPEECH)[0].body["response_format"] == response_format
    assert 3.5 < episode.duration_seconds < 5.0  # ten words at 2.5 words a second


def test_a_rejected_key_is_a_clear_error_without_the_key(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-0123456789")
    with pytest.raises(AudioError, match="HTTP 401") as info:
        speak("Hello.", settings=openai_settings(fake), layout=layout, out=tmp_path / "a.mp3")
    assert "sk-wrong-key-0123456789" not in str(info.value)
    assert not (tmp_path / "a.mp3").exists()


def test_a_server_error_is_retried(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    fake.fail_next("500", path=SPEECH)
    episode = speak(
        "Hello there.", settings=openai_settings(fake), layout=layout, out=tmp_path / "a.mp3"
    )
    assert len(fake.calls_to(SPEECH)) == 2 and episode.mp3_path.is_file()


def test_no_key_and_no_server_is_a_clear_error() -> None:
    with pytest.raises(AudioError, match="needs an API key"):
        create_engine(Settings(audio={"engine": "openai"}))


def test_unknown_engine_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown \\[audio\\] engine 'espeak'"):
        create_engine(Settings(), "espeak")


class JunkSpeechServer(LocalServer):
    """Answers every POST with the same bytes as audio (the fake server only sends real audio)."""

    def __init__(self, body: bytes) -> None:
        payload = body

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)


@pytest.mark.parametrize(
    ("body", "response_format"),
    [(b"this is not audio at all", "mp3"), (b"RIFF\x10\x00\x00\x00WAVEjunk", "wav"), (b"", "wav")],
)
def test_a_server_returning_junk_audio_is_a_clear_error(
    layout: Layout, tmp_path: Path, body: bytes, response_format: str
) -> None:
    with JunkSpeechServer(body) as server:
        base_url = server.url("/v1")
        settings = Settings(
            audio={
                "engine": "openai",
                "base_url": base_url,
                "openai_response_format": response_format,
                "openai_max_retries": 0,
            }
        )
        with pytest.raises(AudioError, match="could not be synthesized"):
            speak("Hello there.", settings=settings, layout=layout, out=tmp_path / "a.mp3")
    assert not (tmp_path / "a.mp3").exists()
