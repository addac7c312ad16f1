"""Loudness normalization and MP3 encoding, in ffmpeg.

Loudness uses ffmpeg's ``loudnorm`` filter (EBU R128): a first pass measures the whole
episode; the last applies one linear gain to reach the target (-16 LUFS integrated, the podcast
norm) under a true-peak ceiling. TTS voices peak high for their loudness (Piper scales every
sentence to full scale), so when that gain would push peaks past the ceiling, a brick-wall
``alimiter`` first brings the peaks down just enough, and the audio is measured again through
it. We chose ffmpeg over measuring with pyloudnorm and applying gain ourselves because a plain
gain to -16 LUFS clips such speech; ffmpeg limits and normalizes in the pass that encodes the
MP3 anyway, needs no extra dependency, and reports what it achieved, which we log and return.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from papercast.audio.ffmpeg import run_ffmpeg
from papercast.errors import AudioError

logger = logging.getLogger(__name__)

# The loudness range we allow before loudnorm gives up on one linear gain (speech with pauses
# often measures 8-15 LU; a tight target would make it switch to dynamic compression).
TARGET_LRA = 20.0
# Headroom below the ceiling for what a sample-peak limiter lets through as true peak.
PEAK_MARGIN_DB = 0.5
LIMITER_ATTEMPTS = 3
MIN_LIMIT = 0.0625  # alimiter's lowest limit (-24 dBFS)
_JSON_BLOCK = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.DOTALL)


class Loudness(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_i: float
    input_tp: float
    input_lra: float
    input_thresh: float
    target_offset: float
    output_i: float | None = None
    output_tp: float | None = None
    normalization_type: str | None = None


def _parse(stderr: str) -> dict[str, str]:
    blocks = _JSON_BLOCK.findall(stderr)
    if not blocks:
        raise AudioError("ffmpeg's loudness measurement printed no result")
    parsed: dict[str, str] = json.loads(blocks[-1])
    return parsed


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:  # "-inf" parses; anything else means silence or a broken measurement
        raise AudioError(f"ffmpeg measured an unusable loudness value {value!r}") from None


def measure(
    wav: Path, *, target_lufs: float, true_peak_db: float, pre_filter: str = ""
) -> Loudness:
    loudnorm = f"loudnorm=I={target_lufs}:TP={true_peak_db}:LRA={TARGET_LRA}:print_format=json"
    _, stderr = run_ffmpeg(
        [
            "-i",
            str(wav),
            "-af",
            pre_filter + loudnorm,
            "-f",
            "null",
            "-",
        ],
        what="measure loudness",
    )
    values = _parse(stderr)
    return Loudness(
        input_i=_number(values["input_i"]),
        input_tp=_number(values["input_tp"]),
        input_lra=_number(values["input_lra"]),
        input_thresh=_number(values["input_thresh"]),
        target_offset=_number(values["target_offset"]),
    )


def limiter_for(loudness: Loudness, *, target_lufs: float, true_peak_db: float) -> str:
    """An ``alimiter`` filter (with trailing comma) if the gain to target would clip, else ''.

    ``loudness`` may be measured through an earlier limiter: limiting lowers loudness, so the
    gain grows and the ceiling drops a little each round; two or three rounds converge.
    """
    gain = target_lufs - loudness.input_i
    if loudness.input_tp + gain <= true_peak_db:
        return ""
    ceiling_db = true_peak_db - gain - PEAK_MARGIN_DB
    limit = min(1.0, max(MIN_LIMIT, 10 ** (ceiling_db / 20)))
    return f"alimiter=limit={limit:.4f}:attack=2:release=50:level=false,"


def encode_mp3(
    wav: Path,
    out: Path,
    *,
    target_lufs: float,
    true_peak_db: float,
    bitrate: str,
    sample_rate: int,
) -> Loudness:
    """Normalize ``wav`` to ``target_lufs`` and write a mono MP3 at ``bitrate`` to ``out``."""
    loudness = measure(wav, target_lufs=target_lufs, true_peak_db=true_peak_db)
    if loudness.input_i == float("-inf"):
        raise AudioError("the episode audio is silent; nothing to encode")
    pre_filter = ""
    for _ in range(LIMITER_ATTEMPTS):  # limiting lowers loudness too: re-aim once or twice
        needed = limiter_for(loudness, target_lufs=target_lufs, true_peak_db=true_peak_db)
        if not needed:
            break
        pre_filter = needed
        loudness = measure(
            wav, target_lufs=target_lufs, true_peak_db=true_peak_db, pre_filter=pre_filter
        )
    audio_filter = pre_filter + (
        f"loudnorm=I={target_lufs}:TP={true_peak_db}:LRA={TARGET_LRA}"
        f":measured_I={loudness.input_i}:measured_TP={loudness.input_tp}"
        f":measured_LRA={loudness.input_lra}:measured_thresh={loudness.input_thresh}"
        f":offset={loudness.target_offset}:linear=true:print_format=json"
    )
    _, stderr = run_ffmpeg(
        [
            "-i",
            str(wav),
            "-af",
            audio_filter,
            "-ar",
            str(sample_rate),
            "-ac",
            "1",
            "-c:a",
            "libmp3lame",
            "-b:a",
            bitrate,
            "-write_xing",
            "1",
            "-id3v2_version",
            "0",
            "-f",
            "mp3",
            str(out),
        ],
        what="encode the MP3",
    )
    values = _parse(stderr)
    result = loudness.model_copy(
        update={
            "output_i": float(values["output_i"]),
            "output_tp": float(values["output_tp"]),
            "normalization_type": values.get("normalization_type"),
        }
    )
    logger.info(
        "loudness %.1f -> %.1f LUFS (%s), true peak %.1f dBTP",
        result.input_i,
        result.output_i,
        result.normalization_type,
        result.output_tp,
    )
    return result
