# mypy: disable-error-code="no-untyped-call"
"""ID3 tags on the episode: title, show, date, cover art, and CHAP/CTOC chapters (ID3v2.3,
which Apple Podcasts, Overcast, Pocket Casts and VLC all read)."""

from __future__ import annotations

import logging
import mimetypes
from datetime import date
from pathlib import Path
from typing import Any

from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TCON,
    TDRC,
    TIT2,
    TLAN,
    TLEN,
    TPE1,
    WXXX,
    CTOCFlags,
    ID3NoHeaderError,
)
from mutagen.mp3 import MP3, HeaderNotFoundError
from pydantic import BaseModel, ConfigDict

from papercast.audio.chapters import Chapter
from papercast.errors import AudioError

logger = logging.getLogger(__name__)

_UNKNOWN_OFFSET = 0xFFFFFFFF
# ID3 wants ISO 639-2 codes; these are the languages papercast has catalogues or voices for
# (anything else is "und", undetermined, which ISO 639-2 defines for exactly this)
ISO_639_2 = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "pt": "por", "zh": "zho", "ja": "jpn",
    "ko": "kor", "it": "ita", "nl": "nld", "ru": "rus", "ar": "ara", "he": "heb", "fa": "fas",
    "pl": "pol", "sv": "swe", "tr": "tur", "uk": "ukr", "cs": "ces", "da": "dan", "fi": "fin",
    "no": "nor", "el": "ell", "hu": "hun", "ro": "ron", "vi": "vie", "ca": "cat",
}  # fmt: skip


class EpisodeTags(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    show: str
    author: str
    day: date
    comment: str = ""
    cover: Path | None = None
    language: str = "en"  # a BCP 47 tag ([issue] language)
    toc_title: str = "Chapters"


def write_tags(mp3: Path, tags: EpisodeTags, chapters: list[Chapter], duration_ms: int) -> None:
    try:
        id3 = ID3(mp3)
    except ID3NoHeaderError:
        id3 = ID3()
    id3.delete(mp3)
    id3.clear()
    id3.add(TIT2(encoding=3, text=[tags.title]))
    id3.add(TALB(encoding=3, text=[tags.show]))
    id3.add(TPE1(encoding=3, text=[tags.author]))
    id3.add(TCON(encoding=3, text=["Podcast"]))
    id3.add(TDRC(encoding=3, text=[tags.day.isoformat()]))
    id3.add(TLEN(encoding=3, text=[str(duration_ms)]))
    language = ISO_639_2.get(tags.language.split("-")[0].lower(), "und")
    id3.add(TLAN(encoding=3, text=[language]))
    if tags.comment:
        id3.add(COMM(encoding=3, lang=language, desc="", text=[tags.comment]))
    if tags.cover is not None:
        id3.add(_cover(tags.cover))
    ids = [f"chp{i}" for i in range(len(chapters))]
    id3.add(
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=3, text=[tags.toc_title])],
        )
    )
    for element_id, chapter in zip(ids, chapters, strict=True):
        sub_frames: list[TIT2 | WXXX] = [TIT2(encoding=3, text=[chapter.title])]
        if chapter.url:
            sub_frames.append(WXXX(encoding=3, desc="", url=chapter.url))
        id3.add(
            CHAP(
                element_id=element_id,
                start_time=chapter.start_ms,
                end_time=chapter.end_ms,
                start_offset=_UNKNOWN_OFFSET,
                end_offset=_UNKNOWN_OFFSET,
                sub_frames=sub_frames,
            )
        )
    id3.save(mp3, v2_version=3)


def _cover(path: Path) -> APIC:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AudioError(
            f"cannot read the cover image {path}: {exc.strerror}",
            "fix [audio] cover (a JPEG or PNG file) or remove it",
        ) from None
    mime = mimetypes.guess_type(path.name)[0] or ""
    if mime not in ("image/jpeg", "image/png"):
        raise AudioError(
            f"the cover image {path.name} is not a JPEG or PNG", "use a .jpg or .png file"
        )
    return APIC(encoding=3, mime=mime, type=3, desc="Cover", data=data)


def mp3_length(mp3: Path) -> float:
    """The MP3's duration in seconds as a player computes it (Xing header or frame count)."""
    try:
        info: Any = MP3(mp3).info
    except (HeaderNotFoundError, OSError) as exc:
        raise AudioError(f"the encoded MP3 is unreadable: {exc}") from None
    return float(info.length)
