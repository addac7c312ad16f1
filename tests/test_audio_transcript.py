"""The episode's transcript: episode.vtt (validated by webvtt-py, an independent parser) and
episode.txt, timed from the real audio; linked from the feed and the web issue."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import webvtt

from papercast.audio import build_episode
from papercast.audio.script import build_script
from papercast.audio.transcript import Cue, to_vtt
from papercast.config import Settings
from papercast.layout import Layout
from support.audio_fakes import RATE, ToneEngine, decode_mp3, entry, make_issue

AUDIO = {"paragraph_pause_ms": 300, "chapter_pause_ms": 700}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", audio=AUDIO)


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    layout = Layout(home=tmp_path / "home", out_dir=tmp_path / "out")
    layout.ensure()
    return layout


def seconds(stamp: str) -> float:
    hours, minutes, rest = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def tone_seconds(text: str) -> float:
    return int(max(0.2, len(text.split()) * 0.3) * RATE) / RATE


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples)))) if samples.size else 0.0


def test_the_vtt_is_valid_and_timed_by_the_real_segments(
    settings: Settings, layout: Layout, tmp_path: Path
) -> None:
    issue = make_issue([entry(1, title="Round and Round"), entry(2, title="BloArk")])
    out = tmp_path / "out" / "2024-W41"
    episode = build_episode(
        issue, settings=settings, layout=layout, out_dir=out, engine=ToneEngine()
    )
    assert episode.transcript_path == out / "episode.vtt"
    assert episode.transcript_text_path == out / "episode.txt"
    captions = webvtt.read(str(out / "episode.vtt")).captions
    starts = [seconds(c.start) for c in captions]
    ends = [seconds(c.end) for c in captions]
    assert all(s < e for s, e in zip(starts, ends, strict=True))
    for (_, end), (start, _) in itertools.pairwise(zip(starts, ends, strict=True)):
        assert end <= start + 0.0005, "cues never overlap"
    assert all(c.voice is None for c in captions), "a narration has no speakers"

    # Every word of the script is in the transcript, in order.
    script = build_script(issue, settings)
    said = " ".join(p for c in script.chapters for p in c.paragraphs)
    assert " ".join(c.text for c in captions).split() == said.split()

    # Segment bounds: each paragraph starts where its audio starts (tone lengths + pauses).
    expected: list[float] = []
    t = 0.0
    for number, chapter in enumerate(script.chapters):
        t += AUDIO["chapter_pause_ms"] / 1000 if number else 0.0
        for index, paragraph in enumerate(chapter.paragraphs):
            t += AUDIO["paragraph_pause_ms"] / 1000 if index else 0.0
            expected.append(t)
            t += tone_seconds(paragraph)
    first_words = [p.split()[0] for c in script.chapters for p in c.paragraphs]
    paragraph_cues = []
    remaining = list(captions)
    for paragraph in (p for c in script.chapters for p in c.paragraphs):
        paragraph_cues.append(remaining[0])
        words = len(paragraph.split())
        while words > 0:
            words -= len(remaining.pop(0).text.split())
    assert [c.text.split()[0] for c in paragraph_cues] == first_words
    for cue, want in zip(paragraph_cues, expected, strict=True):
        assert abs(seconds(cue.start) - want) < 0.002
    assert abs(ends[-1] - t) < 0.002
    # ...and in the audio: silence before a paragraph cue's start, voice after it.
    samples = decode_mp3(episode.mp3_path)
    for cue in paragraph_cues[1:]:
        at = int(seconds(cue.start) * 44100)
        assert rms(samples[at - 8000 : at - 1500]) < 0.01
        assert rms(samples[at + 1500 : at + 8000]) > 0.05

    text = (out / "episode.txt").read_text(encoding="utf-8")
    assert text.startswith(issue.title + "\n")
    assert "[00:00] Intro" in text
    chapter_two = episode.chapters[2]
    minute, second = divmod(int(chapter_two.start_seconds), 60)
    assert f"[{minute:02d}:{second:02d}] BloArk" in text
    assert "What they found. It is twelve percent faster." in text


def test_markup_in_text_and_host_names_stays_text_in_the_vtt(tmp_path: Path) -> None:
    # The episode's text is cleaned for the ear before it gets here (no tags, "&" is "and"),
    # but host names come from the configuration as typed: the writer escapes both.
    items = [
        Cue(start_seconds=0, end_seconds=1.25, text="a <b>bold</b> claim & arrows --> here",
            speaker="Ann <& Bob>"),
        Cue(start_seconds=1.25, end_seconds=61.5, text="two\n\nparagraphs", speaker=None),
    ]  # fmt: skip
    path = tmp_path / "t.vtt"
    path.write_text(to_vtt(items), encoding="utf-8")
    raw = path.read_text(encoding="utf-8")
    captions = webvtt.read(str(path)).captions
    assert [(c.start, c.end) for c in captions] == [
        ("00:00:00.000", "00:00:01.250"),
        ("00:00:01.250", "00:01:01.500"),
    ]
    assert captions[0].voice == "Ann &lt;&amp; Bob&gt;"
    assert captions[0].text == "a &lt;b&gt;bold&lt;/b&gt; claim &amp; arrows --&gt; here"
    assert captions[1].text == "two paragraphs", "a cue never holds a blank line"
    assert sum("-->" in line for line in raw.splitlines()) == 2


def test_music_shifts_the_cues_with_the_voice(layout: Layout, tmp_path: Path) -> None:
    from papercast.audio.wav import pcm_to_wav

    music = tmp_path / "music.wav"
    t = np.arange(RATE * 20) / RATE
    tune = (0.5 * np.sin(2 * np.pi * 523 * t) * 32767).astype("<i2").tobytes()
    music.write_bytes(pcm_to_wav(tune, RATE))
    issue = make_issue([entry(1)])
    plain = build_episode(issue, settings=Settings(audio=AUDIO), layout=layout,
                          out_dir=tmp_path / "a", engine=ToneEngine())  # fmt: skip
    scored = build_episode(issue, settings=Settings(audio={**AUDIO, "music": music}),
                           layout=layout, out_dir=tmp_path / "b", engine=ToneEngine())  # fmt: skip
    a = webvtt.read(str(plain.transcript_path)).captions
    b = webvtt.read(str(scored.transcript_path)).captions
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert abs(seconds(y.start) - seconds(x.start) - 3.0) < 0.002


def test_an_edited_transcript_is_rewritten_on_the_next_build(
    settings: Settings, layout: Layout, tmp_path: Path
) -> None:
    issue = make_issue([entry(1)])
    out = tmp_path / "out"
    engine = ToneEngine()
    build_episode(issue, settings=settings, layout=layout, out_dir=out, engine=engine)
    original = (out / "episode.vtt").read_bytes()
    (out / "episode.vtt").write_text("WEBVTT\n", encoding="utf-8")
    again = build_episode(issue, settings=settings, layout=layout, out_dir=out, engine=engine)
    assert (out / "episode.vtt").read_bytes() == original
    assert again.segments_synthesized == 0, "the segments still come from the cache"


def test_a_japanese_segment_is_cut_into_sentence_cues_timed_by_their_length(
    tmp_path: Path,
) -> None:
    from papercast.audio.transcript import SegmentSpan, cues
    from papercast.text import display_width

    sentences = [
        "疎な注意機構によりメモリ使用量が半減する。",
        "著者らはブロック単位の注意機構でモデルを学習し、長い文脈でも精度を保つ。",
        "はい。",  # too short for a cue of its own: joins the next
        "精度はベースラインより3ポイント向上する。",
        "長い" + "とても長い文が続く" * 40 + "。",  # wider than a cue: cut between characters
    ]
    text = "".join(sentences)
    items = cues([SegmentSpan(chapter=0, text=text, start_seconds=10.0, end_seconds=70.0)])
    shown = [c.text for c in items]
    assert shown[:3] == [sentences[0], sentences[1], sentences[2] + sentences[3]]
    assert len(shown) >= 5 and all(display_width(t) <= 220 for t in shown)
    assert "".join(shown) == text, "nothing lost, no space put in"
    # back to back from the segment's start to its end, each as long as its share of text
    assert items[0].start_seconds == 10.0 and items[-1].end_seconds == 70.0
    for before, after in itertools.pairwise(items):
        assert before.end_seconds == after.start_seconds
    first, second = items[0], items[1]
    ratio = (second.end_seconds - second.start_seconds) / (first.end_seconds - first.start_seconds)
    assert ratio == pytest.approx(len(sentences[1]) / len(sentences[0]), rel=0.01)
    path = tmp_path / "episode.vtt"
    path.write_text(to_vtt(items), encoding="utf-8")
    assert [c.text for c in webvtt.read(str(path))] == shown
