"""Helpers for the audio tests: hand-built issues, a deterministic tone engine, decoding."""

from __future__ import annotations

import io
import subprocess
import wave
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np

from papercast.audio.engines.base import SynthResult
from papercast.audio.wav import pcm_to_wav
from papercast.models import Author, Issue, IssueEntry, Paper, Summary, SummaryRecord, TTSCall

RATE = 22050


def entry(
    n: int,
    *,
    significance: int = 5,
    title: str | None = None,
    tldr: str = "A new way to make attention cheaper.",
    method: str = "They train a small model on public data.",
    results: str = "It is twelve percent faster.",
    critiques: str = "Only one dataset is used.",
    implications: str = "Cheaper models for everyone.",
    score: float = 0.0,
) -> IssueEntry:
    pid = f"arxiv:2410.{n:05d}"
    return IssueEntry(
        paper=Paper(
            id=pid,
            source="arxiv",
            title=title or f"Paper {n} on efficient attention",
            abs_url=f"https://arxiv.org/abs/2410.{n:05d}",
            authors=[Author(name="Ada Lovelace"), Author(name="Alan Turing")],
        ),
        summary=SummaryRecord(
            paper_id=pid,
            model="gpt-4o-mini",
            summary=Summary(
                tldr=tldr,
                method=method,
                results=results,
                critiques=critiques,
                implications=implications,
                significance=significance,
                significance_reason="ok",
            ),
        ),
        score=score,
    )


def make_issue(entries: list[IssueEntry], **changes: Any) -> Issue:
    fields: dict[str, Any] = {
        "id": "2024-W41",
        "title": "This Week's New Papers - Oct 13, 2024",
        "date": date(2024, 10, 13),
        "model": "gpt-4o-mini",
        "intro": "Welcome to the test show.",
        "outro": "That is all.",
        "highlights": entries,
    }
    fields.update(changes)
    return Issue(**fields)


class ToneEngine:
    """A fake TTS engine: a tone whose length grows with the words; records what it was asked."""

    name = "tone"

    def __init__(
        self,
        *,
        seconds_per_word: float = 0.3,
        amplitude: float = 0.3,
        fail_on: str | None = None,
        rate: int = RATE,
        spikes: bool = False,
    ) -> None:
        self.seconds_per_word = seconds_per_word
        self.amplitude = amplitude
        self.fail_on = fail_on
        self.rate = rate
        self.spikes = spikes
        self.asked: list[str] = []

    @property
    def voice(self) -> str:
        return "tone-a"

    def identity(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "spw": self.seconds_per_word,
            "amp": self.amplitude,
            "spikes": self.spikes,
        }

    def synthesize(self, texts: Sequence[str]) -> Iterator[SynthResult]:
        for index, text in enumerate(texts):
            self.asked.append(text)
            call = TTSCall(engine=self.name, voice=self.voice, chars=len(text))
            if self.fail_on and self.fail_on in text:
                call.status, call.error = "error", "boom"
                yield SynthResult(index=index, error="boom", calls=[call])
                continue
            seconds = max(0.2, len(text.split()) * self.seconds_per_word)
            t = np.arange(int(seconds * self.rate)) / self.rate
            samples = self.amplitude * np.sin(2 * np.pi * 220 * t)
            if self.spikes:  # full-scale clicks: peaks far above the loudness (like Piper)
                samples[:: self.rate // 10] = 1.0
            pcm = (samples * 32767).astype("<i2").tobytes()
            call.audio_seconds = seconds
            yield SynthResult(index=index, wav=pcm_to_wav(pcm, self.rate), calls=[call])


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data), "rb") as reader:
        return reader.getnframes() / reader.getframerate()


def decode_mp3(path: Path, rate: int = 44100) -> np.ndarray:
    """The MP3's samples as float32 mono in [-1, 1], decoded by ffmpeg."""
    done = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            str(rate),
            "pipe:1",
        ],
        capture_output=True,
        check=True,
    )
    return np.frombuffer(done.stdout, dtype="<i2").astype(np.float32) / 32768.0
