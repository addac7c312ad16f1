"""Guard rails: audio that is silent or far shorter than its text is an error, never a file.

The floor is generous (a voice would have to speak over 400 words a minute at the configured
rate to beat it) so slow or fast voices pass, but a TTS server that returns a blip, an empty
file or silence does not.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from papercast.audio.spoken import word_count
from papercast.errors import AudioError

if TYPE_CHECKING:
    from pydub import AudioSegment

MAX_WORDS_PER_MINUTE = 400.0
SILENCE_DBFS = -50.0


def min_seconds(words: int, speaking_rate: float) -> float:
    return words / (MAX_WORDS_PER_MINUTE * speaking_rate) * 60.0


def loudness_dbfs(audio: AudioSegment) -> float:
    value = float(audio.dBFS)
    return -math.inf if math.isinf(value) else value


def check_segment(audio: AudioSegment, text: str, speaking_rate: float) -> str | None:
    """Why this synthesized segment is unusable, or None."""
    seconds = len(audio) / 1000.0
    floor = min_seconds(word_count(text), speaking_rate)
    if seconds < floor:
        return f"{seconds:.1f} s of audio for {word_count(text)} words (expected at least {floor:.1f} s)"
    if loudness_dbfs(audio) < SILENCE_DBFS:
        return f"the audio is silent ({loudness_dbfs(audio):.0f} dBFS)"
    return None


def check_episode(audio: AudioSegment, words: int, speaking_rate: float) -> None:
    seconds = len(audio) / 1000.0
    floor = min_seconds(words, speaking_rate)
    if seconds < floor:
        raise AudioError(
            f"the episode is {seconds:.0f} s long but its script has {words} words "
            f"(at least {floor:.0f} s expected)",
            "check the TTS engine's output (papercast speak 'a test sentence' --out test.mp3)",
        )
    level = loudness_dbfs(audio)
    if level < SILENCE_DBFS:
        raise AudioError(
            f"the episode audio is silent ({level:.0f} dBFS)",
            "check the TTS engine's output (papercast speak 'a test sentence' --out test.mp3)",
        )
