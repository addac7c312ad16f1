"""Segments to one timeline: pauses between paragraphs and chapters, an optional music bed,
and the exact millisecond where each chapter starts.

Segments are joined as raw PCM in one pass (repeated ``AudioSegment + AudioSegment`` would copy
the whole episode once per paragraph); pydub does the per-segment work (format conversion,
silence, gain, fades, overlay).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from papercast.audio.chapters import Chapter
from papercast.audio.ffmpeg import decode_file, pydub_segment_class
from papercast.errors import AudioError

if TYPE_CHECKING:
    from pydub import AudioSegment

logger = logging.getLogger(__name__)

MUSIC_LEAD_IN_MS = 3000
MUSIC_TAIL_MS = 4000


@dataclass
class ChapterAudio:
    """One chapter's title/link and its spoken segments, in order."""

    title: str
    url: str | None
    segments: list[AudioSegment]


@dataclass
class Timeline:
    """The joined audio and where each chapter starts and ends in it."""

    audio: AudioSegment
    chapters: list[Chapter]
    segments: list[list[tuple[float, float]]] = field(default_factory=list)
    """(start, end) in seconds of every segment, by chapter, as placed in ``audio``."""

    @property
    def duration_seconds(self) -> float:
        return len(self.audio) / 1000.0


def _conform(segment: AudioSegment, sample_rate: int) -> AudioSegment:
    return segment.set_channels(1).set_sample_width(2).set_frame_rate(sample_rate)


def _silence_bytes(ms: int, sample_rate: int) -> bytes:
    return b"\x00\x00" * int(sample_rate * ms / 1000)


def assemble(
    chapters: list[ChapterAudio],
    *,
    paragraph_pause_ms: int,
    chapter_pause_ms: int,
    music: Path | None = None,
    music_gain_db: float = -20.0,
) -> Timeline:
    """Join chapters into one mono 16-bit timeline; chapter starts are segment starts."""
    if not chapters or not any(c.segments for c in chapters):
        raise AudioError("there is no audio to assemble")
    audio_segment = pydub_segment_class()
    sample_rate = next(s for c in chapters for s in c.segments).frame_rate
    parts: list[bytes] = []
    frames = 0
    starts: list[int] = []
    spans: list[list[tuple[int, int]]] = []
    for number, chapter in enumerate(chapters):
        if number:
            pause = _silence_bytes(chapter_pause_ms, sample_rate)
            parts.append(pause)
            frames += len(pause) // 2
        starts.append(frames)
        spans.append([])
        for index, segment in enumerate(chapter.segments):
            if index:
                pause = _silence_bytes(paragraph_pause_ms, sample_rate)
                parts.append(pause)
                frames += len(pause) // 2
            raw = _conform(segment, sample_rate).raw_data
            parts.append(raw)
            spans[-1].append((frames, frames + len(raw) // 2))
            frames += len(raw) // 2
    voice = audio_segment(data=b"".join(parts), sample_width=2, frame_rate=sample_rate, channels=1)
    lead_ms = 0
    if music is not None:
        voice, lead_ms = _with_music(voice, music, starts, sample_rate, music_gain_db)
    total_ms = len(voice)
    bounds = [lead_ms * (i > 0) + round(f * 1000 / sample_rate) for i, f in enumerate(starts)]
    bounds[0] = 0
    result = [
        Chapter(
            title=c.title,
            url=c.url,
            start_seconds=start / 1000,
            end_seconds=(bounds[i + 1] if i + 1 < len(bounds) else total_ms) / 1000,
        )
        for i, (c, start) in enumerate(zip(chapters, bounds, strict=True))
    ]
    segments = [
        [
            ((lead_ms + a * 1000 / sample_rate) / 1000, (lead_ms + b * 1000 / sample_rate) / 1000)
            for a, b in chapter_spans
        ]
        for chapter_spans in spans
    ]
    return Timeline(audio=voice, chapters=result, segments=segments)


def _with_music(
    voice: AudioSegment, path: Path, starts: list[int], sample_rate: int, gain_db: float
) -> tuple[AudioSegment, int]:
    """Music alone for a moment, then under the intro, faded; again under the outro."""
    music = decode_file(path, sample_rate=sample_rate)
    if len(music) < 1000:
        raise AudioError(f"the music file {path.name} is shorter than a second")
    level = voice.dBFS if not math.isinf(voice.dBFS) else -20.0
    music = music.apply_gain(level - music.dBFS if not math.isinf(music.dBFS) else 0)
    silence = pydub_segment_class().silent
    lead = MUSIC_LEAD_IN_MS
    padded = silence(lead, frame_rate=sample_rate) + voice + silence(MUSIC_TAIL_MS, sample_rate)
    intro_ms = round(starts[1] * 1000 / sample_rate) if len(starts) > 1 else len(voice)
    bed = music[:lead].apply_gain(-6).fade_in(500) + music[lead : lead + intro_ms].apply_gain(
        gain_db
    )
    padded = padded.overlay(bed.fade_out(min(3000, len(bed))), position=0)
    if len(starts) > 2:
        outro_at = lead + round(starts[-1] * 1000 / sample_rate)
        length = len(padded) - outro_at
        outro = (music * math.ceil(length / len(music)))[:length]
        quiet, loud = outro[: length - MUSIC_TAIL_MS], outro[length - MUSIC_TAIL_MS :]
        outro_bed = quiet.apply_gain(gain_db) + loud.apply_gain(-6)
        padded = padded.overlay(outro_bed.fade_in(1000).fade_out(2500), position=outro_at)
    return padded, lead
