"""The episode: MP3 + tags + chapters + chapters.json, loudness, cache, guard rails.

Most tests use a deterministic tone engine (fast, exact segment lengths); the Piper tests at
the end synthesize a few real sentences.
"""

from __future__ import annotations

import itertools
import json
import math
import struct
import zlib
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from papercast.audio import build_episode, speak
from papercast.audio.cache import segment_key
from papercast.audio.engines.piper import PiperEngine, default_voice
from papercast.audio.script import build_script
from papercast.config import Settings
from papercast.errors import AudioError
from papercast.layout import Layout
from papercast.store import Database
from papercast.store.tts import TTSCallStore
from support.audio_fakes import RATE, ToneEngine, decode_mp3, entry, make_issue, wav_seconds

# Small pauses keep the tests quick; the arithmetic below uses them.
AUDIO = {"paragraph_pause_ms": 300, "chapter_pause_ms": 700}
EPISODE_FILES = ["chapters.json", "episode.mp3", "episode.txt", "episode.vtt"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", audio=AUDIO, podcast={"author": "Tuna"})


@pytest.fixture
def layout(settings: Settings, tmp_path: Path) -> Layout:
    layout = Layout(home=tmp_path / "home", out_dir=tmp_path / "out")
    layout.ensure()
    return layout


def expected_starts(script_chapters: list[list[float]]) -> list[float]:
    """Chapter start times from segment lengths and the configured pauses."""
    starts, t = [], 0.0
    for number, segments in enumerate(script_chapters):
        if number:
            t += AUDIO["chapter_pause_ms"] / 1000
        starts.append(t)
        t += sum(segments) + AUDIO["paragraph_pause_ms"] / 1000 * (len(segments) - 1)
    return starts


def tone_seconds(text: str, spw: float = 0.3) -> float:
    return int(max(0.2, len(text.split()) * spw) * RATE) / RATE


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples)))) if samples.size else 0.0


def test_episode_has_tags_chapters_and_json_matching_the_audio(
    settings: Settings, layout: Layout, tmp_path: Path
) -> None:
    issue = make_issue([entry(1, title="Round and Round"), entry(2, title="BloArk")])
    out = tmp_path / "out" / "2024-W41"
    episode = build_episode(
        issue, settings=settings, layout=layout, out_dir=out, engine=ToneEngine()
    )

    mp3 = out / "episode.mp3"
    assert episode.mp3_path == mp3 and mp3.is_file()
    assert episode.chapters_path == out / "chapters.json"
    assert sorted(p.name for p in out.iterdir()) == EPISODE_FILES

    info = MP3(mp3).info
    assert info.channels == 1 and info.sample_rate == 44100 and info.bitrate == 64000
    assert abs(info.length - episode.duration_seconds) < 0.1

    tags = ID3(mp3)
    assert tags["TIT2"].text == [issue.title]
    assert tags["TALB"].text == ["papercast"]
    assert tags["TPE1"].text == ["Tuna"]
    assert str(tags["TDRC"].text[0]).startswith("2024")
    toc = tags.getall("CTOC")[0]
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    ordered = [chaps[i] for i in toc.child_element_ids]
    titles = [c.sub_frames["TIT2"].text[0] for c in ordered]
    assert titles == ["Intro", "Round and Round", "BloArk", "Outro"]
    assert ordered[1].sub_frames.getall("WXXX")[0].url == "https://arxiv.org/abs/2410.00001"

    # start times within 50 ms of the real segment boundaries (lengths + pauses)
    script = build_script(issue, settings, pause_seconds=0.3)
    lengths = [[tone_seconds(p) for p in c.paragraphs] for c in script.chapters]
    for chap, want in zip(ordered, expected_starts(lengths), strict=True):
        assert abs(chap.start_time / 1000 - want) < 0.05
    for before, after in itertools.pairwise(ordered):
        assert before.end_time == after.start_time
    assert abs(ordered[-1].end_time / 1000 - info.length) < 0.1

    # ...and in the decoded audio itself: silence just before each chapter, voice just after
    samples = decode_mp3(mp3)
    for chap in ordered[1:]:
        at = int(chap.start_time / 1000 * 44100)
        assert rms(samples[at - 4410 : at - 880]) < 0.01
        assert rms(samples[at + 880 : at + 4410]) > 0.05

    document = json.loads((out / "chapters.json").read_text())
    assert document["version"] == "1.2.0"
    assert [c["title"] for c in document["chapters"]] == titles
    for item, chap in zip(document["chapters"], ordered, strict=True):
        assert abs(item["startTime"] - chap.start_time / 1000) < 0.002
    assert document["chapters"][2]["url"] == "https://arxiv.org/abs/2410.00002"
    assert "url" not in document["chapters"][0]

    minutes, seconds = episode.duration.split(":")
    assert len(seconds) == 2 and abs(int(minutes) * 60 + int(seconds) - info.length) <= 0.5
    assert episode.highlights_read == ["arxiv:2410.00001", "arxiv:2410.00002"]


def test_loudness_is_normalized_to_about_minus_16_lufs(
    settings: Settings, layout: Layout, tmp_path: Path
) -> None:
    quiet = ToneEngine(amplitude=0.02)
    episode = build_episode(
        make_issue([entry(1)]),
        settings=settings,
        layout=layout,
        out_dir=tmp_path / "e",
        engine=quiet,
    )
    samples = decode_mp3(episode.mp3_path)
    measured = pyloudnorm.Meter(44100).integrated_loudness(samples.astype(np.float64))
    assert abs(measured - -16.0) < 1.0
    assert np.max(np.abs(samples)) < 10 ** (-1.0 / 20)  # no clipping, under -1 dBFS
    assert episode.loudness_lufs is not None and abs(episode.loudness_lufs + 16) < 1.0


def test_peaky_audio_is_limited_under_the_ceiling_at_the_target_loudness(
    settings: Settings, layout: Layout, tmp_path: Path
) -> None:
    peaky = ToneEngine(amplitude=0.03, spikes=True)
    episode = build_episode(
        make_issue([entry(1)]),
        settings=settings,
        layout=layout,
        out_dir=tmp_path / "e",
        engine=peaky,
    )
    samples = decode_mp3(episode.mp3_path)
    measured = pyloudnorm.Meter(44100).integrated_loudness(samples.astype(np.float64))
    assert abs(measured - -16.0) < 1.0
    assert np.max(np.abs(samples)) < 10 ** (-1.0 / 20)


def test_rerun_is_served_from_the_cache_and_an_edit_resynthesizes_one_segment(
    settings: Settings, layout: Layout, tmp_path: Path
) -> None:
    db = Database(layout.db_path)
    issue = make_issue([entry(1), entry(2)])
    engine = ToneEngine()
    first = build_episode(
        issue, settings=settings, layout=layout, db=db, out_dir=tmp_path / "a", engine=engine
    )
    calls = len(TTSCallStore(db).recent(1000))
    assert first.segments_synthesized == calls == len(engine.asked) > 5
    assert first.segments_cached == 0

    engine.asked.clear()
    again = build_episode(
        issue, settings=settings, layout=layout, db=db, out_dir=tmp_path / "b", engine=engine
    )
    assert again.segments_synthesized == 0 and engine.asked == []
    assert again.segments_cached == first.segments_synthesized
    assert len(TTSCallStore(db).recent(1000)) == calls
    assert abs(again.duration_seconds - first.duration_seconds) < 0.001

    issue.highlights[1].summary.summary.results = "It is thirty percent faster now."  # type: ignore[union-attr]
    edited = build_episode(
        issue, settings=settings, layout=layout, db=db, out_dir=tmp_path / "c", engine=engine
    )
    assert edited.segments_synthesized == 1
    assert engine.asked == ["What they found. It is thirty percent faster now."]
    db.close()


def test_every_tts_call_is_logged(settings: Settings, layout: Layout, tmp_path: Path) -> None:
    db = Database(layout.db_path)
    build_episode(
        make_issue([entry(1)]),
        settings=settings,
        layout=layout,
        db=db,
        out_dir=tmp_path / "e",
        engine=ToneEngine(),
    )
    rows = TTSCallStore(db).recent(100)
    assert rows and all(r["engine"] == "tone" and r["status"] == "ok" for r in rows)
    assert all(r["issue_id"] == "2024-W41" and r["chars"] > 0 for r in rows)
    assert TTSCallStore(db).totals()["calls"] == len(rows)
    db.close()


def test_silent_audio_is_an_error_and_the_previous_episode_stays(
    settings: Settings, layout: Layout, tmp_path: Path
) -> None:
    out = tmp_path / "e"
    issue = make_issue([entry(1)])
    build_episode(issue, settings=settings, layout=layout, out_dir=out, engine=ToneEngine())
    before = (out / "episode.mp3").read_bytes()
    with pytest.raises(AudioError, match="silent"):
        build_episode(
            issue, settings=settings, layout=layout, out_dir=out, engine=ToneEngine(amplitude=0.0)
        )
    assert (out / "episode.mp3").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == EPISODE_FILES


def test_audio_far_shorter_than_its_text_is_an_error(
    settings: Settings, layout: Layout, tmp_path: Path
) -> None:
    out = tmp_path / "e"
    with pytest.raises(AudioError, match="expected at least"):
        build_episode(
            make_issue([entry(1)]),
            settings=settings,
            layout=layout,
            out_dir=out,
            engine=ToneEngine(seconds_per_word=0.02),
        )
    assert not out.exists() or not any(out.iterdir())


def test_a_failed_segment_fails_the_episode_but_the_rest_is_cached(
    settings: Settings, layout: Layout, tmp_path: Path
) -> None:
    issue = make_issue([entry(1)])
    out = tmp_path / "e"
    with pytest.raises(AudioError, match=r"1 of .* segments could not be synthesized.*boom"):
        build_episode(
            issue,
            settings=settings,
            layout=layout,
            out_dir=out,
            engine=ToneEngine(fail_on="caveats"),
        )
    assert not (out / "episode.mp3").exists()
    engine = ToneEngine()
    episode = build_episode(issue, settings=settings, layout=layout, out_dir=out, engine=engine)
    assert engine.asked == ["The caveats. Only one dataset is used."]
    assert episode.segments_synthesized == 1


def test_segment_cache_key_covers_text_and_engine_settings() -> None:
    ident = {"engine": "piper", "voice": "joe", "speaking_rate": 1.0}
    key = segment_key("Hello.", ident)
    assert key == segment_key("Hello.", dict(ident))
    assert key != segment_key("Hello!", ident)
    assert key != segment_key("Hello.", {**ident, "speaking_rate": 1.1})
    assert key != segment_key("Hello.", {**ident, "voice": "amy"})


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = zlib.compress(b"\x00\xff\x00\x00")
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_cover_art_is_embedded(layout: Layout, tmp_path: Path) -> None:
    cover = tmp_path / "cover.png"
    cover.write_bytes(_png())
    settings = Settings(audio={**AUDIO, "cover": cover})
    episode = build_episode(
        make_issue([entry(1)]),
        settings=settings,
        layout=layout,
        out_dir=tmp_path / "e",
        engine=ToneEngine(),
    )
    pictures = ID3(episode.mp3_path).getall("APIC")
    assert len(pictures) == 1 and pictures[0].mime == "image/png" and pictures[0].data == _png()


def test_a_cover_that_is_not_an_image_is_a_clear_error(layout: Layout, tmp_path: Path) -> None:
    cover = tmp_path / "cover.txt"
    cover.write_text("not an image")
    settings = Settings(audio={**AUDIO, "cover": cover})
    with pytest.raises(AudioError, match="not a JPEG or PNG"):
        build_episode(
            make_issue([entry(1)]),
            settings=settings,
            layout=layout,
            out_dir=tmp_path / "e",
            engine=ToneEngine(),
        )
    assert not (tmp_path / "e" / "episode.mp3").exists()


def test_music_plays_before_the_voice_and_chapters_shift_with_it(
    layout: Layout, tmp_path: Path
) -> None:
    music = tmp_path / "music.wav"
    t = np.arange(RATE * 20) / RATE
    tune = (0.5 * np.sin(2 * np.pi * 523 * t) * 32767).astype("<i2").tobytes()
    from papercast.audio.wav import pcm_to_wav

    music.write_bytes(pcm_to_wav(tune, RATE))
    plain = build_episode(
        make_issue([entry(1), entry(2)]),
        settings=Settings(audio=AUDIO),
        layout=layout,
        out_dir=tmp_path / "a",
        engine=ToneEngine(),
    )
    settings = Settings(audio={**AUDIO, "music": music})
    scored = build_episode(
        make_issue([entry(1), entry(2)]),
        settings=settings,
        layout=layout,
        out_dir=tmp_path / "b",
        engine=ToneEngine(),
    )
    assert scored.chapters[0].start_seconds == 0
    for a, b in zip(plain.chapters[1:], scored.chapters[1:], strict=True):
        assert abs(b.start_seconds - a.start_seconds - 3.0) < 0.01
    samples = decode_mp3(scored.mp3_path)
    assert rms(samples[22050:88200]) > 0.02  # music alone in the lead-in
    assert scored.duration_seconds > plain.duration_seconds + 6


def test_a_missing_music_file_is_a_clear_error(layout: Layout, tmp_path: Path) -> None:
    settings = Settings(audio={**AUDIO, "music": tmp_path / "nope.mp3"})
    with pytest.raises(AudioError, match=r"nope\.mp3 does not exist"):
        build_episode(
            make_issue([entry(1)]),
            settings=settings,
            layout=layout,
            out_dir=tmp_path / "e",
            engine=ToneEngine(),
        )


# --- real synthesis with Piper (a few sentences) ------------------------------------------


def test_piper_episode_real_synthesis(layout: Layout, tmp_path: Path) -> None:
    settings = Settings(
        audio={**AUDIO, "workers": 1},
        issue={"templates_dir": _short_template(tmp_path)},
    )
    issue = make_issue([entry(1, title="Rotary embeddings"), entry(2, title="Wiki blocks")])
    db = Database(layout.db_path)
    out = tmp_path / "e"
    episode = build_episode(issue, settings=settings, layout=layout, db=db, out_dir=out)
    assert episode.engine == "piper" and episode.voice == "en_US-joe-medium"

    script = build_script(issue, settings)
    words = script.words
    minutes = episode.duration_seconds / 60
    pauses = sum(len(c.paragraphs) - 1 for c in script.chapters) * 0.3 + 0.7 * (
        len(script.chapters) - 1
    )
    speech_minutes = minutes - pauses / 60
    assert 100 <= words / speech_minutes <= 260, f"{words} words in {speech_minutes:.2f} min"

    samples = decode_mp3(episode.mp3_path)
    assert rms(samples) > 0.03  # not silent

    # chapter starts within 50 ms of the boundaries given by the cached segments' lengths
    engine = PiperEngine.from_settings(settings)
    lengths = [
        [
            wav_seconds(
                (
                    layout.tts_cache / (k := segment_key(p, engine.identity()))[:2] / f"{k}.wav"
                ).read_bytes()
            )
            for p in c.paragraphs
        ]
        for c in script.chapters
    ]
    tags = ID3(episode.mp3_path)
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [c.sub_frames["TIT2"].text[0] for c in chaps] == [
        "Intro",
        "Rotary embeddings",
        "Wiki blocks",
        "Outro",
    ]
    for chap, want in zip(chaps, expected_starts(lengths), strict=True):
        assert abs(chap.start_time / 1000 - want) < 0.05
    document = json.loads(episode.chapters_path.read_text())  # type: ignore[union-attr]
    assert [round(c["startTime"] * 1000) for c in document["chapters"]] == [
        c.start_time for c in chaps
    ]
    assert tags["TIT2"].text == [issue.title]

    rows = TTSCallStore(db).recent(100)
    assert len(rows) == episode.segments_synthesized and all(r["engine"] == "piper" for r in rows)
    assert all(r["audio_seconds"] > 0.5 for r in rows)
    db.close()


def _short_template(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "podcast_script.j2").write_text(
        "## Intro\n\nWelcome to the show.\n"
        "{% for e in highlights %}\n## {{ e.paper.title }}\n\n{{ e.paper.title }}.\n\n"
        "{{ e.summary.summary.results }}\n{% endfor %}\n## Outro\n\nBye for now.\n"
    )
    return folder


def test_speak_reads_text_with_piper_at_a_faster_rate(layout: Layout, tmp_path: Path) -> None:
    text = "LLMs read papers, e.g. this one.\n\nThe second paragraph is here."
    normal = speak(
        text, settings=Settings(audio={"workers": 1}), layout=layout, out=tmp_path / "a.mp3"
    )
    fast = speak(
        text,
        settings=Settings(audio={"workers": 1, "speaking_rate": 1.5}),
        layout=layout,
        out=tmp_path / "b.mp3",
    )
    assert normal.mp3_path.is_file() and fast.mp3_path.is_file()
    assert fast.duration_seconds < normal.duration_seconds * 0.85
    assert normal.chapters_path is None and len(normal.chapters) == 1
    assert rms(decode_mp3(normal.mp3_path)) > 0.03


def test_any_piper_voice_by_model_path(layout: Layout, tmp_path: Path) -> None:
    model, config = default_voice()
    (tmp_path / "custom.onnx").symlink_to(model)
    (tmp_path / "custom.onnx.json").symlink_to(config)
    settings = Settings(audio={"voice": str(tmp_path / "custom.onnx"), "workers": 1})
    episode = speak(
        "A different voice file.", settings=settings, layout=layout, out=tmp_path / "v.mp3"
    )
    assert episode.voice == "custom" and episode.mp3_path.is_file()


def test_a_missing_piper_voice_is_a_clear_error(layout: Layout, tmp_path: Path) -> None:
    settings = Settings(audio={"voice": str(tmp_path / "nope.onnx")})
    with pytest.raises(AudioError, match=r"nope\.onnx does not exist"):
        speak("Hello.", settings=settings, layout=layout, out=tmp_path / "a.mp3")


@pytest.mark.slow
def test_piper_parallel_processes_produce_every_segment(layout: Layout, tmp_path: Path) -> None:
    engine = PiperEngine.from_settings(Settings(audio={"workers": 2}))
    texts = ["First sentence here.", "A second, longer sentence is right here.", "Third."]
    results = sorted(engine.synthesize(texts), key=lambda r: r.index)
    assert [r.index for r in results] == [0, 1, 2]
    assert all(r.error is None and r.wav for r in results)
    seconds = [wav_seconds(r.wav) for r in results]  # type: ignore[arg-type]
    assert seconds[1] > seconds[2] and all(not math.isclose(s, 0) for s in seconds)


def test_an_unchanged_episode_is_not_encoded_again(
    settings: Settings, layout: Layout, tmp_path: Path
) -> None:
    """A rerun with the same script, voice and settings keeps the MP3 as it is."""
    issue = make_issue([entry(1), entry(2)])
    engine = ToneEngine()
    out = tmp_path / "out"
    first = build_episode(issue, settings=settings, layout=layout, out_dir=out, engine=engine)
    stamp = first.mp3_path.stat().st_mtime_ns
    chapters = (out / "chapters.json").read_bytes()
    engine.asked.clear()
    again = build_episode(issue, settings=settings, layout=layout, out_dir=out, engine=engine)
    assert again.mp3_path.stat().st_mtime_ns == stamp  # not encoded again
    assert (out / "chapters.json").read_bytes() == chapters
    assert again.duration_seconds == first.duration_seconds
    assert again.chapters == first.chapters
    assert again.segments_synthesized == 0 and engine.asked == []

    first.mp3_path.write_bytes(first.mp3_path.read_bytes()[:-100])  # damaged by hand
    rebuilt = build_episode(issue, settings=settings, layout=layout, out_dir=out, engine=engine)
    assert rebuilt.mp3_path.stat().st_mtime_ns != stamp
    assert rebuilt.duration_seconds == first.duration_seconds
    assert rebuilt.segments_synthesized == 0 and engine.asked == []  # segments from the cache

    no_cache = settings.model_copy(
        update={"audio": settings.audio.model_copy(update={"cache": False})}
    )
    fresh = build_episode(issue, settings=no_cache, layout=layout, out_dir=out, engine=engine)
    assert fresh.segments_synthesized > 0  # --no-cache means everything again


def test_a_german_episode_has_german_chapters_and_language_tags(
    layout: Layout, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home", audio=AUDIO, issue={"language": "de"})
    issue = make_issue([entry(1, title="Round and Round")])
    out = tmp_path / "out" / "2024-W41"
    build_episode(issue, settings=settings, layout=layout, out_dir=out, engine=ToneEngine())
    tags = ID3(out / "episode.mp3")
    assert tags["TLAN"].text == ["deu"]
    assert tags.getall("CTOC")[0].sub_frames["TIT2"].text == ["Kapitel"]
    titles = [c["title"] for c in json.loads((out / "chapters.json").read_text())["chapters"]]
    assert titles == ["Einleitung", "Round and Round", "Abschluss"]
    english = ID3(
        build_episode(
            issue, settings=Settings(home=tmp_path / "home", audio=AUDIO), layout=layout,
            out_dir=tmp_path / "en", engine=ToneEngine(),
        ).mp3_path
    )  # fmt: skip
    assert english["TLAN"].text == ["eng"]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.0, "0:00"),
        (59.4, "0:59"),
        (59.6, "1:00"),  # rounds to the nearest second, carrying into the minutes
        (119.5, "2:00"),  # the x:59.5 case: 120 s once rounded, so the minute carries
        (600.0, "10:00"),
        (3599.6, "1:00:00"),
        (3723.0, "1:02:03"),
    ],
)
def test_episode_duration_reads_as_a_clock(seconds: float, shown: str) -> None:
    from papercast.audio.episode import Episode

    assert Episode.model_construct(duration_seconds=seconds).duration == shown


def tone_level(
    samples: np.ndarray, start: float, end: float, hz: float, rate: int = 44100
) -> float:
    """Amplitude of the ``hz`` sine in [start, end) seconds: a Hann-windowed projection, so the
    voice (a 220 Hz tone) does not count towards the music (523 Hz), whatever else plays."""
    window = samples[int(start * rate) : int(end * rate)].astype(np.float64)
    assert window.size > rate // 10, (start, end)
    hann = np.hanning(window.size)
    phase = np.exp(-2j * np.pi * hz * np.arange(window.size) / rate)
    return float(2 * abs(np.sum(window * hann * phase)) / np.sum(hann))


def db(ratio: float) -> float:
    return 20 * math.log10(max(ratio, 1e-9))


def test_music_is_ducked_under_the_voice_faded_out_and_back_for_the_outro(
    layout: Layout, tmp_path: Path
) -> None:
    """[audio] music as docs/audio.md describes it, measured in the decoded MP3: alone for 3 s,
    then music_gain_db (-20 dB) under the intro, i.e. 14 dB below the lead-in (which plays at
    -6 dB), faded out before the papers, silent under them, back under the outro, louder in the
    last 4 s and faded to nothing at the end."""
    music = tmp_path / "music.wav"
    t = np.arange(RATE * 30) / RATE  # longer than the intro; the outro loops it
    tune = (0.5 * np.sin(2 * np.pi * 523 * t) * 32767).astype("<i2").tobytes()
    from papercast.audio.wav import pcm_to_wav

    music.write_bytes(pcm_to_wav(tune, RATE))
    words = " ".join(["word"] * 40)  # 12 s of voice at 0.3 s a word
    episode = build_episode(
        make_issue([entry(1), entry(2)], intro=f"Welcome. {words}", outro=f"Bye. {words}"),
        settings=Settings(audio={**AUDIO, "music": music, "music_gain_db": -20}),
        layout=layout,
        out_dir=tmp_path / "e",
        engine=ToneEngine(),
    )
    samples = decode_mp3(episode.mp3_path)
    total = samples.size / 44100
    papers_at, outro_at = episode.chapters[1].start_seconds, episode.chapters[-1].start_seconds
    assert papers_at > 14 and total - outro_at > 12

    def music_at(start: float, end: float) -> float:
        return tone_level(samples, start, end, 523)

    lead = music_at(0.6, 2.8)  # after the 0.5 s fade-in, before the voice
    ducked = music_at(3.5, papers_at - 3.5)  # under the intro, before its fade-out
    assert lead > 0.02
    assert -17 < db(ducked / lead) < -11  # -20 dB under the voice vs -6 dB alone: 14 dB down
    assert music_at(papers_at - 0.6, papers_at) < 0.5 * ducked  # fading out...
    assert music_at(papers_at + 0.5, outro_at - 0.5) < 0.05 * ducked  # ...gone under the papers
    assert -17 < db(music_at(outro_at + 1.5, total - 5) / lead) < -11  # under the outro
    assert -4 < db(music_at(total - 3.9, total - 2.6) / lead) < 3  # the last 4 s, alone
    assert music_at(total - 0.3, total) < 0.1 * lead  # and faded to nothing
    # the voice itself is not ducked: as loud under the music as between the papers
    assert (
        -2
        < db(
            tone_level(samples, 4, 8, 220) / tone_level(samples, papers_at + 1, papers_at + 3, 220)
        )
        < 2
    )


def test_music_shorter_than_a_second_is_a_clear_error(layout: Layout, tmp_path: Path) -> None:
    from papercast.audio.wav import pcm_to_wav

    music = tmp_path / "blip.wav"
    music.write_bytes(pcm_to_wav(b"\x10\x00" * (RATE // 2), RATE))  # half a second
    with pytest.raises(AudioError, match=r"the music file blip\.wav is shorter than a second"):
        build_episode(
            make_issue([entry(1)]),
            settings=Settings(audio={**AUDIO, "music": music}),
            layout=layout,
            out_dir=tmp_path / "e",
            engine=ToneEngine(),
        )
    assert not (tmp_path / "e" / "episode.mp3").exists()
