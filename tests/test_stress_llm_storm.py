"""A 200-paper week through the real pipeline while the LLM server misbehaves (issue 8)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from papercast.config import load_settings
from papercast.layout import Layout
from papercast.pipeline import run_week
from papercast.sample.server import FixtureServer
from papercast.store import Database
from support.fake_openai import FakeCall, FakeOpenAI
from support.pipeline_world import SENTINEL_KEY, World, week_entries

WEEK = "2024-W41"
PAPERS = 200
COMPLETIONS = "/v1/chat/completions"
PAPER_ID = re.compile(r'<paper id="([^"]+)"')


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI(seed=1) as fake:
        w = World(server=server, fake=fake, entries=week_entries(PAPERS, server.url("/pdf/")))
        w.serve_arxiv()
        yield w


def storm(fake: FakeOpenAI) -> None:
    # each request independently: 20% 429 (Retry-After), 5% 500, 5% hang past the client
    # timeout, 5% a reply that is not the JSON asked for. (Checked in order, so the real
    # shares are 20%, 4%, 3.8%, 3.6% of requests.)
    fake.fail_randomly("429", 0.20, path=COMPLETIONS, retry_after=0.01)
    fake.fail_randomly("500", 0.05, path=COMPLETIONS)
    fake.fail_randomly("timeout", 0.05, path=COMPLETIONS)
    fake.fail_randomly("malformed", 0.05, path=COMPLETIONS)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_200_paper_week_survives_an_llm_fault_storm(world: World, tmp_path: Path) -> None:
    retries = 3
    config = world.write_config(
        tmp_path,
        # the "timeout" faults hang for 30 s; the client gives up after 3 s, which a healthy
        # reply from the in-process fake never takes, even on a loaded 2-core machine
        llm={"max_retries": retries, "timeout": 3.0, "max_concurrency": 16, "fulltext": False},
        issue={"highlights": 5, "noteworthy": PAPERS - 5},
        audio={"enabled": False},
        publish={"out_dir": str(tmp_path / "out"), "feed": False},
    )
    settings = load_settings(config)
    layout = Layout.from_settings(settings)
    storm(world.fake)

    report = run_week(settings, layout, week=WEEK)

    calls = world.fake.completion_calls
    faults = Counter(c.fault or "ok" for c in calls)
    # every paper is accounted for: summarized, or reported failed with a reason
    assert report.chosen == PAPERS
    assert report.summarized + len(report.failed) == PAPERS
    assert report.summarized >= PAPERS * 0.9
    assert all(reason for reason in report.failed.values())
    assert report.exit_code == (3 if report.failed else 0)
    # bounded: a paper is never asked more than (1 + retries) times per attempt chain; the
    # malformed-answer repair may add one more chain, so 2 x (1 + retries) is the hard cap
    per_paper = Counter(_paper_of(c) for c in calls)
    assert max(per_paper.values()) <= 2 * (1 + retries)
    assert len(calls) <= PAPERS * 2 * (1 + retries)
    # billed exactly once per successful summary, recorded exactly once
    with Database(layout.db_path) as db:
        ok = db.query(
            "SELECT paper_id, COUNT(*) AS n FROM llm_calls WHERE status='ok' GROUP BY paper_id"
        )
        stored = db.query("SELECT paper_id, COUNT(*) AS n FROM summaries GROUP BY paper_id")
        billed = db.query_one("SELECT COALESCE(SUM(cost_usd),0) AS c FROM llm_calls")
        assert db.query_one("PRAGMA integrity_check")[0] == "ok"
    assert {r["paper_id"] for r in ok} == {r["paper_id"] for r in stored}
    assert all(r["n"] == 1 for r in ok) and all(r["n"] == 1 for r in stored)
    assert len(stored) == report.summarized
    assert set(report.failed).isdisjoint({r["paper_id"] for r in stored})
    assert report.usage.input_tokens > 0 and billed["c"] > 0
    run_json = json.loads((tmp_path / "out" / WEEK / "run.json").read_text())
    assert run_json["summarized"] == report.summarized
    # reported: the run's model calls by outcome; each is one or more HTTP requests
    assert run_json["llm_calls"]["ok"] == report.summarized
    assert len(report.failed) <= sum(
        n for status, n in run_json["llm_calls"].items() if status != "ok"
    )
    assert (
        report.summarized + len(report.failed) <= sum(run_json["llm_calls"].values()) <= len(calls)
    )
    print(
        f"\nstorm: {len(calls)} completion requests for {PAPERS} papers; faults {dict(faults)}; "
        f"summarized {report.summarized}, failed {len(report.failed)}; max per paper {max(per_paper.values())}; failed: {report.failed}"
    )

    # the rerun retries only the failed papers, and pays for nothing twice
    world.fake.clear_faults()
    settings.llm.timeout = 60  # nothing hangs now: a slow reply must not become a retry
    before = len(world.fake.completion_calls)
    again = run_week(settings, layout, week=WEEK)
    assert again.exit_code == 0 and again.failed == {}
    assert len(world.fake.completion_calls) - before == len(report.failed)
    assert again.from_cache == report.summarized


def _paper_of(call: FakeCall) -> str:
    match = PAPER_ID.search(call.text())
    assert match, "every summary request names its paper"
    return match.group(1)
