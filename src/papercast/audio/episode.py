"""The episode: script -> cached/synthesized segments -> timeline -> loud-normalized MP3 with
ID3 tags and chapters, plus chapters.json. Nothing half-made is ever left at the target path.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from papercast.audio.assemble import ChapterAudio, Timeline, assemble
from papercast.audio.cache import SegmentCache, segment_key
from papercast.audio.chapters import Chapter, chapters_json
from papercast.audio.encode import encode_mp3
from papercast.audio.engines import TTSEngine, create_engine
from papercast.audio.ffmpeg import wav_to_segment
from papercast.audio.guards import check_episode, check_segment
from papercast.audio.script import Script, ScriptChapter, build_script
from papercast.audio.spoken import to_spoken
from papercast.audio.tags import EpisodeTags, mp3_length, write_tags
from papercast.audio.wav import pcm_to_wav
from papercast.config import Settings
from papercast.errors import AudioError, storage_error
from papercast.layout import Layout, atomic_write_text, write_cache_bytes
from papercast.models import Issue
from papercast.store.db import Database
from papercast.store.tts import TTSCallStore

logger = logging.getLogger(__name__)

MP3_NAME = "episode.mp3"
CHAPTERS_NAME = "chapters.json"
# How far the encoded MP3's length may drift from the assembled audio before we call the
# encode broken (MP3 frames round it up by at most ~26 ms; a truncated file is far off).
_LENGTH_TOLERANCE_SECONDS = 1.0


class Episode(BaseModel):
    """What build_episode produced: where the files are and what is in them."""

    model_config = ConfigDict(extra="forbid")

    mp3_path: Path
    chapters_path: Path | None = None
    duration_seconds: float
    chapters: list[Chapter]
    segments_synthesized: int = 0
    segments_cached: int = 0
    engine: str
    voice: str
    words: int = 0
    highlights_read: list[str] = Field(default_factory=list)
    highlights_dropped: list[str] = Field(default_factory=list)
    loudness_lufs: float | None = None
    build_seconds: float = 0.0

    @property
    def duration(self) -> str:
        """'16:39' (or '1:02:03')."""
        total = round(self.duration_seconds)
        hours, rest = divmod(total, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def with_episode(issue: Issue, episode: Episode, layout: Layout) -> Issue:
    """``issue`` with its episode's length and file, stored the way the feed and the site find
    it: the file name when the episode is in the issue's folder, else its absolute path."""
    mp3 = episode.mp3_path.resolve()
    in_folder = mp3.parent == layout.issue_dir(issue.id).resolve()
    return issue.model_copy(
        update={
            "audio_duration_seconds": round(episode.duration_seconds, 2),
            "audio_file": mp3.name if in_folder else str(mp3),
        }
    )


@dataclass
class _Segments:
    wavs: dict[str, bytes]
    synthesized: int
    cached: int


def build_episode(
    issue: Issue,
    *,
    settings: Settings,
    layout: Layout,
    db: Database | None = None,
    out_dir: Path,
    engine: TTSEngine | None = None,
) -> Episode:
    """Read the issue's highlights aloud into ``out_dir/episode.mp3`` + ``chapters.json``.

    ``engine`` overrides the one named in ``[audio] engine`` (tests, custom engines).
    Raises AudioError (and leaves any earlier episode.mp3 untouched) if synthesis, the guard
    rails or the encode fail; segments synthesized before the failure stay cached.
    """
    audio = settings.audio
    script = build_script(issue, settings, pause_seconds=audio.paragraph_pause_ms / 1000)
    tags = EpisodeTags(
        title=issue.title,
        show=settings.podcast.title or settings.issue.show_name,
        author=settings.podcast.author,
        day=issue.date,
        comment=issue.transparency,
        cover=audio.cover,
    )
    episode = produce(
        script,
        tags,
        settings=settings,
        layout=layout,
        db=db,
        mp3_path=out_dir / MP3_NAME,
        chapters_path=out_dir / CHAPTERS_NAME,
        issue_id=issue.id,
        engine=engine,
    )
    minutes = episode.duration_seconds / 60
    if minutes > audio.max_minutes:
        logger.warning(
            "the episode runs %s, over [audio] max_minutes=%g", episode.duration, audio.max_minutes
        )
    return episode


def speak(
    text: str,
    *,
    settings: Settings,
    layout: Layout,
    db: Database | None = None,
    out: Path,
    title: str | None = None,
    engine: TTSEngine | None = None,
) -> Episode:
    """Read any text aloud into one MP3 (paragraphs are blank-line separated)."""
    paragraphs = [to_spoken(p) for p in text.split("\n\n")]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        raise AudioError("there is no text to speak", "give some words, or a file that has some")
    label = title or " ".join(paragraphs[0].split()[:8])
    script = Script(chapters=[ScriptChapter(title=label, paragraphs=paragraphs)])
    tags = EpisodeTags(
        title=label,
        show=settings.podcast.title or settings.issue.show_name,
        author=settings.podcast.author,
        day=date.today(),
    )
    return produce(
        script, tags, settings=settings, layout=layout, db=db, mp3_path=out, engine=engine
    )


def produce(
    script: Script,
    tags: EpisodeTags,
    *,
    settings: Settings,
    layout: Layout,
    db: Database | None,
    mp3_path: Path,
    chapters_path: Path | None = None,
    issue_id: str | None = None,
    engine: TTSEngine | None = None,
) -> Episode:
    started = time.perf_counter()
    audio = settings.audio
    engine = engine or create_engine(settings)
    fingerprint = _fingerprint(script, engine, settings, tags)
    reused = _reuse(layout, fingerprint, mp3_path, chapters_path) if audio.cache else None
    if reused is not None:
        logger.info("episode %s is up to date (same script, voice and settings)", mp3_path)
        earlier = reused.episode
        return earlier.model_copy(
            update={
                "mp3_path": mp3_path,
                "chapters_path": chapters_path,
                "segments_synthesized": 0,
                "segments_cached": earlier.segments_synthesized + earlier.segments_cached,
                "build_seconds": 0.0,
            }
        )
    segments = _synthesize(script, engine, settings, layout, db, issue_id)
    chapters = [
        ChapterAudio(
            title=c.title,
            url=c.url,
            segments=[wav_to_segment(segments.wavs[p]) for p in c.paragraphs],
        )
        for c in script.chapters
    ]
    timeline = assemble(
        chapters,
        paragraph_pause_ms=audio.paragraph_pause_ms,
        chapter_pause_ms=audio.chapter_pause_ms,
        music=audio.music,
        music_gain_db=audio.music_gain_db,
    )
    check_episode(timeline.audio, script.words, audio.speaking_rate)
    loudness = _write(timeline, tags, settings, mp3_path, chapters_path)
    episode = Episode(
        mp3_path=mp3_path,
        chapters_path=chapters_path,
        duration_seconds=timeline.duration_seconds,
        chapters=timeline.chapters,
        segments_synthesized=segments.synthesized,
        segments_cached=segments.cached,
        engine=engine.name,
        voice=engine.voice,
        words=script.words,
        highlights_read=script.kept,
        highlights_dropped=script.dropped,
        loudness_lufs=loudness,
        build_seconds=round(time.perf_counter() - started, 2),
    )
    _remember(layout, fingerprint, episode)
    logger.info(
        "episode %s: %s, %d chapters, %d segments synthesized, %d from cache",
        mp3_path,
        episode.duration,
        len(episode.chapters),
        episode.segments_synthesized,
        episode.segments_cached,
    )
    return episode


class _Built(BaseModel):
    """An earlier build from the same inputs and the hashes of the files it wrote."""

    model_config = ConfigDict(extra="forbid")

    mp3_sha256: str
    chapters_sha256: str | None
    episode: Episode


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _fingerprint(script: Script, engine: TTSEngine, settings: Settings, tags: EpisodeTags) -> str:
    """Everything that decides the episode's bytes: script, voice, audio settings, tags, files."""
    digest = hashlib.sha256()
    for part in (
        script.model_dump_json(),
        json.dumps(engine.identity(), sort_keys=True, default=str),
        settings.audio.model_dump_json(exclude={"workers", "cache"}),
        tags.model_dump_json(),
        str(_sha256(settings.audio.music) if settings.audio.music else None),
        str(_sha256(tags.cover) if tags.cover else None),
    ):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _build_record(layout: Layout, fingerprint: str) -> Path:
    return layout.tts_cache / "episodes" / f"{fingerprint}.json"


def _reuse(
    layout: Layout, fingerprint: str, mp3: Path, chapters_path: Path | None
) -> _Built | None:
    """The earlier build's facts, if its files are still exactly what it wrote."""
    record = _build_record(layout, fingerprint)
    try:
        built = _Built.model_validate_json(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if _sha256(mp3) != built.mp3_sha256:
        return None
    if chapters_path is not None and _sha256(chapters_path) != built.chapters_sha256:
        return None
    return built


def _remember(layout: Layout, fingerprint: str, episode: Episode) -> None:
    mp3_sha = _sha256(episode.mp3_path)
    if mp3_sha is None:
        return
    built = _Built(
        mp3_sha256=mp3_sha,
        chapters_sha256=_sha256(episode.chapters_path) if episode.chapters_path else None,
        episode=episode,
    )
    write_cache_bytes(_build_record(layout, fingerprint), built.model_dump_json().encode("utf-8"))


def _synthesize(
    script: Script,
    engine: TTSEngine,
    settings: Settings,
    layout: Layout,
    db: Database | None,
    issue_id: str | None,
) -> _Segments:
    """Every paragraph's WAV: from the cache, else from the engine (and then cached)."""
    cache = SegmentCache(layout.tts_cache, enabled=settings.audio.cache)
    identity = engine.identity()
    texts = list(dict.fromkeys(p for c in script.chapters for p in c.paragraphs))
    wavs: dict[str, bytes] = {}
    missing: list[str] = []
    for text in texts:
        cached = cache.get(segment_key(text, identity))
        if cached is None:
            missing.append(text)
        else:
            wavs[text] = cached
    if missing:
        logger.info(
            "synthesizing %d segments with %s (%s); %d cached",
            len(missing),
            engine.name,
            engine.voice,
            len(wavs),
        )
    calls = TTSCallStore(db) if db is not None else None
    errors: list[str] = []
    results = engine.synthesize(missing) if missing else iter(())
    try:
        for result in results:
            text = missing[result.index]
            for call in result.calls:
                if calls is not None:
                    calls.record(call, issue_id=issue_id)
            problem = result.error
            if result.wav is not None and problem is None:
                segment = wav_to_segment(result.wav)
                problem = check_segment(segment, text, settings.audio.speaking_rate)
            if problem is not None:
                errors.append(f"{problem} (for {text[:50]!r})")
                continue
            assert result.wav is not None
            cache.put(segment_key(text, identity), result.wav)
            wavs[text] = result.wav
    finally:
        # an exception here (Ctrl-C, SIGTERM) stops the engine's workers now, not whenever
        # the suspended generator happens to be collected
        close = getattr(results, "close", None)
        if close is not None:
            close()
    if errors:
        raise AudioError(
            f"{len(errors)} of {len(missing)} segments could not be synthesized; first: {errors[0]}",
            "the segments that worked are cached; fix the cause and rerun to finish",
        )
    return _Segments(wavs=wavs, synthesized=len(missing), cached=len(texts) - len(missing))


def _write(
    timeline: Timeline,
    tags: EpisodeTags,
    settings: Settings,
    mp3_path: Path,
    chapters_path: Path | None,
) -> float | None:
    """Encode, tag and verify in a temp folder beside the target; then move into place."""
    try:
        return _encode_into_place(timeline, tags, settings, mp3_path, chapters_path)
    except OSError as exc:  # a full disk or a read-only out dir
        raise storage_error(exc, mp3_path.parent) from None


def _encode_into_place(
    timeline: Timeline,
    tags: EpisodeTags,
    settings: Settings,
    mp3_path: Path,
    chapters_path: Path | None,
) -> float | None:
    audio = settings.audio
    mp3_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=mp3_path.parent, prefix=".episode-") as work:
        wav = Path(work) / "episode.wav"
        segment = timeline.audio
        wav.write_bytes(pcm_to_wav(segment.raw_data, segment.frame_rate))
        encoded = Path(work) / "episode.mp3"
        report = encode_mp3(
            wav,
            encoded,
            target_lufs=audio.loudness_lufs,
            true_peak_db=audio.true_peak_db,
            bitrate=audio.bitrate,
            sample_rate=audio.sample_rate,
        )
        duration_ms = round(timeline.duration_seconds * 1000)
        write_tags(encoded, tags, timeline.chapters, duration_ms)
        _verify(encoded, timeline.duration_seconds)
        if chapters_path is not None:
            atomic_write_text(
                Path(work) / CHAPTERS_NAME, chapters_json(timeline.chapters, title=tags.title)
            )
        os.replace(encoded, mp3_path)
        if chapters_path is not None:
            os.replace(Path(work) / CHAPTERS_NAME, chapters_path)
    return report.output_lufs


def _verify(mp3: Path, expected_seconds: float) -> None:
    length = mp3_length(mp3)
    if abs(length - expected_seconds) > _LENGTH_TOLERANCE_SECONDS:
        raise AudioError(
            f"the encoded MP3 lasts {length:.1f} s but the audio was {expected_seconds:.1f} s",
            "the encode failed; rerun (segments are cached), or report the bug",
        )
