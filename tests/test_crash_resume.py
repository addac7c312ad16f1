"""kill -9 of the weekly run at seeded random points in fetch, summarize, audio and export
(issue 8): every rerun completes, the outputs are byte-identical to an uninterrupted run, the
store passes ``PRAGMA integrity_check`` with no duplicate or lost rows, and no reader gets the
email twice.

Each stage is slowed a little on the fake servers (arXiv pages, LLM and TTS latency, the SMTP
server's DATA reply) so that "after the k-th request to X" is a point inside that stage. The
points are drawn from a seeded RNG: the same ten points every run, spread over the four stages.
"""

from __future__ import annotations

import asyncio
import email
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from papercast.sample.server import FixtureServer, RecordedRequest, Reply
from papercast.store import Database
from support.arxiv_pages import page
from support.fake_openai import FakeOpenAI
from support.pipeline_world import ISSUE_FILES, SENTINEL_KEY, World, digest, week_entries
from support.smtp_server import Recorder, SmtpServer, smtp_server

WEEK = "2024-W41"
PAPERS, SUMMARIES = 8, 6
READERS = [f"reader{i}@example.org" for i in range(4)]
PASSWORD = "s3cret-PASSWORD-sentinel"
KILL_POINTS = 10
SEED = 8


class SlowRecorder(Recorder):
    """Takes a moment before accepting DATA; a sender that vanished meanwhile gets nothing
    delivered (the server never said 250)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.15)
        if server.transport is None or server.transport.is_closing():
            return "451 4.4.2 the sender went away"
        return await super().handle_DATA(server, session, envelope)


@dataclass
class Stage:
    name: str
    count: Callable[[], int]  # requests seen so far by the server that stage talks to
    per_run: int = 0  # how many an uninterrupted run makes


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[World, SmtpServer]]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    monkeypatch.setenv("PAPERCAST_EMAIL__PASSWORD", PASSWORD)
    with (
        FixtureServer() as server,
        FakeOpenAI(latency=0.05) as fake,
        smtp_server(tmp_path, recorder=SlowRecorder()) as smtp,
    ):
        w = World(server=server, fake=fake, entries=week_entries(PAPERS, server.url("/pdf/")))

        def arxiv(req: RecordedRequest) -> Reply:
            start, size = int(req.param("start") or 0), int(req.param("max_results") or 100)
            body = page(w.entries[start : start + size], total=PAPERS, start=start)
            return Reply(body=body, content_type="application/atom+xml", delay=0.1)

        server.route("/api/query", arxiv)
        yield w, smtp


def configure(world: World, smtp: SmtpServer, folder: Path) -> None:
    folder.mkdir()
    world.write_config(
        folder,
        arxiv={"page_size": 2},
        llm={"max_concurrency": 1, "fulltext": False},
        audio={"workers": 1},
        email={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "username": "papercast",
            "from_addr": "Papercast <news@papercast.example>",
            "ca_file": str(smtp.ca_file),
            "to": READERS,
            "retry_backoff": 0,
        },
        publish={"email": True},
    )


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERCAST_RAISE")}
    env["PAPERCAST_HOME"] = str(home)
    return env


CMD = [sys.executable, "-m", "papercast", "run", "--week", WEEK]


def run_to_end(folder: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        CMD, cwd=folder, env=env_for(home), capture_output=True, text=True, timeout=120
    )


def kill_after(folder: Path, home: Path, stage: Stage, k: int) -> bool:
    """Start a run and SIGKILL it as the k-th request of ``stage`` arrives; False if it ended first."""
    target = stage.count() + k
    proc = subprocess.Popen(
        CMD, cwd=folder, env=env_for(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 90
    while stage.count() < target and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return killed


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def check_store(home: Path) -> None:
    with Database(home / "papercast.db") as db:
        assert db.query_one("PRAGMA integrity_check")[0] == "ok"
        one = lambda sql: db.query_one(sql)[0]  # noqa: E731
        assert one("SELECT COUNT(*) FROM papers") == PAPERS
        assert one("SELECT COUNT(*) FROM seen") == PAPERS
        assert one("SELECT COUNT(*) FROM summaries") == SUMMARIES
        assert one("SELECT COUNT(DISTINCT paper_id) FROM summaries") == SUMMARIES
        ok = db.query(
            "SELECT paper_id, COUNT(*) AS n FROM llm_calls WHERE status='ok' GROUP BY paper_id"
        )
        assert len(ok) == SUMMARIES and all(r["n"] == 1 for r in ok)  # billed once each
        assert one("SELECT COUNT(*) FROM issues") == 1
        assert one("SELECT stage FROM weekly") == "done"
        sends = db.query("SELECT address, status FROM email_sends")
        assert sorted((r["address"], r["status"]) for r in sends) == [
            (a, "sent") for a in sorted(READERS)
        ]


@pytest.mark.slow
@pytest.mark.timeout(1200)  # a hang guard: 6 min alone on a loaded 2-core machine
def test_killed_anywhere_the_rerun_finishes_to_identical_outputs(
    world: tuple[World, SmtpServer], tmp_path: Path
) -> None:
    w, smtp = world
    stages = [
        Stage("fetch", lambda: len(w.server.requests_to("/api/query"))),
        Stage("summarize", lambda: len(w.fake.completion_calls)),
        Stage("audio", lambda: len(w.fake.calls_to("/v1/audio/speech"))),
        Stage("export", lambda: sum(smtp.recorder.rcpt_attempts.values())),
    ]
    reference = tmp_path / "reference"
    configure(w, smtp, reference)
    counts = [s.count() for s in stages]
    ref = run_to_end(reference, tmp_path / "reference-home")
    assert ref.returncode == 0, ref.stderr
    for stage, before in zip(stages, counts, strict=True):
        stage.per_run = stage.count() - before
    assert [s.per_run for s in stages[:2]] == [PAPERS // 2, SUMMARIES] and stages[3].per_run == len(
        READERS
    )
    expected = digest(reference / "out" / WEEK)
    assert set(expected) == set(ISSUE_FILES)
    check_store(tmp_path / "reference-home")

    rng = random.Random(SEED)
    points = [(stage, rng.randint(1, stage.per_run)) for stage in stages for _ in range(2)]
    points += [
        (s, rng.randint(1, s.per_run)) for s in rng.sample(stages, KILL_POINTS - len(points))
    ]
    outcomes = []
    for i, (stage, k) in enumerate(points):
        folder, home = tmp_path / f"run{i}", tmp_path / f"home{i}"
        configure(w, smtp, folder)
        messages_before = len(smtp.recorder.messages)
        assert kill_after(folder, home, stage, k), (
            f"the run ended before the kill point {stage.name} #{k}"
        )
        rerun = run_to_end(folder, home)
        assert rerun.returncode == 0, (stage.name, k, rerun.stderr[-2000:])
        assert digest(folder / "out" / WEEK) == expected, (stage.name, k)
        assert listing(folder / "out") == listing(reference / "out"), (
            stage.name,
            k,
        )  # no leftovers
        check_store(home)
        received: dict[str, set[str]] = {}
        for m in smtp.recorder.messages[messages_before:]:
            message_id = str(email.message_from_bytes(m.content)["Message-ID"])
            for address in m.rcpt_tos:
                received.setdefault(address, set()).add(message_id)
        # each reader got the issue; killed between the server's "250 OK" and the store's
        # record, a reader gets it again, but as the same message (one Message-ID), which
        # mail clients show once
        assert sorted(received) == sorted(READERS), (stage.name, k, received)
        assert all(len(ids) == 1 for ids in received.values()), (stage.name, k, received)
        outcomes.append(f"{stage.name}#{k}")
    print("\nkilled at:", ", ".join(outcomes))
