"""Summarize N papers against the fake OpenAI server with fixed latency, same run:

    python bench/bench_summarize.py [--papers 100] [--latency 0.3]

1. default concurrency ([llm] max_concurrency = 8) vs sequential (max_concurrency = 1),
   reported as a ratio and against the floor N x latency / concurrency;
2. a rerun of the same papers: requests made (must be 0) and wall time.

Everything runs through the real code path: summarize_papers -> openai SDK -> HTTP -> fake.
Abstract-only (fulltext off) so the measurement is the LLM layer, not PDF downloads.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # tests/support

from papercast.config import load_settings  # noqa: E402
from papercast.layout import Layout  # noqa: E402
from papercast.models import Paper  # noqa: E402
from papercast.store import Database  # noqa: E402
from papercast.summarize import SummarizeRequest, summarize_papers  # noqa: E402
from support.fake_openai import FakeOpenAI  # noqa: E402


def papers(n: int) -> list[Paper]:
    return [
        Paper(
            id=f"arxiv:2401.{i:05d}",
            source="arxiv",
            title=f"Benchmark paper {i}",
            abstract=(
                f"We propose method {i} for sequence modelling. It improves perplexity by {i}.5% "
                "over a transformer baseline on WikiText-103. However, it needs more memory."
            ),
        )
        for i in range(n)
    ]


def timed(fake: FakeOpenAI, home: Path, batch: list[Paper], concurrency: int) -> tuple[float, int]:
    os.environ["PAPERCAST_HOME"] = str(home)
    settings = load_settings(
        overrides={
            "llm": {
                "base_url": fake.base_url,
                "api_key": "sk-bench",
                "fulltext": False,
                "max_concurrency": concurrency,
            }
        }
    )
    layout = Layout.from_settings(settings)
    layout.ensure()
    with Database(layout.db_path) as db:
        started = time.perf_counter()
        result = summarize_papers(SummarizeRequest(batch, settings, db, layout))
        elapsed = time.perf_counter() - started
    assert not result.failures, result.failures
    return elapsed, result.requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()
    batch = papers(args.papers)
    import openai  # noqa: F401  # the one-time SDK import (~1 s) is start-up, not per-run work

    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI(latency=args.latency) as fake:
        concurrent, requests = timed(fake, Path(tmp) / "a", batch, 8)
        in_flight = fake.max_in_flight
        rerun, rerun_requests = timed(fake, Path(tmp) / "a", batch, 8)
        sequential, _ = timed(fake, Path(tmp) / "b", batch, 1)
    floor = args.papers * args.latency / 8
    print(f"{args.papers} papers, fake server latency {args.latency * 1000:.0f} ms")
    print("| run | wall s | requests | note |")
    print("|---|---:|---:|---|")
    print(f"| sequential (concurrency 1) | {sequential:.2f} | {args.papers} | baseline |")
    print(
        f"| default (concurrency 8) | {concurrent:.2f} | {requests} | "
        f"{sequential / concurrent:.1f}x faster; floor {floor:.2f} s "
        f"(x{concurrent / floor:.2f}); max in flight {in_flight} |"
    )
    print(f"| rerun, same papers | {rerun:.2f} | {rerun_requests} | all from the cache |")


if __name__ == "__main__":
    main()
