"""The two-host dialogue episode: written by an LLM (the fake OpenAI server on 127.0.0.1,
through the real backend), grounded, planned to length, spoken by two voices, transcribed.

The end-to-end test runs `papercast run` with real Piper voices; the fallbacks use the tone
engine (exact, fast) and the same fake LLM.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webvtt
from typer.testing import CliRunner

from papercast.audio import build_episode
from papercast.audio.dialogue import Turn, problems
from papercast.audio.engines.piper import default_voice
from papercast.audio.episode import voice_engines
from papercast.config import Settings
from papercast.errors import AudioError
from papercast.layout import TEXT_CACHE_SUFFIX, Layout, pdf_cache_path
from papercast.llm.pricing import estimate_tokens
from papercast.numbers import numbers_in
from papercast.sample.server import FixtureServer
from papercast.store import Database
from papercast.store.tts import TTSCallStore
from support.audio_fakes import ToneEngine, entry, make_issue, wav_seconds
from support.fake_openai import FakeOpenAI
from support.pipeline_world import SENTINEL_KEY, World, digest, serve_pdfs, week_entries
from support.piper_voices import offline_url, repository_voice, serve_voice

runner = CliRunner()
WEEK = "2024-W41"
HOSTS = ["Ada", "Sam"]
AUDIO = {"paragraph_pause_ms": 300, "chapter_pause_ms": 700, "style": "dialogue"}


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    layout = Layout(home=tmp_path / "home", out_dir=tmp_path / "out")
    layout.ensure()
    return layout


def llm_settings(fake: FakeOpenAI, tmp_path: Path, **audio: object) -> Settings:
    return Settings(
        home=tmp_path / "home",
        llm={"base_url": fake.base_url, "model": "gpt-4o-mini", "max_retries": 0},
        audio={**AUDIO, **audio},
    )


def speakers_by_chapter(vtt: Path, chapters: list[dict[str, object]]) -> list[list[str | None]]:
    """The speaker of every cue, grouped by the chapter it starts in."""
    groups: list[list[str | None]] = [[] for _ in chapters]
    for caption in webvtt.read(str(vtt)).captions:
        start = sum(
            float(part) * 60**i for i, part in enumerate(reversed(caption.start.split(":")))
        )
        index = max(i for i, c in enumerate(chapters) if float(str(c["startTime"])) <= start + 1e-3)
        groups[index].append(caption.voice)
    return groups


def turns_of(group: list[str | None]) -> list[str | None]:
    """Cues of one turn share a speaker: the turns are the runs."""
    turns: list[str | None] = []
    for speaker in group:
        if not turns or turns[-1] != speaker:
            turns.append(speaker)
    return turns


@pytest.mark.slow
def test_a_dialogue_run_end_to_end_with_two_piper_voices(monkeypatch: pytest.MonkeyPatch) -> None:
    from papercast.cli import app

    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    home = Path(os.environ["PAPERCAST_HOME"])
    # A second voice "downloaded" into PAPERCAST_HOME/voices: a copy of the built-in model under
    # another name (the only voice available offline), so the two-voice path is the real one.
    model, config = default_voice()
    (home / "voices").mkdir(parents=True)
    (home / "voices" / "en_US-joe-copy.onnx").symlink_to(model)
    (home / "voices" / "en_US-joe-copy.onnx.json").symlink_to(config)
    with FixtureServer() as server, FakeOpenAI() as fake:
        world = World(server=server, fake=fake, entries=week_entries(6, server.url("/pdf/")))
        world.serve_arxiv()
        serve_pdfs(server, 6)
        world.write_config(
            Path.cwd(),
            issue={"highlights": 2, "noteworthy": 2},
            audio={
                "engine": "piper",
                "style": "dialogue",
                "hosts": HOSTS,
                "voices": ["joe", "en_US-joe-copy"],
                "max_minutes": 3.5,
            },
        )
        result = runner.invoke(app, ["run", "--week", WEEK])
        assert result.exit_code == 0, result.output
        folder = Path("out") / WEEK
        report = json.loads((folder / "run.json").read_text())
        assert report["audio_style"] == "dialogue"
        dialogue = report["dialogue"]
        assert dialogue["narrated"] == {} and dialogue["segments"] == 2
        assert dialogue["voices"] == ["en_US-joe-medium", "en_US-joe-copy"]
        assert dialogue["llm_requests"] == 2
        dialogue_calls = [c for c in fake.completion_calls if "two hosts" in json.dumps(c.body)]
        assert len(dialogue_calls) == 2

        # Chapters: intro, one per highlight (in order), outro.
        chapters = json.loads((folder / "chapters.json").read_text())["chapters"]
        highlights = report["highlights"]
        assert len(chapters) == len(highlights) + 2
        assert chapters[0]["title"] == "Intro" and chapters[-1]["title"] == "Outro"
        for chapter, paper_id in zip(chapters[1:-1], highlights, strict=True):
            assert chapter["url"] == f"https://arxiv.org/abs/{paper_id.split(':')[1]}"

        # The transcript alternates the two hosts, within every chapter.
        groups = speakers_by_chapter(folder / "episode.vtt", chapters)
        for group in groups:
            turns = turns_of(group)
            assert set(turns) == set(HOSTS), turns
            assert len(turns) >= 2
        for chapter_turns in (turns_of(g) for g in groups[1:-1]):
            assert len(chapter_turns) >= 4

        # Every number said about a paper is in the written issue (its summaries).
        issue_numbers = {n for _, n in numbers_in((folder / "issue.md").read_text())}
        text = (folder / "episode.txt").read_text()
        papers = re.split(r"^\[\d\d:\d\d\] .*$", text, flags=re.MULTILINE)[2:-1]
        assert len(papers) == 2
        for said in papers:
            spoken = {n for _, n in numbers_in(said)}
            assert spoken, "the fake's segment quotes the summary's numbers"
            assert spoken <= issue_numbers

        # Two distinct voices did the speaking.
        db = Database(home / "papercast.db")
        voices = {r["voice"] for r in TTSCallStore(db).recent(1000)}
        db.close()
        assert voices == {"en_US-joe-medium", "en_US-joe-copy"}

        # Length holds: the real episode is within 10% of the plan.
        planned, actual = dialogue["planned_minutes"], dialogue["actual_minutes"]
        assert abs(actual - planned) <= 0.10 * planned, (planned, actual)
        assert actual <= 3.5 * 1.1

        before = digest(folder)
        calls = len(fake.completion_calls)
        again = runner.invoke(app, ["run", "--week", WEEK])
        assert again.exit_code == 0, again.output
        rerun = json.loads((folder / "run.json").read_text())
        assert len(fake.completion_calls) == calls, "no LLM call on a rerun"
        assert rerun["tts_synthesized"] == 0, "no TTS call on a rerun"
        assert rerun["dialogue"]["from_cache"] == 2 and rerun["dialogue"]["llm_requests"] == 0
        assert digest(folder) == before


def test_without_an_llm_the_dialogue_style_narrates_with_a_notice(
    layout: Layout, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home", llm={"backend": "extractive"}, audio=AUDIO)
    episode = build_episode(
        make_issue([entry(1), entry(2)]),
        settings=settings,
        layout=layout,
        out_dir=tmp_path / "out",
        engine=ToneEngine(),
    )
    assert episode.style == "narration" and episode.dialogue is None
    assert episode.notice is not None
    assert "needs an LLM" in episode.notice and "narrated" in episode.notice
    captions = webvtt.read(str(episode.transcript_path)).captions
    assert captions and all(c.voice is None for c in captions)


def test_a_segment_failing_grounding_twice_is_narrated_and_reported(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    invented = {
        "turns": [
            {"speaker": "Ada", "text": "This one claims a 97 percent gain."},
            {"speaker": "Sam", "text": "Ninety-seven? That is a lot."},
        ]
    }
    # Both attempts for paper 2 invent a number; paper 1's first attempt does too, then not.
    for _ in range(2):
        fake.answer_next(invented, match="Paper 2 on efficient attention")
    fake.answer_next(invented, match="Paper 1 on efficient attention")
    settings = llm_settings(fake, tmp_path)
    db = Database(layout.db_path)
    issue = make_issue([entry(1, results="It is 12% faster."), entry(2)])
    out = tmp_path / "out"
    engines = [ToneEngine(), ToneEngine(amplitude=0.25)]
    episode = build_episode(
        issue, settings=settings, layout=layout, db=db, out_dir=out, engines=list(engines)
    )
    assert episode.style == "dialogue" and episode.dialogue is not None
    report = episode.dialogue
    assert list(report.narrated) == ["arxiv:2410.00002"]
    assert "97" in report.narrated["arxiv:2410.00002"]
    assert report.llm_requests == 4  # paper 1: asked twice; paper 2: asked twice, then narrated
    second = [c for c in fake.completion_calls if "Paper 2 on efficient" in json.dumps(c.body)]
    assert len(second) == 2
    assert "97" in json.dumps(second[1].body), "the rewrite request names the problem"

    chapters = json.loads((out / "chapters.json").read_text())["chapters"]
    groups = speakers_by_chapter(out / "episode.vtt", chapters)
    assert set(turns_of(groups[1])) == {"Ada", "Sam"}, "paper 1: a dialogue"
    assert turns_of(groups[2]) == ["Ada"], "paper 2: narrated by the first host's voice"
    text = (out / "episode.txt").read_text()
    assert "97" not in text
    assert "Ada: In short: A new way to make attention cheaper." in text
    assert "12 percent" in text

    # The rerun asks nothing: the outcome (fallback included) is cached.
    calls = len(fake.completion_calls)
    again = build_episode(issue, settings=settings, layout=layout, db=db, out_dir=out,
                          engines=list(engines))  # fmt: skip
    assert len(fake.completion_calls) == calls
    assert again.dialogue is not None and again.dialogue.from_cache == 2
    assert again.segments_synthesized == 0
    db.close()


def test_a_number_from_the_full_text_the_summary_read_is_grounded_one_in_neither_is_not(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    """The script may say a number the paper's text has (as the summary stage cached it), when
    the summary was made from that text; a number in neither the summary nor that text, or in a
    text the summary did not read, is still refused."""
    from_text = {
        "turns": [
            {"speaker": "Ada", "text": "They report 83.4 points on the news test set."},
            {"speaker": "Sam", "text": "And that is twelve percent faster, too."},
        ]
    }
    invented = {
        "turns": [
            {"speaker": "Ada", "text": "They also claim 97.2 BLEU on the news test set."},
            {"speaker": "Sam", "text": "That is a lot."},
        ]
    }
    fake.answer_next(from_text, match="Paper 1 on efficient attention")
    for _ in range(2):
        fake.answer_next(invented, match="Paper 2 on efficient attention")
        fake.answer_next(from_text, match="Paper 3 on efficient attention")
    entries = [entry(1), entry(2), entry(3)]
    for item, source in zip(entries, ("full", "full", "abstract"), strict=True):
        assert item.summary is not None
        item.summary.source_text = source
        text = pdf_cache_path(layout, item.paper).with_suffix(TEXT_CACHE_SUFFIX)
        text.parent.mkdir(parents=True, exist_ok=True)
        text.write_text("Results. Our model reaches 83.4 BLEU on WMT14.\n", encoding="utf-8")
    episode = build_episode(make_issue(entries), settings=llm_settings(fake, tmp_path),
                            layout=layout, out_dir=tmp_path / "out",
                            engines=[ToneEngine(), ToneEngine(amplitude=0.25)])  # fmt: skip
    report = episode.dialogue
    assert report is not None
    # paper 1: 83.4 is in the full text its summary was made from, accepted at once
    # paper 2: 97.2 is nowhere; paper 3: 83.4 is in a text its summary (from the abstract)
    # never read: both refused twice and narrated
    assert sorted(report.narrated) == ["arxiv:2410.00002", "arxiv:2410.00003"]
    assert "97.2" in report.narrated["arxiv:2410.00002"]
    assert "83.4" in report.narrated["arxiv:2410.00003"]
    assert report.llm_requests == 5
    said = (tmp_path / "out" / "episode.txt").read_text()
    assert "Ada: They report 83.4 points" in said
    assert "97.2" not in said and said.count("83.4") == 1


def test_an_invented_number_said_in_words_is_sent_back_then_narrated(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    """English turns spell their numbers: "ninety-seven percent" invented is refused like "97
    percent" (rewritten once with the problem named, then the paper is narrated), while the
    summary's own "twelve percent", "one of" and "first" pass at once."""
    grounded = {
        "turns": [
            {"speaker": "Ada", "text": "First, one of the tricks: a small model on public data."},
            {"speaker": "Sam", "text": "And it is twelve percent faster, the second big win."},
        ]
    }
    invented = {
        "turns": [
            {"speaker": "Ada", "text": "This one claims a ninety-seven percent gain."},
            {"speaker": "Sam", "text": "On three hundred benchmarks? That is a lot."},
        ]
    }
    fake.answer_next(grounded, match="Paper 1 on efficient attention")
    for _ in range(2):
        fake.answer_next(invented, match="Paper 2 on efficient attention")
    out = tmp_path / "out"
    episode = build_episode(make_issue([entry(1), entry(2)]), layout=layout, out_dir=out,
                            settings=llm_settings(fake, tmp_path),
                            engines=[ToneEngine(), ToneEngine(amplitude=0.25)])  # fmt: skip
    report = episode.dialogue
    assert report is not None
    assert list(report.narrated) == ["arxiv:2410.00002"]
    assert "ninety-seven percent, three hundred" in report.narrated["arxiv:2410.00002"]
    assert report.llm_requests == 3  # paper 1: once; paper 2: twice, then narrated
    second = [c for c in fake.completion_calls if "Paper 2 on efficient" in json.dumps(c.body)]
    assert "ninety-seven percent" in json.dumps(second[1].body), "the rewrite names it"
    text = (out / "episode.txt").read_text()
    assert "Sam: And it is twelve percent faster, the second big win." in text
    assert "ninety-seven" not in text and "three hundred" not in text


def test_a_cached_segment_that_fails_today_s_check_is_written_again(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    """A segment is cached once it passed; when its turns no longer pass (cached before the
    check read numbers in words, or the paper's text it was grounded in changed), the rerun
    asks again instead of speaking it."""
    item = entry(1)
    assert item.summary is not None
    item.summary.source_text = "full"
    text = pdf_cache_path(layout, item.paper).with_suffix(TEXT_CACHE_SUFFIX)
    text.parent.mkdir(parents=True, exist_ok=True)
    text.write_text("Results. Recall reaches ninety-seven percent.\n", encoding="utf-8")
    fake.answer_next(
        {
            "turns": [
                {"speaker": "Ada", "text": "Recall reaches ninety-seven percent."},
                {"speaker": "Sam", "text": "And it is twelve percent faster."},
            ]
        }
    )
    settings, out = llm_settings(fake, tmp_path), tmp_path / "out"
    engines = [ToneEngine(), ToneEngine(amplitude=0.25)]
    first = build_episode(make_issue([item]), settings=settings, layout=layout, out_dir=out,
                          engines=list(engines))  # fmt: skip
    assert first.dialogue is not None and first.dialogue.narrated == {}
    assert "ninety-seven percent" in (out / "episode.txt").read_text()
    again = build_episode(make_issue([item]), settings=settings, layout=layout, out_dir=out,
                          engines=list(engines))  # fmt: skip
    assert again.dialogue is not None and again.dialogue.from_cache == 1
    assert again.dialogue.llm_requests == 0
    text.write_text("Results. Recall is high.\n", encoding="utf-8")
    third = build_episode(make_issue([item]), settings=settings, layout=layout, out_dir=out,
                          engines=list(engines))  # fmt: skip
    assert third.dialogue is not None and third.dialogue.from_cache == 0
    assert third.dialogue.llm_requests == 1 and third.dialogue.narrated == {}
    assert "ninety-seven" not in (out / "episode.txt").read_text()


@pytest.mark.parametrize(
    ("language", "results", "turn", "problem"),
    [
        ("en", "It is 12% faster.", "Twelve percent faster, on one of the datasets.", None),
        ("en", "It is 12% faster.", "Twenty percent faster, on one of the datasets.", "Twenty"),
        ("de", "Sie ist 12 % schneller.", "Zwölf Prozent schneller, mit einer Methode.", None),
        ("de", "Sie ist 12 % schneller.", "Dreißig Prozent schneller als die erste.", "Dreißig"),
        ("ja", "12% 高速です。", "二十パーセント、twenty percent 高速です。", None),
        ("ja", "12% 高速です。", "20% 高速です。", "20%"),
    ],
)
def test_the_grounding_check_reads_numbers_in_words_in_the_hosts_language(
    language: str, results: str, turn: str, problem: str | None
) -> None:
    """The check on a segment's turns: a number in words is read in [issue] language; a
    language text2num does not read (ja) checks digits only, as before."""
    turns = [Turn(speaker="Ada", text=turn), Turn(speaker="Sam", text="Und? Mais? And?")]
    found = problems(turns, HOSTS, entry(1, results=results), language=language)
    if problem is None:
        assert found is None
    else:
        assert found is not None and f"not in the summary or the paper: {problem}" in found


def test_an_edited_summary_rewrites_one_segment_and_resynthesizes_only_its_turns(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    settings = llm_settings(fake, tmp_path)
    issue = make_issue([entry(1), entry(2)])
    engines = [ToneEngine(), ToneEngine(amplitude=0.25)]
    out = tmp_path / "out"
    first = build_episode(issue, settings=settings, layout=layout, out_dir=out, engines=engines)
    calls = len(fake.completion_calls)
    assert calls == 2
    issue.highlights[1].summary.summary.results = "It is 30% faster now."  # type: ignore[union-attr]
    for engine in engines:
        engine.asked.clear()
    edited = build_episode(issue, settings=settings, layout=layout, out_dir=out, engines=engines)
    assert len(fake.completion_calls) == calls + 1, "one segment asked again"
    asked = engines[0].asked + engines[1].asked
    assert asked and edited.segments_synthesized == len(asked)
    assert edited.segments_synthesized < first.segments_synthesized / 2
    assert any("30 percent" in text for text in asked)


def test_the_plan_uses_the_voice_s_measured_rate_and_the_length_holds(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    # The tone engine speaks 200 words a minute, far from the 140 assumed before any audio.
    db = Database(layout.db_path)
    narration = Settings(home=tmp_path / "home", audio={**AUDIO, "style": "narration"})
    issue = make_issue([entry(n, results=f"It is {n + 10}% faster.") for n in range(1, 4)])
    engine = ToneEngine()
    earlier = make_issue(
        [
            entry(n, method=f"Model {n} is trained on public data with a new loss, for {n} days.")
            for n in range(10, 18)
        ],
        id="2024-W40",
    )
    build_episode(earlier, settings=narration, layout=layout, db=db, out_dir=tmp_path / "n",
                  engine=engine)  # fmt: skip
    assert TTSCallStore(db).rate("tone-a")[1] > 60, "enough audio on record to measure"
    settings = llm_settings(fake, tmp_path, max_minutes=3.0)
    episode = build_episode(issue, settings=settings, layout=layout, db=db,
                            out_dir=tmp_path / "d", engines=[engine, engine])  # fmt: skip
    report = episode.dialogue
    assert report is not None and report.rate_measured
    assert 180 <= report.words_per_minute <= 220
    assert report.actual_minutes is not None
    assert abs(report.actual_minutes - report.planned_minutes) <= 0.1 * report.planned_minutes
    assert report.actual_minutes <= 3.0 * 1.05
    db.close()


def test_a_missing_voice_is_a_clear_error_before_any_llm_call(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    """A voice that is neither built in, a file, in PAPERCAST_HOME/voices nor in the voices
    repository (here a local one that has no voices) stops the episode before any LLM call."""
    with FixtureServer() as voices:
        settings = llm_settings(
            fake, tmp_path, engine="piper", voices=["joe", "en_US-nobody-low"],
            voices_url=voices.url("/"),
        )  # fmt: skip
        with pytest.raises(AudioError) as caught:
            build_episode(make_issue([entry(1)]), settings=settings, layout=layout,
                          out_dir=tmp_path / "out")  # fmt: skip
    assert "there is no Piper voice named 'en_US-nobody-low'" in caught.value.message
    assert "piper-samples" in (caught.value.hint or "")
    assert fake.completion_calls == []
    assert not (tmp_path / "out" / "episode.mp3").exists()
    assert not (tmp_path / "home" / "voices" / "en_US-nobody-low.onnx").exists()


SECOND = "en_GB-test-medium"


def test_a_second_piper_voice_is_downloaded_once_and_speaks(tmp_path: Path) -> None:
    """[audio] voices = ["joe", "<a voice of the Piper repository>"]: the second voice comes
    from the repository (here on 127.0.0.1, in its real layout) into PAPERCAST_HOME/voices,
    once; the first is the built-in one."""
    with FixtureServer() as repository:
        path = serve_voice(repository, SECOND, repository_voice("en_GB", "en-gb-x-rp"))
        settings = Settings(
            home=tmp_path / "home",
            audio={**AUDIO, "engine": "piper", "voices": ["joe", SECOND],
                   "voices_url": repository.url("/")},
        )  # fmt: skip
        engines, notice = voice_engines(settings)
        assert notice is None
        assert [e.voice for e in engines] == ["en_US-joe-medium", SECOND]
        folder = tmp_path / "home" / "voices"
        assert sorted(p.name for p in folder.iterdir()) == [f"{SECOND}.onnx", f"{SECOND}.onnx.json"]
        assert sorted(r.path for r in repository.requests) == [path + ".onnx", path + ".onnx.json"]
        again, _ = voice_engines(settings)
        assert [e.voice for e in again] == ["en_US-joe-medium", SECOND]
        assert len(repository.requests) == 2, "the second time from PAPERCAST_HOME"
    [result] = list(again[1].synthesize(["Good morning, here are the new papers."]))
    assert result.error is None and result.wav
    assert wav_seconds(result.wav) > 0.5


def test_one_voice_missing_offline_both_hosts_take_the_other_and_the_run_is_told(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    """A second voice that cannot be downloaded (offline) does not cost the episode: both hosts
    are read by the first voice (which speaks the issue's language), and the notice names the
    missing voice and how to get it. Both voices missing is an error."""
    offline = offline_url("/voices")
    settings = llm_settings(fake, tmp_path, engine="piper", voices=["joe", SECOND],
                            voices_url=offline, max_minutes=1.0)  # fmt: skip
    out = tmp_path / "out"
    episode = build_episode(make_issue([entry(1)]), settings=settings, layout=layout,
                            out_dir=out)  # fmt: skip
    assert episode.style == "dialogue" and episode.dialogue is not None
    assert episode.dialogue.voices == ["en_US-joe-medium", "en_US-joe-medium"]
    notice = " ".join((episode.notice or "").split())
    assert notice.startswith(f"one voice missing: cannot download the Piper voice {SECOND}")
    assert "both hosts are read by en_US-joe-medium in this episode" in notice
    assert f"{offline}/en/en_GB/test/medium/{SECOND}.onnx" in notice
    chapters = json.loads((out / "chapters.json").read_text())["chapters"]
    assert set(turns_of(speakers_by_chapter(out / "episode.vtt", chapters)[1])) == set(HOSTS)
    assert not any((tmp_path / "home" / "voices").glob("*.onnx*")), "nothing half-downloaded"

    both = llm_settings(fake, tmp_path, engine="piper", voices_url=offline,
                        voices=[SECOND, "en_GB-other-medium"])  # fmt: skip
    calls = len(fake.completion_calls)
    with pytest.raises(AudioError, match=f"cannot download the Piper voice {SECOND}"):
        build_episode(make_issue([entry(1)]), settings=both, layout=layout,
                      out_dir=tmp_path / "none")  # fmt: skip
    assert len(fake.completion_calls) == calls, "no LLM call without any voice"


def test_a_voice_name_neither_on_disk_nor_a_repository_name_is_a_clear_error(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    settings = llm_settings(fake, tmp_path, engine="piper", voices=["joe", "my-voice"])
    with pytest.raises(AudioError) as caught:
        build_episode(make_issue([entry(1)]), settings=settings, layout=layout,
                      out_dir=tmp_path / "out")  # fmt: skip
    assert "'my-voice'" in caught.value.message
    assert str(tmp_path / "home" / "voices") in caught.value.message
    assert fake.completion_calls == []


def test_a_speaker_id_the_model_does_not_have_is_a_clear_error(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    settings = llm_settings(fake, tmp_path, engine="piper", voices=["joe", "joe#3"])
    with pytest.raises(AudioError, match="has 1 speaker; speaker 3 does not exist"):
        build_episode(make_issue([entry(1)]), settings=settings, layout=layout,
                      out_dir=tmp_path / "out")  # fmt: skip
    assert fake.completion_calls == []


def test_without_voices_both_hosts_share_one_voice_and_are_told_so(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    episode = build_episode(make_issue([entry(1)]), settings=llm_settings(fake, tmp_path),
                            layout=layout, out_dir=tmp_path / "out", engine=ToneEngine())  # fmt: skip
    assert episode.style == "dialogue"
    assert episode.notice is not None and "one voice" in episode.notice
    chapters = json.loads((tmp_path / "out" / "chapters.json").read_text())["chapters"]
    assert set(turns_of(speakers_by_chapter(tmp_path / "out" / "episode.vtt", chapters)[1])) == {
        "Ada",
        "Sam",
    }


def test_labels_and_stage_directions_are_not_read_aloud(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    fake.answer_next(
        {
            "turns": [
                {
                    "speaker": "Ada",
                    "text": "Ada: (laughs) So, a new way to make attention cheaper.",
                },
                {"speaker": "ada", "text": "[pause] They train a small model on public data."},
                {"speaker": "Sam", "text": "Sam: *nods* It is twelve percent faster, they say."},
            ]
        }
    )
    out = tmp_path / "out"
    build_episode(make_issue([entry(1)]), settings=llm_settings(fake, tmp_path),
                  layout=layout, out_dir=out, engines=[ToneEngine(), ToneEngine()])  # fmt: skip
    text = (out / "episode.txt").read_text()
    assert (
        "Ada: So, a new way to make attention cheaper. They train a small model on public data."
        in text
    )
    assert "Sam: It is twelve percent faster, they say." in text
    for gone in ("laughs", "pause", "nods", "Ada: Ada", "Sam: Sam"):
        assert gone not in text


def test_openai_tts_speaks_each_host_with_its_own_voice(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    settings = llm_settings(
        fake,
        tmp_path,
        engine="openai",
        base_url=fake.base_url,
        openai_model="tts-1",
        openai_response_format="wav",
        voices=["alloy", "onyx"],
    )
    out = tmp_path / "out"
    episode = build_episode(make_issue([entry(1)]), settings=settings, layout=layout, out_dir=out)
    assert episode.dialogue is not None and episode.dialogue.voices == ["alloy", "onyx"]
    spoken = {(c.body["voice"], c.body["input"]) for c in fake.calls_to("/v1/audio/speech")}
    text = (out / "episode.txt").read_text()
    turns = [
        line.split(": ", 1) for line in text.splitlines() if line.startswith(("Ada: ", "Sam: "))
    ]
    assert {voice for voice, _ in spoken} == {"alloy", "onyx"}
    for host, said in turns:
        voice = "alloy" if host == "Ada" else "onyx"
        assert any(v == voice and said.startswith(t[:40]) for v, t in spoken), (host, said)


def test_a_german_dialogue_is_asked_for_in_german_with_german_fixed_lines(
    fake: FakeOpenAI, layout: Layout, tmp_path: Path
) -> None:
    settings = llm_settings(fake, tmp_path).model_copy(
        update={"issue": Settings(issue={"language": "de"}).issue}
    )
    build_episode(make_issue([entry(1)]), settings=settings, layout=layout,
                  out_dir=tmp_path / "out", engine=ToneEngine())  # fmt: skip
    [call] = fake.completion_calls
    system = json.dumps(call.body, ensure_ascii=False)
    assert "the hosts speak German" in system
    chapters = json.loads((tmp_path / "out" / "chapters.json").read_text())["chapters"]
    assert [chapters[0]["title"], chapters[-1]["title"]] == ["Einleitung", "Abschluss"]
    said = (tmp_path / "out" / "episode.txt").read_text(encoding="utf-8")
    assert "Ich bin Ada." in said and "Bis nächste Woche." in said
    assert "I'm Ada" not in said and "See you next week" not in said
    # the same issue in English asks for no language and keeps the English lines
    fake.calls.clear()
    build_episode(make_issue([entry(1)]), settings=llm_settings(fake, tmp_path), layout=layout,
                  out_dir=tmp_path / "en", engine=ToneEngine())  # fmt: skip
    [call] = fake.completion_calls
    assert "the hosts speak" not in json.dumps(call.body)
    assert "I'm Ada." in (tmp_path / "en" / "episode.txt").read_text(encoding="utf-8")


@pytest.fixture
def dialogue_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A week of six papers on 127.0.0.1, summarized and discussed by the fake LLM and read by
    the fake OpenAI voices (fast: no Piper)."""
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI() as fake:
        world = World(server=server, fake=fake, entries=week_entries(6, server.url("/pdf/")))
        world.serve_arxiv()
        serve_pdfs(server, 6)
        world.write_config(Path.cwd(), issue={"highlights": 2, "noteworthy": 2},
                           audio={**OPENAI_DIALOGUE, "base_url": fake.base_url})  # fmt: skip
        yield world


OPENAI_DIALOGUE: dict[str, object] = {
    "style": "dialogue",
    "hosts": HOSTS,
    "voices": ["alloy", "onyx"],
    "openai_response_format": "wav",
}


def dialogue_requests(fake: FakeOpenAI) -> list[dict[str, Any]]:
    """The dialogue requests the fake answered (not those it rejected for their format)."""
    return [
        c.body
        for c in fake.completion_calls
        if "two hosts" in json.dumps(c.body) and c.status == 200
    ]


def dry_run() -> dict[str, Any]:
    from papercast.cli import app

    result = runner.invoke(app, ["run", "--week", WEEK, "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


def test_a_dry_run_estimates_the_dialogue_script_apart_from_the_summaries(
    dialogue_world: World,
) -> None:
    from papercast.cli import app

    fake = dialogue_world.fake
    fake.json_schema_support = False  # the schema then travels in the system prompt: all counted
    first = dry_run()
    estimate = first["estimated_dialogue"]
    assert estimate["segments"] == 2 and estimate["requests"] == 2
    assert estimate["from_cache"] == 0 and estimate["assumed"] == 2, "no summary written yet"
    assert estimate["input_tokens"] > 0 and estimate["cost_usd"] > 0
    summaries = first["estimated_cost_usd"] - estimate["cost_usd"]
    assert summaries > 0, "the summaries' estimate is still there, beside the dialogue's"
    assert first["usage"]["input_tokens"] > estimate["input_tokens"]
    assert fake.calls == []
    table = runner.invoke(app, ["run", "--week", WEEK, "--dry-run"])
    assert "dialogue script" in table.output and "2 LLM requests" in table.output

    real = runner.invoke(app, ["run", "--week", WEEK])
    assert real.exit_code == 0, real.output
    run = json.loads((Path("out") / WEEK / "run.json").read_text())
    assert run["dialogue"]["llm_requests"] == 2 and run["dialogue"]["narrated"] == {}
    sent = dialogue_requests(fake)
    assert len(sent) == 2

    # Written segments cost nothing.
    calls = len(fake.calls)
    cached = dry_run()["estimated_dialogue"]
    assert cached["from_cache"] == 2 and cached["requests"] == 0 and cached["cost_usd"] == 0
    assert len(fake.calls) == calls

    # With the summaries written, the estimate counts exactly the prompts the run sent.
    home = Path(os.environ["PAPERCAST_HOME"])
    for segment in (home / "cache" / "dialogue").glob("??/*.json"):
        segment.unlink()
    again = dry_run()["estimated_dialogue"]
    assert again["requests"] == 2 and again["assumed"] == 0
    counted = sum(
        estimate_tokens(m["content"]) for body in sent for m in body["messages"]
    )  # system (with the schema) and user prompt of each request
    assert counted - 2 * 2 <= again["input_tokens"] <= counted + 2 * 2
    used = run["dialogue"]["usage"]["output_tokens"]
    assert used / 2 <= again["output_tokens"] <= used * 2, "the planned length, not the cap"


def test_max_cost_counts_the_dialogue_script_too(dialogue_world: World) -> None:
    """The run's budget covers the script's requests: what the summaries left of it is all the
    dialogue may spend; a segment it cannot afford is narrated (and asked for once there is
    room), the run says why, and nothing is spent beyond the budget."""
    from papercast.cli import app

    fake = dialogue_world.fake
    dialogue_world.write_config(Path.cwd(), issue={"highlights": 2, "noteworthy": 2},
                                audio={**OPENAI_DIALOGUE, "base_url": fake.base_url,
                                       "enabled": False})  # fmt: skip
    summaries = runner.invoke(app, ["run", "--week", WEEK])
    assert summaries.exit_code == 0, summaries.output
    dialogue_world.write_config(Path.cwd(), issue={"highlights": 2, "noteworthy": 2},
                                audio={**OPENAI_DIALOGUE, "base_url": fake.base_url})  # fmt: skip
    # The summaries are written (they cost nothing now); one dialogue request's worst case
    # is far more than $0.0001.
    preview = runner.invoke(app, ["run", "--week", WEEK, "--dry-run", "--max-cost", "0.0001"])
    assert preview.exit_code == 0, preview.output
    said = " ".join(preview.output.split())
    assert "is over the $0.0001 budget" in said and "dialogue script $" in said

    poor = runner.invoke(app, ["run", "--week", WEEK, "--max-cost", "0.0001"])
    assert poor.exit_code == 0, poor.output
    assert dialogue_requests(fake) == [], "no dialogue request beyond the budget"
    assert "stopped writing the dialogue at the $0.0001 budget" in " ".join(poor.output.split())
    report = json.loads((Path("out") / WEEK / "run.json").read_text())
    dialogue = report["dialogue"]
    assert dialogue["budget_stopped"] and dialogue["llm_requests"] == 0
    assert sorted(dialogue["narrated"]) == sorted(report["highlights"])
    assert all("budget" in why for why in dialogue["narrated"].values())
    assert any(w.startswith("stopped writing the dialogue at the $0.0001 budget")
               for w in report["warnings"])  # fmt: skip
    assert report["usage"]["cost_usd"] <= 0.0001

    rich = runner.invoke(app, ["run", "--week", WEEK, "--max-cost", "1"])
    assert rich.exit_code == 0, rich.output
    assert len(dialogue_requests(fake)) == 2, "the narrated segments were not cached"
    again = json.loads((Path("out") / WEEK / "run.json").read_text())["dialogue"]
    assert again["narrated"] == {} and not again["budget_stopped"]
