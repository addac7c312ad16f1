"""The TTS engine protocol: many texts in, one WAV per text out, every call accounted for."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from papercast.models import TTSCall


class SynthResult(BaseModel):
    """What became of one text: 16-bit mono WAV bytes, or the error that stopped it."""

    model_config = ConfigDict(extra="forbid")

    index: int
    wav: bytes | None = None
    error: str | None = None
    calls: list[TTSCall] = Field(default_factory=list)


class TTSEngine(Protocol):
    """A speech engine. Implementations are found by name in ``papercast.audio.engines``."""

    name: str

    @property
    def voice(self) -> str:
        """A human-readable voice name (logged, tagged)."""
        ...

    def identity(self) -> dict[str, Any]:
        """Everything besides the text that changes the audio: part of the cache key."""
        ...

    def synthesize(self, texts: Sequence[str]) -> Iterator[SynthResult]:
        """Speak every text (in parallel as the engine sees fit); yield results as they finish.

        A failed text yields a result with ``error`` set rather than raising, so the texts
        that did succeed can still be cached.
        """
        ...


def pcm_to_wav(pcm: bytes, sample_rate: int, channels: int = 1, sample_width: int = 2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(sample_width)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())
