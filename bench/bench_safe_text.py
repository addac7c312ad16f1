"""What making text safe where it enters costs: Paper validation with and without the check.

    python bench/bench_safe_text.py [--papers 2000] [--repeat 5]

Every seam model passes every string it is given through ``models.safe_text`` (issue 12). This
validates the same stored papers (JSON, as the store reads them back; half with non-ASCII
abstracts, some emoji) with the check and, as the same-run baseline, with it switched off,
alternating the two so a busy machine slows both alike. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/support

import papercast.models as models
from papercast.models import Paper
from papercast.sources.biorxiv import record_to_paper
from support.payloads import synthetic_biorxiv_records


def stored_papers(n: int) -> list[str]:
    records = synthetic_biorxiv_records(n, seed=12, since=date(2024, 10, 7), until=date(2024, 10, 13))  # fmt: skip
    for i, record in enumerate(records):
        if i % 2:
            record["abstract"] = record["abstract"].replace("the", "thé") + " Zoë’s — 数学 🧑‍🔬"
    return [record_to_paper(dict(r), "biorxiv").model_dump_json() for r in records]


def unchecked(value: Any) -> Any:
    """The baseline's ``safe_tree``: the same models, no check."""
    return value


def timed(blobs: list[str]) -> float:
    start = time.perf_counter()
    for blob in blobs:
        Paper.model_validate_json(blob)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    blobs = stored_papers(args.papers)
    real = models.safe_tree
    checked, baseline = [], []
    for _ in range(args.repeat):
        models.safe_tree = real
        checked.append(timed(blobs))
        models.safe_tree = unchecked
        baseline.append(timed(blobs))
    models.safe_tree = real
    best, base = min(checked), min(baseline)
    per_paper = (best - base) / len(blobs) * 1e6
    print(f"## Safe text ({len(blobs):,} stored papers, best of {args.repeat})\n")
    print("| validation | seconds | per paper | vs baseline |")
    print("|---|---:|---:|---:|")
    print(f"| without the check (baseline) | {base:.3f} | {base / len(blobs) * 1e6:.0f} µs | 1.00x |")  # fmt: skip
    print(f"| with `safe_text` on every string | {best:.3f} | {best / len(blobs) * 1e6:.0f} µs | {best / base:.2f}x |")  # fmt: skip
    print(f"\nThe check adds {per_paper:.0f} µs per paper validated.")


if __name__ == "__main__":
    main()
