"""The TTS engine protocol: many texts in, one WAV per text out, every call accounted for."""

from __future__ import annotations

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
