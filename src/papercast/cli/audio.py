"""`papercast audio` (an issue's podcast episode) and `papercast speak` (read any text)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from papercast.cli.app import app
from papercast.cli.console import out as console
from papercast.cli.state import AppState, get_state, output_dir, output_file
from papercast.config import Settings, derive
from papercast.errors import InputError

if TYPE_CHECKING:
    from papercast.audio import Episode


EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine", "-e", help="piper, openai or a plugin's engine (default: \\[audio] engine)."
    ),
]
VoiceOption = Annotated[
    str | None,
    typer.Option(
        "--voice",
        help="Piper: a voice name (de_DE-thorsten-medium, downloaded once) or a .onnx path; "
        "OpenAI: a voice name.",
    ),
]
RateOption = Annotated[
    float | None, typer.Option("--rate", help="Speaking rate, 1.0 = normal (0.5-2 sensible).")
]
NoCacheOption = Annotated[
    bool, typer.Option("--no-cache", help="Synthesize everything again (cache not read).")
]


def _settings(
    state: AppState,
    engine: str | None,
    voice: str | None,
    rate: float | None,
    no_cache: bool,
    **more: Any,
) -> Settings:
    """Settings with the [audio] keys given on the command line (validated)."""
    given = {"engine": engine, "voice": voice, "speaking_rate": rate, **more}
    wanted = {k: v for k, v in given.items() if v is not None}
    if no_cache:
        wanted["cache"] = False
    return derive(state.settings(), {"audio": wanted}) if wanted else state.settings()


def _report(episode: Episode) -> None:
    console.print(f"Wrote {episode.mp3_path} ({episode.duration})")
    if episode.chapters_path is not None:
        console.print(f"      {episode.chapters_path}")
    if episode.transcript_path is not None and episode.transcript_text_path is not None:
        console.print(f"      {episode.transcript_path}, {episode.transcript_text_path}")
    if episode.notice:
        console.print(f"Note: {episode.notice}")
    for chapter in episode.chapters:
        minutes, seconds = divmod(round(chapter.start_seconds), 60)
        console.print(f"  {minutes:>3}:{seconds:02d}  {chapter.title}")
    loudness = f", {episode.loudness_lufs:.1f} LUFS" if episode.loudness_lufs is not None else ""
    console.print(
        f"{episode.segments_synthesized} segment(s) synthesized, "
        f"{episode.segments_cached} from cache; {episode.engine} ({episode.voice}){loudness}"
    )
    if episode.highlights_dropped:
        console.print(
            f"Left out to fit [audio] max_minutes: {', '.join(episode.highlights_dropped)}"
        )
    talk = episode.dialogue
    if talk is not None:
        actual = f"{talk.actual_minutes:.1f}" if talk.actual_minutes is not None else "?"
        console.print(
            f"Dialogue between {' and '.join(talk.hosts)} ({', '.join(talk.voices)}): planned "
            f"{talk.planned_minutes:.1f} min at {talk.words_per_minute:g} words/min "
            f"({'measured' if talk.rate_measured else 'default'}), {actual} min spoken; "
            f"{talk.llm_requests} LLM request(s), {talk.from_cache} segment(s) from cache"
        )
        for paper_id, why in talk.narrated.items():
            console.print(f"  narrated instead: {paper_id}: {why}")


@app.command()
def audio(
    ctx: typer.Context,
    issue_id: Annotated[
        str, typer.Argument(help="Issue id (ISO week, e.g. 2024-W41) or 'latest'.")
    ] = "latest",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder (default: the issue's folder).")
    ] = None,
    engine: EngineOption = None,
    voice: VoiceOption = None,
    rate: RateOption = None,
    max_minutes: Annotated[
        float | None,
        typer.Option("--max-minutes", help="Leave out the least significant highlights past this."),
    ] = None,
    style: Annotated[
        str | None,
        typer.Option(
            "--style", help="narration (one voice) or dialogue (two hosts; needs an LLM)."
        ),
    ] = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Read a stored issue's highlights aloud: episode.mp3 with chapters, chapters.json and
    the transcript (episode.vtt, episode.txt).

    Piper (offline, no key) is the default voice; --engine openai uses OpenAI TTS.
    The episode's duration and file are saved on the stored issue (for the feed and site).

    Example: papercast audio 2024-W41 --engine piper --max-minutes 15 --style dialogue
    """
    from papercast.audio import build_episode, with_episode
    from papercast.cli.render import load_issue
    from papercast.store.issues import IssueStore

    state = get_state(ctx)
    settings = _settings(state, engine, voice, rate, no_cache, max_minutes=max_minutes, style=style)
    layout = state.layout()
    with state.database() as db:
        issue = load_issue(db, issue_id)
        folder = output_dir(out) if out is not None else layout.issue_dir(issue.id)
        episode = build_episode(issue, settings=settings, layout=layout, db=db, out_dir=folder)
        IssueStore(db).save(with_episode(issue, episode, layout))
    _report(episode)


@app.command()
def speak(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The text to read, or a path to a text file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The MP3 to write.")] = Path(
        "speech.mp3"
    ),
    engine: EngineOption = None,
    voice: VoiceOption = None,
    rate: RateOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Read any text (or text file) aloud into an MP3: handy for trying voices and rates.

    Example: papercast speak "RoPE helps LLMs, e.g. Gemma 7B." --out test.mp3 --rate 1.1
    """
    from papercast.audio import speak as speak_text

    source = Path(text)
    if len(text) < 4096 and "\n" not in text and source.is_file():
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {source}: {exc}", "give a UTF-8 text file") from None
    if out.suffix.lower() != ".mp3":
        raise InputError(f"--out {out} must end in .mp3", "e.g. --out speech.mp3")
    out = output_file(out)
    state = get_state(ctx)
    settings = _settings(state, engine, voice, rate, no_cache)
    with state.database() as db:
        episode = speak_text(text, settings=settings, layout=state.layout(), db=db, out=out)
    _report(episode)
