"""The episode's transcript: ``episode.vtt`` (WebVTT) and ``episode.txt``, from what was said.

Cue times come from the assembled timeline: each synthesized segment (a narration paragraph or
a dialogue turn) starts and ends exactly where its audio does. A long segment is cut into
sentence cues (a sentence shorter than a few words joins the next), placed inside the segment
in proportion to their length, so a player can follow along line by line. In a dialogue every
cue carries a voice tag naming its host (``<v Ada>``).

The WebVTT is written here rather than by a library: the format we need is a header and
timed cues, and the one thing that matters (escaping ``&``, ``<`` and ``>`` in text and voice
names, no blank line or ``-->`` in a cue) is what webvtt-py's writer refuses to do for us. The
tests parse every transcript with webvtt-py.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from papercast.audio.spoken import CJK_SENTENCE_END, join, word_count
from papercast.text import display_width, wrap

VTT_NAME = "episode.vtt"
TEXT_NAME = "episode.txt"
VTT_TYPE = "text/vtt"
TEXT_TYPE = "text/plain"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|" + CJK_SENTENCE_END)
_MIN_CUE_WORDS = 5
_MAX_CUE_COLUMNS = 220  # a Chinese or Japanese character takes two


class SegmentSpan(BaseModel):
    """Where one synthesized segment sits in the episode, and what it said (and who)."""

    model_config = ConfigDict(extra="forbid")

    chapter: int = Field(ge=0)
    text: str
    speaker: str | None = None
    start_seconds: float = Field(ge=0)
    end_seconds: float = Field(ge=0)


class Cue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_seconds: float
    end_seconds: float
    text: str
    speaker: str | None = None


def _pieces(text: str) -> list[str]:
    """A segment's text as cue-sized pieces: sentences, short ones joined to the next, long
    ones cut where a line may break (between words, or between CJK characters)."""
    sentences = [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]
    pieces: list[str] = []
    pending = ""
    for sentence in sentences:
        joined = join(pending, sentence)
        if word_count(joined) < _MIN_CUE_WORDS:
            pending = joined
            continue
        pending = ""
        if display_width(joined) > _MAX_CUE_COLUMNS:
            pieces += wrap(joined, width=_MAX_CUE_COLUMNS - 1).splitlines()
        else:
            pieces.append(joined)
    if pending:
        if pieces and display_width(pieces[-1]) + display_width(pending) < _MAX_CUE_COLUMNS:
            pieces[-1] = join(pieces[-1], pending)
        else:
            pieces.append(pending)
    return pieces


def cues(spans: list[SegmentSpan]) -> list[Cue]:
    """Cues for every segment, in order: segment bounds exact, sentences inside by length."""
    result: list[Cue] = []
    for span in spans:
        pieces = _pieces(span.text)
        total = sum(display_width(p) for p in pieces) or 1
        length = span.end_seconds - span.start_seconds
        at = span.start_seconds
        for index, piece in enumerate(pieces):
            share = display_width(piece) / total
            end = span.end_seconds if index == len(pieces) - 1 else at + length * share
            result.append(Cue(start_seconds=at, end_seconds=end, text=piece, speaker=span.speaker))
            at = end
    return result


def timestamp(seconds: float) -> str:
    """WebVTT's ``hh:mm:ss.ttt``."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _escape(text: str) -> str:
    flat = " ".join(text.split())
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(items: list[Cue]) -> str:
    """A WebVTT document: the header, then one numbered cue per item."""
    lines = ["WEBVTT", ""]
    for number, cue in enumerate(items, start=1):
        text = _escape(cue.text)
        if cue.speaker:
            text = f"<v {_escape(cue.speaker)}>{text}"
        lines += [
            str(number),
            f"{timestamp(cue.start_seconds)} --> {timestamp(cue.end_seconds)}",
            text,
            "",
        ]
    return "\n".join(lines)


def _clock(seconds: float) -> str:
    total = int(seconds + 0.0005)  # a timestamp: the second it is in
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def to_text(spans: list[SegmentSpan], chapter_titles: list[str], *, title: str) -> str:
    """The transcript to read: chapter headings with their start time, one paragraph per
    segment, "Name: ..." before each turn in a dialogue."""
    lines = [" ".join(title.split()), ""]
    current = -1
    for span in spans:
        if span.chapter != current:
            current = span.chapter
            heading = chapter_titles[current] if current < len(chapter_titles) else ""
            lines += [f"[{_clock(span.start_seconds)}] {' '.join(heading.split())}", ""]
        said = " ".join(span.text.split())
        lines += [f"{span.speaker}: {said}" if span.speaker else said, ""]
    return "\n".join(lines)
