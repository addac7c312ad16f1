"""ffmpeg without a system install: the binary that ``imageio-ffmpeg`` ships.

imageio-ffmpeg has no ffprobe, so nothing here (or in pydub, as we call it) asks ffprobe what
a file holds: we decode to WAV with explicit formats and read WAV ourselves.
"""

from __future__ import annotations

import io
import logging
import struct
import subprocess
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, cast

from papercast.audio.wav import pcm_to_wav
from papercast.errors import AudioError
from papercast.workers import child_guard

if TYPE_CHECKING:
    from pydub import AudioSegment

# ffmpeg output options: raw 16-bit little-endian mono at the rate that follows.
_PCM_OUT = ("-vn", "-ac", "1", "-c:a", "pcm_s16le", "-f", "s16le", "-ar")

logger = logging.getLogger(__name__)


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        raise AudioError(
            f"no ffmpeg binary found: {exc}",
            "reinstall imageio-ffmpeg (pip install --force-reinstall imageio-ffmpeg)",
        ) from None


def pydub_segment_class() -> type[AudioSegment]:
    """pydub's AudioSegment with its converter pointed at imageio-ffmpeg's binary."""
    with warnings.catch_warnings():
        # pydub warns at import time when no system ffmpeg is on PATH; we bring our own.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # pydub imports audioop (3.11)
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg_exe()
    return cast("type[AudioSegment]", AudioSegment)


def run_ffmpeg(args: list[str], *, what: str, stdin: bytes | None = None) -> tuple[bytes, str]:
    """Run ffmpeg; a failure is an AudioError carrying the end of ffmpeg's own message."""
    quiet_stdin = ["-nostdin"] if stdin is None else []
    command = [ffmpeg_exe(), "-hide_banner", "-y", *quiet_stdin, *args]
    logger.debug("ffmpeg %s", " ".join(args))
    try:
        done = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            check=False,
            preexec_fn=child_guard(),  # an encode never outlives a killed run
        )
    except OSError as exc:
        raise AudioError(f"cannot run ffmpeg to {what}: {exc}") from None
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        tail = " | ".join(line for line in stderr.strip().splitlines()[-3:])
        raise AudioError(f"ffmpeg failed to {what} (exit {done.returncode}): {tail}")
    return done.stdout, stderr


def wav_to_segment(data: bytes) -> AudioSegment:
    audio_segment = pydub_segment_class()
    try:
        return audio_segment.from_file(io.BytesIO(data), format="wav")
    except Exception as exc:  # pydub raises bare exceptions for bad headers
        raise AudioError(f"unreadable WAV audio ({len(data)} bytes): {exc}") from None


def decode_file(path: Path, *, sample_rate: int) -> AudioSegment:
    """Any audio file ffmpeg reads (MP3, OGG, FLAC...) as 16-bit mono PCM at ``sample_rate``."""
    if not path.is_file():
        raise AudioError(f"audio file {path} does not exist", "check the path in your config")
    pcm, _ = run_ffmpeg(
        ["-i", str(path), *_PCM_OUT, str(sample_rate), "pipe:1"], what=f"decode {path.name}"
    )
    return wav_to_segment(pcm_to_wav(pcm, sample_rate))


def decode_bytes(data: bytes, *, sample_rate: int) -> bytes:
    """Encoded audio bytes (e.g. an MP3 from a TTS server) to 16-bit mono WAV bytes."""
    pcm, _ = run_ffmpeg(
        ["-i", "pipe:0", *_PCM_OUT, str(sample_rate), "pipe:1"],
        what="decode synthesized audio",
        stdin=data,
    )
    return pcm_to_wav(pcm, sample_rate)


def fix_wav(data: bytes) -> bytes:
    """A WAV streamed by a server may carry placeholder sizes (0xFFFFFFFF): use the real ones."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError("the audio is not a WAV file")
    position = 12
    header = bytearray(data[:12])
    while position + 8 <= len(data):
        kind = data[position : position + 4]
        size = struct.unpack("<I", data[position + 4 : position + 8])[0]
        body_start = position + 8
        if kind == b"data":
            body = (
                data[body_start:]
                if size > len(data) - body_start
                else data[body_start : body_start + size]
            )
            body = body[: len(body) - len(body) % 2]
            chunk = b"data" + struct.pack("<I", len(body)) + body
            out = bytes(header) + data[12:position] + chunk
            return out[:4] + struct.pack("<I", len(out) - 8) + out[8:]
        position = body_start + size + (size % 2)
    raise AudioError("the WAV audio has no data")
