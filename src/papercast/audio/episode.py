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
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from papercast.audio.assemble import ChapterAudio, Timeline, assemble
from papercast.audio.cache import SegmentCache, segment_key
from papercast.audio.chapters import Chapter, chapters_json
from papercast.audio.dialogue import DialogueReport, write_dialogue
from papercast.audio.encode import encode_mp3
from papercast.audio.engines import TTSEngine, create_engine
from papercast.audio.ffmpeg import wav_to_segment
from papercast.audio.guards import check_episode, check_segment
from papercast.audio.script import Script, ScriptChapter, build_script
from papercast.audio.spoken import to_spoken, word_count
from papercast.audio.tags import EpisodeTags, mp3_length, write_tags
from papercast.audio.transcript import TEXT_NAME, VTT_NAME, SegmentSpan, cues, to_text, to_vtt
from papercast.audio.voices import VoiceUnavailableError
from papercast.audio.wav import pcm_to_wav
from papercast.config import Settings, derive
from papercast.errors import AudioError, storage_error
from papercast.i18n import get_language
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
    transcript_path: Path | None = Field(default=None, description="episode.vtt")
    transcript_text_path: Path | None = Field(default=None, description="episode.txt")
    duration_seconds: float
    chapters: list[Chapter]
    segments_synthesized: int = 0
    segments_cached: int = 0
    engine: str
    voice: str
    voices: list[str] = Field(default_factory=list, description="one per host in a dialogue")
    hosts: list[str] = Field(default_factory=list)
    words: int = 0
    highlights_read: list[str] = Field(default_factory=list)
    highlights_dropped: list[str] = Field(default_factory=list)
    loudness_lufs: float | None = None
    build_seconds: float = 0.0
    style: str = "narration"
    dialogue: DialogueReport | None = None
    notice: str | None = Field(default=None, description="why the style asked for is not used")

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
    folder = layout.issue_dir(issue.id).resolve()

    def stored(path: Path | None) -> str | None:
        if path is None:
            return None
        path = path.resolve()
        return path.name if path.parent == folder else str(path)

    return issue.model_copy(
        update={
            "audio_duration_seconds": round(episode.duration_seconds, 2),
            "audio_file": stored(episode.mp3_path),
            "transcript_file": stored(episode.transcript_path),
        }
    )


@dataclass
class _Segments:
    wavs: dict[tuple[int, str], bytes]
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
    engines: list[TTSEngine] | None = None,
    run_id: int | None = None,
    llm: Any | None = None,
    max_cost: float | None = None,
) -> Episode:
    """Read the issue's highlights aloud into ``out_dir/episode.mp3`` + ``chapters.json``, with
    its transcript (``episode.vtt``, ``episode.txt``).

    ``engine`` overrides the one named in ``[audio] engine`` (tests, custom engines);
    ``engines``, the two voices of a dialogue (``[audio] voices``); ``llm``, the backend that
    writes it; ``max_cost``, what writing it may spend (USD; default ``[llm] max_cost``: a run
    passes what its summaries left of it). Raises AudioError (and leaves any earlier episode.mp3 untouched) if synthesis,
    the guard rails or the encode fail; segments synthesized before the failure stay cached.
    """
    audio = settings.audio
    pause = audio.paragraph_pause_ms / 1000
    dialogue: DialogueReport | None = None
    notice: str | None = None
    voices: list[TTSEngine] | None = None
    if audio.style == "dialogue":
        pair, notice = (engines, None) if engines else voice_engines(settings, engine)
        written = write_dialogue(  # the voices are checked first: a missing one is an error
            issue,
            settings,
            layout,
            db=db,
            run_id=run_id,
            voice=pair[0].voice,
            backend=llm,
            max_cost=max_cost,
        )
        if isinstance(written, str):
            notice, engine = written, pair[0]
            logger.warning("%s", notice)
            script = build_script(issue, settings, pause_seconds=pause)
        else:
            script, dialogue = written
            dialogue.voices = [v.voice for v in pair]
            voices = pair
    else:
        script = build_script(issue, settings, pause_seconds=pause)
    tags = EpisodeTags(
        title=issue.title,
        show=settings.podcast.title or settings.issue.show_name,
        author=settings.podcast.author,
        day=issue.date,
        comment=issue.transparency,
        cover=audio.cover,
        language=settings.issue.language,
        toc_title=get_language(settings.issue.language).gettext("Chapters"),
    )
    episode = produce(
        script,
        tags,
        settings=settings,
        layout=layout,
        db=db,
        mp3_path=out_dir / MP3_NAME,
        chapters_path=out_dir / CHAPTERS_NAME,
        transcript_dir=out_dir,
        issue_id=issue.id,
        engine=engine,
        engines=voices,
    )
    if dialogue is not None:
        dialogue.actual_minutes = round(episode.duration_seconds / 60, 2)
        logger.info(
            "dialogue episode: planned %.1f minutes, %.1f by its words, %.1f spoken",
            dialogue.planned_minutes,
            dialogue.script_minutes,
            dialogue.actual_minutes,
        )
    episode = episode.model_copy(
        update={
            "style": "dialogue" if dialogue else "narration",
            "dialogue": dialogue,
            "notice": notice,
        }
    )
    minutes = episode.duration_seconds / 60
    if minutes > audio.max_minutes:
        logger.warning(
            "the episode runs %s, over [audio] max_minutes=%g", episode.duration, audio.max_minutes
        )
    return episode


def voice_engines(
    settings: Settings, engine: TTSEngine | None = None
) -> tuple[list[TTSEngine], str | None]:
    """A dialogue's two voices (``[audio] voices``), each an engine of ``[audio] engine`` with
    its own voice; without ``voices``, both hosts share one voice, and the notice says so.

    One voice missing: a voice that cannot be downloaded now (offline) leaves both hosts to
    the other voice for this episode, with a notice naming it (a rerun once it can be had
    speaks with both); any other problem with a voice (a name the repository does not have,
    another language, a broken file) is an error, as is neither voice being there."""
    audio = settings.audio
    if not audio.voices:
        single = engine or create_engine(settings)
        notice = (
            f"both hosts are read by one voice ({single.voice}): set [audio] voices to two "
            "voices to tell them apart"
        )
        logger.warning("%s", notice)
        return [single, single], notice
    engines: list[TTSEngine] = []
    missing: list[VoiceUnavailableError] = []
    for name in audio.voices:
        try:
            engines.append(
                create_engine(derive(settings, {"audio": {"voice": name, "voice_config": None}}))
            )
        except VoiceUnavailableError as exc:
            missing.append(exc)
    if not missing:
        return engines, None
    error = missing[0]
    if not engines:
        raise error
    single = engines[0]
    notice = (
        f"one voice missing: {error.message}; both hosts are read by {single.voice} in this "
        f"episode ({error.hint or 'run again once it can be downloaded'})"
    )
    logger.warning("%s", notice)
    return [single, single], notice


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
    english = get_language(settings.issue.language).is_english
    paragraphs = [to_spoken(p, english=english) for p in text.split("\n\n")]
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
        language=settings.issue.language,
        toc_title=get_language(settings.issue.language).gettext("Chapters"),
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
    transcript_dir: Path | None = None,
    issue_id: str | None = None,
    engine: TTSEngine | None = None,
    engines: list[TTSEngine] | None = None,
) -> Episode:
    """Synthesize (or reuse) every segment of ``script`` and write the episode's files.

    ``engines`` are the voices of a dialogue, one per host (``script.hosts``); a narration
    uses ``engine`` (default: the one ``[audio] engine`` names). With ``transcript_dir``,
    ``episode.vtt`` and ``episode.txt`` are written there too.
    """
    started = time.perf_counter()
    audio = settings.audio
    voices = engines or [engine or create_engine(settings)]
    needed = max((len(script.hosts), 1))
    if len(voices) < needed:
        raise AudioError(
            f"the script has {needed} hosts but only {len(voices)} voices were given",
            "set [audio] voices to one voice per host",
        )
    files = _Files(mp3_path, chapters_path, transcript_dir)
    fingerprint = _fingerprint(script, voices, settings, tags)
    reused = _reuse(layout, fingerprint, files) if audio.cache else None
    if reused is not None:
        logger.info("episode %s is up to date (same script, voice and settings)", mp3_path)
        earlier = reused.episode
        return earlier.model_copy(
            update={
                "mp3_path": mp3_path,
                "chapters_path": chapters_path,
                "transcript_path": files.vtt,
                "transcript_text_path": files.txt,
                "segments_synthesized": 0,
                "segments_cached": earlier.segments_synthesized + earlier.segments_cached,
                "build_seconds": 0.0,
            }
        )
    segments = _synthesize(script, voices, settings, layout, db, issue_id)
    chapters = [
        ChapterAudio(
            title=c.title,
            url=c.url,
            segments=[
                wav_to_segment(segments.wavs[(c.speaker(i), p)]) for i, p in enumerate(c.paragraphs)
            ],
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
    loudness = _write(timeline, script, tags, settings, files)
    episode = Episode(
        mp3_path=mp3_path,
        chapters_path=chapters_path,
        transcript_path=files.vtt,
        transcript_text_path=files.txt,
        duration_seconds=timeline.duration_seconds,
        chapters=timeline.chapters,
        segments_synthesized=segments.synthesized,
        segments_cached=segments.cached,
        engine=voices[0].name,
        voice=voices[0].voice,
        voices=[v.voice for v in voices[:needed]] if script.hosts else [],
        hosts=script.hosts,
        words=script.words,
        highlights_read=script.kept,
        highlights_dropped=script.dropped,
        loudness_lufs=loudness,
        build_seconds=round(time.perf_counter() - started, 2),
    )
    _remember(layout, fingerprint, files, episode)
    logger.info(
        "episode %s: %s, %d chapters, %d segments synthesized, %d from cache",
        mp3_path,
        episode.duration,
        len(episode.chapters),
        episode.segments_synthesized,
        episode.segments_cached,
    )
    return episode


@dataclass(frozen=True)
class _Files:
    """Where an episode's files go (chapters and transcript are optional)."""

    mp3: Path
    chapters: Path | None
    transcript_dir: Path | None

    @property
    def vtt(self) -> Path | None:
        return self.transcript_dir / VTT_NAME if self.transcript_dir else None

    @property
    def txt(self) -> Path | None:
        return self.transcript_dir / TEXT_NAME if self.transcript_dir else None

    def hashes(self) -> dict[str, str | None]:
        """What each written file holds now (None: absent, or not written by this episode)."""
        paths = {"mp3": self.mp3, "chapters": self.chapters, "vtt": self.vtt, "txt": self.txt}
        return {name: _sha256(path) if path else None for name, path in paths.items()}


class _Built(BaseModel):
    """An earlier build from the same inputs and the hashes of the files it wrote."""

    model_config = ConfigDict(extra="forbid")

    files: dict[str, str | None]
    episode: Episode


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _fingerprint(
    script: Script, engines: list[TTSEngine], settings: Settings, tags: EpisodeTags
) -> str:
    """Everything that decides the episode's bytes: script, voices, audio settings, tags, files."""
    digest = hashlib.sha256()
    identities = [e.identity() for e in engines[: max(len(script.hosts), 1)]]
    for part in (
        script.model_dump_json(),
        json.dumps(identities if script.hosts else identities[0], sort_keys=True, default=str),
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


def _reuse(layout: Layout, fingerprint: str, files: _Files) -> _Built | None:
    """The earlier build's facts, if its files are still exactly what it wrote."""
    record = _build_record(layout, fingerprint)
    try:
        built = _Built.model_validate_json(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    now = files.hashes()
    if now["mp3"] is None or now != built.files:
        return None
    return built


def _remember(layout: Layout, fingerprint: str, files: _Files, episode: Episode) -> None:
    hashes = files.hashes()
    if hashes["mp3"] is None:
        return
    built = _Built(files=hashes, episode=episode)
    write_cache_bytes(_build_record(layout, fingerprint), built.model_dump_json().encode("utf-8"))


def _synthesize(
    script: Script,
    engines: list[TTSEngine],
    settings: Settings,
    layout: Layout,
    db: Database | None,
    issue_id: str | None,
) -> _Segments:
    """Every segment's WAV, by (voice, text): from the cache, else from that voice's engine
    (and then cached). A dialogue's turns are cached one by one, like paragraphs."""
    cache = SegmentCache(layout.tts_cache, enabled=settings.audio.cache)
    wanted = list(
        dict.fromkeys(
            (c.speaker(i), p) for c in script.chapters for i, p in enumerate(c.paragraphs)
        )
    )
    wavs: dict[tuple[int, str], bytes] = {}
    missing: dict[int, list[str]] = {}
    for voice, text in wanted:
        cached = cache.get(segment_key(text, engines[voice].identity()))
        if cached is None:
            missing.setdefault(voice, []).append(text)
        else:
            wavs[(voice, text)] = cached
    calls = TTSCallStore(db) if db is not None else None
    errors: list[str] = []
    count = sum(len(texts) for texts in missing.values())
    for voice, texts in sorted(missing.items()):
        engine = engines[voice]
        identity = engine.identity()
        logger.info(
            "synthesizing %d segments with %s (%s); %d cached in all",
            len(texts),
            engine.name,
            engine.voice,
            len(wanted) - count,
        )
        results = engine.synthesize(texts)
        try:
            for result in results:
                text = texts[result.index]
                for number, call in enumerate(result.calls):
                    if calls is not None:  # the words once per text, however many calls
                        said = word_count(text) if number == 0 and call.status == "ok" else 0
                        calls.record(call, issue_id=issue_id, words=said)
                problem = result.error
                if result.wav is not None and problem is None:
                    segment = wav_to_segment(result.wav)
                    problem = check_segment(segment, text, settings.audio.speaking_rate)
                if problem is not None:
                    errors.append(f"{problem} (for {text[:50]!r})")
                    continue
                assert result.wav is not None
                cache.put(segment_key(text, identity), result.wav)
                wavs[(voice, text)] = result.wav
        finally:
            # an exception here (Ctrl-C, SIGTERM) stops the engine's workers now, not whenever
            # the suspended generator happens to be collected
            close = getattr(results, "close", None)
            if close is not None:
                close()
    if errors:
        raise AudioError(
            f"{len(errors)} of {count} segments could not be synthesized; first: {errors[0]}",
            "the segments that worked are cached; fix the cause and rerun to finish",
        )
    return _Segments(wavs=wavs, synthesized=count, cached=len(wanted) - count)


def segment_spans(script: Script, timeline: Timeline) -> list[SegmentSpan]:
    """Each spoken segment with its place in the timeline and its speaker (in a dialogue)."""
    spans: list[SegmentSpan] = []
    for number, (chapter, placed) in enumerate(
        zip(script.chapters, timeline.segments, strict=True)
    ):
        for index, (text, (start, end)) in enumerate(zip(chapter.paragraphs, placed, strict=True)):
            speaker = script.hosts[chapter.speaker(index)] if script.hosts else None
            spans.append(
                SegmentSpan(
                    chapter=number,
                    text=text,
                    speaker=speaker,
                    start_seconds=start,
                    end_seconds=end,
                )
            )
    return spans


def _write(
    timeline: Timeline, script: Script, tags: EpisodeTags, settings: Settings, files: _Files
) -> float | None:
    """Encode, tag and verify in a temp folder beside the target; then move into place."""
    try:
        return _encode_into_place(timeline, script, tags, settings, files)
    except OSError as exc:  # a full disk or a read-only out dir
        raise storage_error(exc, files.mp3.parent) from None


def _encode_into_place(
    timeline: Timeline, script: Script, tags: EpisodeTags, settings: Settings, files: _Files
) -> float | None:
    audio = settings.audio
    mp3_path, chapters_path = files.mp3, files.chapters
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
        if files.vtt is not None and files.txt is not None:
            spans = segment_spans(script, timeline)
            atomic_write_text(Path(work) / VTT_NAME, to_vtt(cues(spans)))
            titles = [c.title for c in timeline.chapters]
            atomic_write_text(Path(work) / TEXT_NAME, to_text(spans, titles, title=tags.title))
        os.replace(encoded, mp3_path)
        if chapters_path is not None:
            os.replace(Path(work) / CHAPTERS_NAME, chapters_path)
        if files.vtt is not None and files.txt is not None:
            os.replace(Path(work) / VTT_NAME, files.vtt)
            os.replace(Path(work) / TEXT_NAME, files.txt)
    return report.output_lufs


def _verify(mp3: Path, expected_seconds: float) -> None:
    length = mp3_length(mp3)
    if abs(length - expected_seconds) > _LENGTH_TOLERANCE_SECONDS:
        raise AudioError(
            f"the encoded MP3 lasts {length:.1f} s but the audio was {expected_seconds:.1f} s",
            "the encode failed; rerun (segments are cached), or report the bug",
        )
