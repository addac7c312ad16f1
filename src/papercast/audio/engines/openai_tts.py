"""OpenAI text-to-speech (``audio.speech.create``), or any OpenAI-compatible TTS server.

The API takes at most 4096 characters per request, so each text is cut at sentence
boundaries (:func:`papercast.audio.spoken.chunk_text`) and the pieces' audio joined: nothing
is ever truncated. Requests run concurrently (``[audio] workers``); the SDK retries 429/5xx.
"""

from __future__ import annotations

import io
import logging
import time
import wave
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any, Literal

import openai
from pydantic import BaseModel, ConfigDict, Field

from papercast.audio.engines.base import SynthResult
from papercast.audio.ffmpeg import decode_bytes, fix_wav
from papercast.audio.spoken import chunk_text
from papercast.audio.wav import pcm_to_wav, wav_seconds
from papercast.config import Settings
from papercast.errors import AudioError
from papercast.llm.client import Endpoint, endpoint, translate
from papercast.models import TTSCall

logger = logging.getLogger(__name__)

PCM_RATE = 24000  # OpenAI's "pcm" format: 24 kHz 16-bit mono little-endian
ResponseFormat = Literal["wav", "mp3", "flac", "pcm"]


class OpenAIOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "gpt-4o-mini-tts"
    voice: str = "alloy"
    instructions: str | None = None
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    max_chars: int = Field(default=4096, ge=1, le=4096)
    response_format: ResponseFormat = "wav"
    concurrency: int = Field(default=4, ge=1)
    sentence_pause_ms: int = 250
    price_per_million_chars: float = 0.0


class OpenAIEngine:
    name = "openai"

    def __init__(self, options: OpenAIOptions, where: Endpoint) -> None:
        self.options = options
        self.where = where
        self._client = where.client()

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIEngine:
        audio = settings.audio
        options = OpenAIOptions(
            model=audio.openai_model,
            voice=audio.voice or audio.openai_voice,
            instructions=audio.instructions,
            speed=audio.speaking_rate,
            max_chars=audio.openai_max_chars,
            response_format=audio.openai_response_format,
            concurrency=audio.workers,
            sentence_pause_ms=audio.sentence_pause_ms,
            price_per_million_chars=audio.openai_prices.get(audio.openai_model, 0.0),
        )
        return cls(options, endpoint(settings, "speech"))

    @property
    def voice(self) -> str:
        return self.options.voice

    def identity(self) -> dict[str, Any]:
        o = self.options
        return {
            "engine": self.name,
            "base_url": self.where.base_url or "https://api.openai.com/v1",
            "model": o.model,
            "voice": o.voice,
            "instructions": o.instructions if self._takes_instructions else None,
            "speed": o.speed,
            "max_chars": o.max_chars,
            "sentence_pause_ms": o.sentence_pause_ms,
        }

    @property
    def _takes_instructions(self) -> bool:
        return bool(self.options.instructions) and not self.options.model.startswith("tts-1")

    def synthesize(self, texts: Sequence[str]) -> Iterator[SynthResult]:
        chunks = [chunk_text(text, self.options.max_chars) for text in texts]
        pending = {i: len(c) for i, c in enumerate(chunks)}
        audio: dict[tuple[int, int], bytes] = {}
        calls: dict[int, list[TTSCall]] = {i: [] for i in pending}
        errors: dict[int, str] = {}
        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
            futures: dict[Future[tuple[bytes | None, TTSCall]], tuple[int, int]] = {
                pool.submit(self._request, piece): (i, j)
                for i, pieces in enumerate(chunks)
                for j, piece in enumerate(pieces)
            }
            for future in as_completed(futures):
                i, j = futures[future]
                wav, call = future.result()
                calls[i].append(call)
                if wav is None:
                    errors.setdefault(i, call.error or "failed")
                else:
                    audio[(i, j)] = wav
                pending[i] -= 1
                if pending[i] == 0:
                    yield self._result(i, len(chunks[i]), audio, calls[i], errors.get(i))

    def _result(
        self,
        index: int,
        count: int,
        audio: dict[tuple[int, int], bytes],
        calls: list[TTSCall],
        error: str | None,
    ) -> SynthResult:
        if error is not None:
            return SynthResult(index=index, error=error, calls=calls)
        if count == 0:
            return SynthResult(index=index, error="nothing to say", calls=calls)
        return SynthResult(
            index=index,
            wav=self._join([audio.pop((index, j)) for j in range(count)]),
            calls=calls,
        )

    def _join(self, wavs: list[bytes]) -> bytes:
        if len(wavs) == 1:
            return wavs[0]
        frames: list[bytes] = []
        rate = 0
        for data in wavs:
            with wave.open(io.BytesIO(data), "rb") as reader:
                if rate and reader.getframerate() != rate:
                    raise AudioError("the TTS server returned audio at different sample rates")
                rate = reader.getframerate()
                frames.append(reader.readframes(reader.getnframes()))
        pause = b"\x00\x00" * int(rate * self.options.sentence_pause_ms / 1000)
        return pcm_to_wav(pause.join(frames), rate)

    def _request(self, text: str) -> tuple[bytes | None, TTSCall]:
        o = self.options
        call = TTSCall(engine=self.name, voice=o.voice, model=o.model, chars=len(text))
        extra: dict[str, Any] = {}
        if o.speed != 1.0:
            extra["speed"] = o.speed
        if self._takes_instructions:
            extra["instructions"] = o.instructions
        started = time.perf_counter()
        try:
            response = self._client.audio.speech.create(
                model=o.model, voice=o.voice, input=text, response_format=o.response_format, **extra
            )
            wav = self._to_wav(response.content)
        except (openai.OpenAIError, AudioError, wave.Error, EOFError) as exc:
            call.status, call.error = "error", self._describe(exc)
            call.duration_ms = int((time.perf_counter() - started) * 1000)
            logger.warning("OpenAI TTS request failed: %s", call.error)
            return None, call
        call.duration_ms = int((time.perf_counter() - started) * 1000)
        call.audio_seconds = wav_seconds(wav)
        call.cost_usd = len(text) * o.price_per_million_chars / 1_000_000
        return wav, call

    def _to_wav(self, data: bytes) -> bytes:
        if not data:
            raise AudioError("the TTS server returned no audio")
        if self.options.response_format == "pcm":
            return pcm_to_wav(data, PCM_RATE)
        if data[:4] == b"RIFF":
            fixed = fix_wav(data)
            with wave.open(io.BytesIO(fixed), "rb") as reader:
                if reader.getnchannels() == 1 and reader.getsampwidth() == 2:
                    return fixed
            return decode_bytes(fixed, sample_rate=reader.getframerate())
        return decode_bytes(data, sample_rate=PCM_RATE)

    def _describe(self, exc: Exception) -> str:
        if isinstance(exc, openai.OpenAIError):
            return translate(exc, self.where, self.options.model).message
        return self.where.redact(str(exc))
