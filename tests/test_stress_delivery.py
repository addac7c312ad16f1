"""Delivery under faults, through the weekly run: SMTP that rejects or hangs up, TTS that fails
mid-episode (issue 8). Nothing half-done is published, and a rerun finishes only what is left."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from papercast.config import Settings, load_settings
from papercast.layout import Layout
from papercast.pipeline import run_week
from papercast.sample.server import FixtureServer
from papercast.store import Database
from support.fake_openai import FakeOpenAI
from support.pipeline_world import SENTINEL_KEY, World, digest, week_entries
from support.smtp_server import Recorder, smtp_server

WEEK = "2024-W41"
SPEECH = "/v1/audio/speech"
OUTRO = "That is the closing segment marker for this episode."
PASSWORD = "s3cret-PASSWORD-sentinel"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI() as fake:
        w = World(server=server, fake=fake, entries=week_entries(6, server.url("/pdf/")))
        w.serve_arxiv()
        yield w


@dataclass
class HangingUp(Recorder):
    """Also hangs up in the middle of DATA for these recipients."""

    hang_up: set[str] = field(default_factory=set)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hang_up & set(envelope.rcpt_tos):
            server.transport.close()
            return "421 4.3.2 connection dropped"
        return await super().handle_DATA(server, session, envelope)


def delivered(recorder: Recorder) -> list[str]:
    return sorted(address for message in recorder.messages for address in message.rcpt_tos)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_smtp_rejects_and_hangups_are_recorded_per_recipient_and_a_rerun_sends_only_the_rest(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERCAST_EMAIL__PASSWORD", PASSWORD)
    recipients = [f"reader{i}@example.org" for i in range(6)]
    rejected, dropped = recipients[1], recipients[4]
    recorder = HangingUp(reject={rejected}, hang_up={dropped})
    with smtp_server(tmp_path, recorder=recorder) as server:
        settings = load_settings(
            world.write_config(
                tmp_path,
                email={
                    "smtp_host": "127.0.0.1",
                    "smtp_port": server.port,
                    "username": "papercast",
                    "from_addr": "Papercast <news@papercast.example>",
                    "ca_file": str(server.ca_file),
                    "to": recipients,
                    "retries": 1,
                    "retry_backoff": 0,
                    "timeout": 10,
                },
                llm={"fulltext": False},
                audio={"enabled": False},
                publish={"out_dir": str(tmp_path / "out"), "email": True},
            )
        )
        layout = Layout.from_settings(settings)

        first = run_week(settings, layout, week=WEEK)

        assert first.exit_code == 3 and first.status == "partial"
        assert delivered(server.recorder) == sorted(set(recipients) - {rejected, dropped})
        warning = next(w for w in first.warnings if w.startswith("email not delivered to"))
        assert rejected in warning and "550" in warning and dropped in warning
        with Database(layout.db_path) as db:
            rows = {
                r["address"]: dict(r)
                for r in db.query("SELECT * FROM email_sends WHERE issue_id=?", (WEEK,))
            }
        assert {a: r["status"] for a, r in rows.items()} == {
            a: ("failed" if a in (rejected, dropped) else "sent") for a in recipients
        }
        assert rows[dropped]["attempts"] == 2  # the hang-up is transient: retried once
        assert rows[rejected]["attempts"] == 1  # a 550 is permanent: not retried

        server.recorder.reject.clear()
        recorder.hang_up.clear()
        before = len(server.recorder.messages)
        second = run_week(settings, layout, week=WEEK)

        assert second.exit_code == 0, second.warnings
        new = sorted(a for m in server.recorder.messages[before:] for a in m.rcpt_tos)
        assert new == sorted([rejected, dropped])  # only those not yet sent
        assert delivered(server.recorder) == sorted(recipients)  # everyone exactly once


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_tts_failing_mid_episode_publishes_no_partial_mp3_and_the_rerun_uses_the_segment_cache(
    world: World, tmp_path: Path
) -> None:
    def settings_for(folder: Path) -> Settings:
        return load_settings(
            world.write_config(
                folder,
                llm={"fulltext": False},
                issue={"outro": OUTRO},
                audio={"workers": 1, "openai_max_retries": 1},
                publish={"out_dir": str(folder / "out")},
            )
        )

    reference_dir, faulty_dir = tmp_path / "ref", tmp_path / "faulty"
    reference_dir.mkdir()
    faulty_dir.mkdir()
    ref_settings = settings_for(reference_dir)
    ref_settings = ref_settings.model_copy(update={"home": tmp_path / "ref-home"})
    reference = run_week(ref_settings, Layout.from_settings(ref_settings), week=WEEK)
    assert reference.exit_code == 0
    segments = reference.tts_synthesized
    assert "episode.mp3" in (reference_dir / "out" / WEEK / "issue.html").read_text()

    settings = settings_for(faulty_dir).model_copy(update={"home": tmp_path / "faulty-home"})
    layout = Layout.from_settings(settings)
    world.fake.fail_next("500", times=100, path=SPEECH, match=OUTRO[:30])
    speech_before = len(world.fake.calls_to(SPEECH))

    broken = run_week(settings, layout, week=WEEK)

    folder = faulty_dir / "out" / WEEK
    assert broken.exit_code == 3 and broken.status == "partial"
    assert any(w.startswith("no episode this week") for w in broken.warnings), broken.warnings
    assert not list(folder.glob("*.mp3")) and not (folder / "chapters.json").exists()
    assert not list(folder.rglob("*.tmp*")) and not list(folder.rglob(".*"))
    assert "episode.mp3" not in (folder / "issue.html").read_text()
    assert json.loads((folder / "run.json").read_text())["audio_duration"] is None
    faulted = [c for c in world.fake.calls_to(SPEECH)[speech_before:] if c.fault]
    assert 0 < len(faulted) <= 2  # the failing segment: one try + one retry, then it stops

    world.fake.clear_faults()
    speech_before = len(world.fake.calls_to(SPEECH))
    fixed = run_week(settings, layout, week=WEEK)

    assert fixed.exit_code == 0, fixed.warnings
    redone = len(world.fake.calls_to(SPEECH)) - speech_before
    assert fixed.tts_synthesized == redone < segments  # only what the failure left undone
    assert fixed.tts_cached == segments - redone
    assert digest(folder) == digest(reference_dir / "out" / WEEK)
