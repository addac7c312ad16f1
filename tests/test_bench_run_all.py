"""bench/run_all.py keeps working: machine header, same-run baseline, one row per benchmark."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(120)
def test_run_all_quick_writes_a_report_with_machine_info_and_ratios(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run_all.py"),
            "--quick",
            "--only",
            "pdf",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = out.read_text()
    for needle in (
        "- CPU:",
        "- OS:",
        "Python",
        "- libraries: papercast",
        "Baseline: fixed CPU workload",
    ):
        assert needle in report, needle
    row = next(line for line in report.splitlines() if line.startswith("| pdf |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    seconds, ratio, rss, code = float(cells[2]), float(cells[3]), int(cells[4]), int(cells[5])
    assert seconds > 0 and ratio > 0 and rss > 0 and code == 0
    assert "| pypdfium2 |" in report  # the script's own table follows
