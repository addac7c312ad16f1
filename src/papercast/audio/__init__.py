"""The audio stage: an Issue read aloud as one podcast episode (MP3 + chapters).

``build_episode(issue, settings=..., layout=..., db=..., out_dir=...)`` is the entry point;
``speak(text, ...)`` reads any text. See docs/audio.md.
"""

from papercast.audio.chapters import Chapter
from papercast.audio.episode import (
    CHAPTERS_NAME,
    MP3_NAME,
    Episode,
    build_episode,
    speak,
    with_episode,
)

__all__ = [
    "CHAPTERS_NAME",
    "MP3_NAME",
    "Chapter",
    "Episode",
    "build_episode",
    "speak",
    "with_episode",
]
