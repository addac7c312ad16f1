"""Benchmark the audio stage on this machine (issue 5).

1. Piper's real-time factor (seconds of audio per wall second), one process vs parallel worker
   processes, on the same paragraphs in the same run (the one-process run is the baseline).
2. Time to build a full episode of the example newsletter (weekly-ai-papers-2024-10-13.txt,
   whose reference reading lasts 16:39) cold (empty segment cache), warm (everything cached,
   new folder) and rerun (same folder: the finished episode is reused).
3. (issue 16) A 15-minute two-host dialogue of the same issue from cold caches against its
   narration, built in the same run from cold caches too (the narration is the baseline): two
   Piper voices (the built-in one and a copy under another name, the only voice offline), the
   script written by the fake OpenAI server of tests/support on 127.0.0.1 (it answers at once,
   so the time is papercast's and Piper's, not a model's); then the dialogue's rerun.

    python bench/bench_tts.py [--examples DIR] [--paragraphs N] [--workers 2] [--only dialogue]

Results go in docs/benchmarks.md ("Audio").
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/support

from papercast.audio import build_episode
from papercast.audio.engines.piper import PiperEngine, default_voice
from papercast.audio.spoken import to_spoken
from papercast.audio.wav import wav_seconds
from papercast.config import Settings
from papercast.layout import Layout
from papercast.models import Issue, IssueEntry, Paper, Summary, SummaryRecord
from papercast.store import Database
from support.fake_openai import FakeOpenAI

FIELDS = ("tldr", "method", "results", "critiques", "implications")


def parse_newsletter(path: Path) -> Issue:
    """The example newsletter as an Issue: '# Title', the arXiv link, five paragraphs each."""
    text = path.read_text(encoding="utf-8")
    body = text.split("consider becoming a free or paid subscriber.", 1)[-1]
    body = body.split("Thanks for reading", 1)[0]
    entries = []
    for number, block in enumerate(re.split(r"^# ", body, flags=re.MULTILINE)[1:], 1):
        lines = block.strip().split("\n")
        title = lines[0].strip()
        rest = "\n".join(lines[1:])
        url = re.search(r"https://arxiv\.org/abs/\S+", rest)
        rest = re.sub(r"https?://\S+", "", rest)
        paragraphs = [p.strip() for p in rest.split("\n\n") if p.strip()]
        paragraphs = (paragraphs + [""] * 5)[:5]
        pid = f"arxiv:bench.{number:04d}"
        entries.append(
            IssueEntry(
                paper=Paper(
                    id=pid, source="arxiv", title=title, abs_url=url.group(0) if url else None
                ),
                summary=SummaryRecord(
                    paper_id=pid,
                    model="gpt-4o-mini",
                    summary=Summary(
                        **dict(zip(FIELDS, paragraphs, strict=True)),
                        significance=5,
                        significance_reason="bench",
                    ),
                ),
            )
        )
    return Issue(
        id="2024-W41",
        title="This Week's New AI Papers - Oct 13, 2024",
        date=date(2024, 10, 13),
        model="gpt-4o-mini",
        highlights=entries,
    )


def rtf(engine: PiperEngine, texts: list[str]) -> tuple[float, float, float]:
    """(audio seconds, wall seconds, real-time factor) for synthesizing ``texts``."""
    started = time.perf_counter()
    audio = 0.0
    for result in engine.synthesize(texts):
        if result.wav is None:
            raise SystemExit(f"synthesis failed: {result.error}")
        audio += wav_seconds(result.wav)
    wall = time.perf_counter() - started
    return audio, wall, audio / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=Path, default=Path("/work/shared/examples"))
    parser.add_argument("--paragraphs", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=15.0, help="dialogue vs narration")
    parser.add_argument("--only", choices=("all", "dialogue"), default="all")
    args = parser.parse_args()
    issue = parse_newsletter(args.examples / "weekly-ai-papers-2024-10-13.txt")
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    if args.only == "dialogue":
        dialogue_vs_narration(issue, args.workers, args.minutes)
        return
    paragraphs = [
        to_spoken(getattr(e.summary.summary, f))
        for e in issue.highlights
        if e.summary
        for f in FIELDS
    ]
    texts = [p for p in paragraphs if p][: args.paragraphs]
    print(f"load average: {os.getloadavg()[0]:.2f} (the cores are shared)")
    print(f"{len(texts)} paragraphs, {sum(len(t.split()) for t in texts)} words")

    single = PiperEngine.from_settings(Settings(audio={"workers": 1}))
    single.synthesize(["Warm up."]).__next__()  # load the voice outside the timing
    parallel = PiperEngine.from_settings(Settings(audio={"workers": args.workers}))
    ratios = []
    for run in range(1, args.repeats + 1):  # alternate, so machine load hits both alike
        audio, wall, factor = rtf(single, texts)
        print(
            f"run {run} piper 1 process  : {audio:6.1f} s audio in {wall:5.1f} s  RTF {factor:5.2f}x"
        )
        audio_p, wall_p, factor_p = rtf(parallel, texts)
        ratios.append(factor_p / factor)
        print(
            f"run {run} piper {args.workers} processes: {audio_p:6.1f} s audio in {wall_p:5.1f} s  "
            f"RTF {factor_p:5.2f}x  (x{factor_p / factor:.2f} vs 1 process, incl. start-up)"
        )
    print(f"median ratio {args.workers} processes / 1 process: x{statistics.median(ratios):.2f}")
    print(f"load average: {os.getloadavg()[0]:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        settings = Settings(home=home, audio={"workers": args.workers})
        layout = Layout(home=home / "home", out_dir=home / "out")
        layout.ensure()
        builds = (
            ("cold", home / "out" / "a"),  # empty segment cache
            ("warm", home / "out" / "b"),  # segments cached, episode assembled and encoded again
            ("rerun", home / "out" / "b"),  # same folder, nothing changed: the episode is reused
        )
        for label, folder in builds:
            started = time.perf_counter()
            episode = build_episode(issue, settings=settings, layout=layout, out_dir=folder)
            wall = time.perf_counter() - started
            print(
                f"episode {label}: {wall:6.1f} s wall for {episode.duration} of audio "
                f"({episode.words} words, {len(episode.chapters)} chapters, "
                f"{episode.segments_synthesized} synthesized, {episode.segments_cached} cached, "
                f"{episode.mp3_path.stat().st_size / 1e6:.1f} MB)"
            )
    dialogue_vs_narration(issue, args.workers, args.minutes)


def dialogue_vs_narration(issue: Issue, workers: int, minutes: float) -> None:
    """Narration (baseline) and two-host dialogue of ``issue``, both from cold caches."""
    print(f"load average: {os.getloadavg()[0]:.2f} (the cores are shared)")
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as fake:
        for style in ("narration", "dialogue"):
            home = Path(tmp) / style
            layout = Layout(home=home / "home", out_dir=home / "out")
            layout.ensure()
            model, config = default_voice()
            layout.voices_dir.mkdir(parents=True, exist_ok=True)
            (layout.voices_dir / "en_US-joe-copy.onnx").symlink_to(model)
            (layout.voices_dir / "en_US-joe-copy.onnx.json").symlink_to(config)
            audio: dict[str, object] = {"workers": workers, "max_minutes": minutes}
            if style == "dialogue":
                audio |= {"style": "dialogue", "voices": ["joe", "en_US-joe-copy"]}
            settings = Settings(
                home=home / "home",
                llm={"base_url": fake.base_url, "model": "gpt-4o-mini"},
                audio=audio,
            )
            db = Database(layout.db_path)
            for run in ("cold", "rerun") if style == "dialogue" else ("cold",):
                calls = len(fake.completion_calls)
                started = time.perf_counter()
                episode = build_episode(
                    issue, settings=settings, layout=layout, db=db, out_dir=home / "out"
                )
                wall = time.perf_counter() - started
                results[f"{style} {run}"] = wall
                plan = ""
                if episode.dialogue is not None:
                    d = episode.dialogue
                    plan = (
                        f"; planned {d.planned_minutes:.2f} min, script {d.script_minutes:.2f}, "
                        f"spoken {d.actual_minutes:.2f} "
                        f"({(d.actual_minutes or 0) / d.planned_minutes - 1:+.1%}), "
                        f"{d.words_per_minute:g} wpm {'measured' if d.rate_measured else 'default'}"
                        f", {len(fake.completion_calls) - calls} LLM requests, "
                        f"{len(d.narrated)} narrated"
                    )
                print(
                    f"{style} {run}: {wall:6.1f} s wall for {episode.duration} of audio "
                    f"({episode.words} words, {len(episode.chapters)} chapters, "
                    f"{episode.segments_synthesized} synthesized, {episode.segments_cached} "
                    f"cached){plan}"
                )
            db.close()
    ratio = results["dialogue cold"] / results["narration cold"]
    print(f"dialogue cold / narration cold: x{ratio:.2f}")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
