"""Synthesized segments on disk, keyed by what made them: (text, engine, voice, settings).

A rerun, or an issue edited in one paragraph, only synthesizes what changed. Files are WAV
(16-bit mono), written atomically, fanned out into 256 folders.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from papercast.layout import write_cache_bytes

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1


def segment_key(text: str, identity: dict[str, Any]) -> str:
    payload = json.dumps(
        {"format": CACHE_FORMAT, "text": text, "identity": identity},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class SegmentCache:
    def __init__(self, root: Path, *, enabled: bool = True) -> None:
        self.root = root
        self.enabled = enabled

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def get(self, key: str) -> bytes | None:
        if not self.enabled:
            return None
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        if len(data) < 44 or data[:4] != b"RIFF":
            logger.warning("ignoring a damaged cached segment %s", path.name)
            path.unlink(missing_ok=True)
            return None
        return data

    def put(self, key: str, wav: bytes) -> None:
        if self.enabled:
            write_cache_bytes(self.path(key), wav)  # a segment not cached is made again later
