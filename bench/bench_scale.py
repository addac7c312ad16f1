"""Scale: 5,000 candidates and 500 summaries through the weekly pipeline (issue 8).

A synthetic arXiv week of N entries (support.payloads, paged by the real client) and
the fake OpenAI server (summaries and TTS) on 127.0.0.1; ``run_week`` does everything: fetch,
store, rank, summarize, assemble, audio, render, export. Each configuration runs in a fresh
subprocess, so its peak RSS is its own (``os.wait4``).

Same-run baseline: the same pipeline at one tenth of the size (500 candidates, 50 summaries);
the ratio says how the run scales (10x would be linear). A rerun of the big week (everything
from the caches: no LLM or TTS call) is measured too.

    python bench/bench_scale.py [--candidates 5000] [--summaries 500] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

WEEK = "2024-W41"


def worker(candidates: int, summaries: int, latency: float, audio: bool) -> dict[str, object]:
    """One pipeline run (and its idempotent rerun) in this process; returns the figures."""
    from papercast.config import load_settings
    from papercast.layout import Layout
    from papercast.pipeline import run_week
    from papercast.sample.server import FixtureServer

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/support
    from support.fake_openai import FakeOpenAI
    from support.payloads import ArxivApiHandler, synthetic_arxiv_week

    entries = synthetic_arxiv_week(
        candidates, seed=8, since=date(2024, 10, 7), until=date(2024, 10, 13), categories=["cs.LG"]
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        FixtureServer() as server,
        FakeOpenAI(latency=latency) as fake,
    ):
        server.route("/api/query", ArxivApiHandler(entries))
        os.environ["OPENAI_API_KEY"] = "sk-bench"
        settings = load_settings(
            overrides={
                "home": Path(tmp) / "home",
                "arxiv": {
                    "api_url": server.url("/api/query"),
                    "delay_seconds": 0,
                    "categories": ["cs.LG"],
                    "page_size": 1000,
                },
                "llm": {"base_url": fake.base_url, "fulltext": False, "max_concurrency": 8},
                "issue": {"highlights": 5, "noteworthy": summaries - 5},
                "audio": {
                    "enabled": audio,
                    "engine": "openai",
                    "base_url": fake.base_url,
                    "openai_model": "tts-1",
                    "workers": 2,
                },
                "podcast": {"base_url": "https://podcast.example.org"},
                "publish": {"out_dir": Path(tmp) / "out"},
            }
        )
        layout = Layout.from_settings(settings)
        start = time.perf_counter()
        report = run_week(settings, layout, week=WEEK)
        first = time.perf_counter() - start
        calls = len(fake.calls)
        start = time.perf_counter()
        again = run_week(settings, layout, week=WEEK)
        rerun = time.perf_counter() - start
        assert report.exit_code == 0 and again.exit_code == 0, (report.error, again.error)
        assert report.candidates == candidates and report.summarized == summaries, report
        return {
            "candidates": report.candidates,
            "summaries": report.summarized,
            "seconds": round(first, 2),
            "stages": {s.stage: s.seconds for s in report.stages},
            "requests": calls + sum(s.requests for s in report.sources),
            "rerun_seconds": round(rerun, 2),
            "rerun_requests": len(fake.calls) - calls,
            "db_mb": round(layout.db_path.stat().st_size / 2**20, 1),
        }


def measure(candidates: int, summaries: int, latency: float, audio: bool) -> dict[str, object]:
    """Run a worker subprocess; add its peak RSS."""
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        str(candidates),
        str(summaries),
        "--latency",
        str(latency),
    ]
    if not audio:
        cmd.append("--no-audio")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"worker failed ({proc.returncode}): {out[-2000:]}")
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--summaries", type=int, default=500)
    parser.add_argument(
        "--latency", type=float, default=0.02, help="fake server seconds per request"
    )
    parser.add_argument("--no-audio", action="store_true")
    parser.add_argument("--worker", nargs=2, type=int, metavar=("CANDIDATES", "SUMMARIES"))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.worker:
        candidates, summaries = args.worker
        print(json.dumps(worker(candidates, summaries, args.latency, not args.no_audio)))
        return
    base = measure(args.candidates // 10, args.summaries // 10, args.latency, not args.no_audio)
    full = measure(args.candidates, args.summaries, args.latency, not args.no_audio)
    if args.json:
        print(json.dumps({"baseline": base, "full": full}))
        return
    print(
        f"fake server latency {args.latency * 1000:.0f} ms per request; [llm] max_concurrency 8; audio {'on' if not args.no_audio else 'off'}"
    )
    print(
        "| run | candidates | summaries | wall s | vs baseline | requests | peak RSS MB | store MB | rerun s (requests) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in (("baseline (1/10)", base), ("full", full)):
        ratio = float(r["seconds"]) / float(base["seconds"])  # type: ignore[arg-type]
        print(
            f"| {name} | {r['candidates']:,} | {r['summaries']:,} | {r['seconds']} | {ratio:.1f}x | "
            f"{r['requests']:,} | {r['peak_rss_mb']} | {r['db_mb']} | {r['rerun_seconds']} ({r['rerun_requests']}) |"
        )
    stages = full["stages"]
    assert isinstance(stages, dict)
    print("full run, seconds per stage: " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))


if __name__ == "__main__":
    main()
