"""ffmpeg without a system install: the binary that ``imageio-ffmpeg`` ships.

imageio-ffmpeg has no ffprobe, so nothing here (or in pydub, as we call it) asks ffprobe what
a file holds: we decode to WAV with explicit formats and read WAV ourselves.
"""

from __future__ import annotations

import io
import logging
import subprocess
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, cast

from papercast.errors import AudioError

if TYPE_CHECKING:
    from pydub import AudioSegment

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
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg_exe()
    return cast("type[AudioSegment]", AudioSegment)


def run_ffmpeg(args: list[str], *, what: str, stdin: bytes | None = None) -> tuple[bytes, str]:
    """Run ffmpeg; a failure is an AudioError carrying the end of ffmpeg's own message."""
    quiet_stdin = ["-nostdin"] if stdin is None else []
    command = [ffmpeg_exe(), "-hide_banner", "-y", *quiet_stdin, *args]
    logger.debug("ffmpeg %s", " ".join(args))
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, check=False)
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


def decode_file(path: Path, *, sample_rate: int, channels: int = 1) -> AudioSegment:
    """Any audio file ffmpeg reads (MP3, OGG, FLAC...) as 16-bit PCM at ``sample_rate``."""
    if not path.is_file():
        raise AudioError(f"audio file {path} does not exist", "check the path in your config")
    out, _ = run_ffmpeg(
        [
            "-i",
            str(path),
            "-vn",
            "-ac",
            str(channels),
            "-ar",
            str(sample_rate),
            "-c:a",
            "pcm_s16le",
            "-f",
            "wav",
            "-",
        ],
        what=f"decode {path.name}",
    )
    return wav_to_segment(fix_wav(out))


def decode_bytes(data: bytes, *, sample_rate: int, input_format: str | None = None) -> bytes:
    """Encoded audio bytes (e.g. an MP3 from a TTS server) to 16-bit mono WAV bytes."""
    args = ["-f", input_format] if input_format else []
    out, _ = run_ffmpeg(
        [
            *args,
            "-i",
            "pipe:0",
            "-vn",
            "-ac",
            "1",
            "-ar",
            str(sample_rate),
            "-c:a",
            "pcm_s16le",
            "-f",
            "wav",
            "pipe:1",
        ],
        what="decode synthesized audio",
        stdin=data,
    )
    return fix_wav(out)


def fix_wav(data: bytes) -> bytes:
    """ffmpeg writing WAV to a pipe cannot seek back to fill in the sizes; fill them in."""
    from pydub.utils import fix_wav_headers

    buffer = bytearray(data)
    fix_wav_headers(buffer)
    return bytes(buffer)
