"""Fetch benchmark: a synthetic week of 5,000 arXiv entries served from 127.0.0.1.

Compares, in the same run, `papercast fetch`'s paging (large pages) with the naive
page-size-1 approach: requests made, wall time, peak memory (tracemalloc, separate pass),
and Atom parsing throughput of the arxiv package's lxml parser against feedparser.

    python bench/bench_fetch.py [--entries 5000]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

import feedparser
from arxiv import _feed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/support

from papercast.config import load_settings
from papercast.fetch import fetch_window
from papercast.models import DateWindow
from papercast.sample.server import FixtureServer
from papercast.store import Database
from support.payloads import ArxivApiHandler, ArxivEntry, arxiv_atom, synthetic_arxiv_week

WEEK = DateWindow(since=date(2024, 10, 7), until=date(2024, 10, 13), label="2024-W41")


def one_fetch(
    entries: list[ArxivEntry], page_size: int, *, trace: bool = False
) -> dict[str, float]:
    with FixtureServer() as server, tempfile.TemporaryDirectory() as tmp:
        handler = ArxivApiHandler(entries)
        server.route("/api/query", handler)
        settings = load_settings(
            overrides={
                "arxiv": {
                    "api_url": server.url("/api/query"),
                    "delay_seconds": 0,
                    "page_size": page_size,
                    "categories": ["cs.LG", "cs.CL", "cs.AI"],
                }
            }
        )
        db = Database(Path(tmp) / "bench.db")
        if trace:
            tracemalloc.start()
        start = time.perf_counter()
        report = fetch_window(WEEK, settings=settings, db=db)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        if trace:
            tracemalloc.stop()
        db.close()
        assert report.sources[0].fetched == len(entries), report.sources[0]
        return {"requests": handler.requests, "seconds": seconds, "peak_mb": peak / 2**20}


def parse_throughput(entries: list[ArxivEntry], repeat: int = 3) -> tuple[float, float]:
    n = min(1000, len(entries))  # one API page of at most 1,000 entries
    page = arxiv_atom(entries[:n], total=len(entries), start=0, per_page=n)
    best_lxml = best_fp = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        parsed = _feed.parse(page)
        best_lxml = min(best_lxml, time.perf_counter() - start)
        assert len(parsed.results) == n
        start = time.perf_counter()
        fp = feedparser.parse(page)
        best_fp = min(best_fp, time.perf_counter() - start)
        assert len(fp.entries) == n
    return n / best_lxml, n / best_fp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    entries = synthetic_arxiv_week(args.entries, seed=7, since=WEEK.since, until=WEEK.until)
    paged = one_fetch(entries, args.page_size)
    naive = one_fetch(entries, 1)
    paged_mem = one_fetch(entries, args.page_size, trace=True)["peak_mb"]
    naive_mem = one_fetch(entries, 1, trace=True)["peak_mb"]
    lxml_rate, fp_rate = parse_throughput(entries)
    polite = 3.0
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print("| approach | requests | wall time | peak memory | at arXiv's 3 s rule |")
    print("|---|---:|---:|---:|---:|")
    for name, row, mem in (
        (f"papercast (page size {args.page_size})", paged, paged_mem),
        ("naive (page size 1)", naive, naive_mem),
    ):
        wait = (row["requests"] - 1) * polite
        waiting = f"{wait / 3600:.2f} h" if wait > 3600 else f"{wait:.0f} s"
        print(
            f"| {name} | {row['requests']:,} | {row['seconds']:.2f} s | {mem:.1f} MB "
            f"| ≥ {waiting} |"
        )
    print(
        f"\nratio naive/papercast: {naive['requests'] / paged['requests']:.0f}x requests, "
        f"{naive['seconds'] / paged['seconds']:.1f}x wall time (local server, no delay)"
    )
    print(
        f"parsing: arxiv (lxml) {lxml_rate:,.0f} entries/s vs feedparser {fp_rate:,.0f} entries/s "
        f"({lxml_rate / fp_rate:.1f}x)"
    )


if __name__ == "__main__":
    main()
