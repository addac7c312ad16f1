"""bench/rank_eval.py on a real reader's screening log: the split, the CLI runs, the report."""

from __future__ import annotations

import csv
import random
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "rank_eval.py"

LIKED = [
    "Language models {} in-context reasoning",
    "Scaling {} large language model pretraining",
    "Mechanistic interpretability of {} transformer circuits",
    "Chain-of-thought prompting {} language model agents",
]
OTHER = [
    "Protein {} folding with graph networks",
    "Robust {} control of quadrotor drones",
    "Crop yield {} estimation from satellite images",
    "Seismic {} inversion with physics priors",
    "Federated {} learning for hospital records",
]
WORDS = ["efficient", "sparse", "adaptive", "robust", "causal", "latent", "hierarchical", "fast"]


def _write_log(path: Path) -> None:
    """A screening log shaped like the real one: history before 2024-07-10, two scored days
    after (25 rows each), one later day too small to score."""
    rng = random.Random(7)
    rows = []
    days = [("2024-06-20", 40), ("2024-07-01", 40), ("2024-07-11", 25), ("2024-07-19", 25)]
    days.append(("2024-07-22", 3))
    number = 0
    for day, count in days:
        for i in range(count):
            liked = i % 5 == 0
            template = rng.choice(LIKED if liked else OTHER)
            number += 1
            rows.append(
                {
                    "title": template.format(rng.choice(WORDS)) + f" {number}",
                    "url": f"https://arxiv.org/abs/2407.{number:05d}",
                    "paper_date": day,
                    "screened_on": day,
                    "picked": int(liked),
                }
            )
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _run(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), "--skip-quality", "--skip-speed", "--skip-embeddings", *args],
        capture_output=True,
        text=True,
        timeout=timeout,  # a hang guard: a loaded machine is slow, never wrong
    )


def _row(output: str, method: str) -> tuple[float, float]:
    match = re.search(rf"^\| {re.escape(method)}[^|]* \| ([\d.]+) \| ([\d.]+) \|", output, re.M)
    assert match, f"no row for {method!r} in:\n{output}"
    return float(match.group(1)), float(match.group(2))


@pytest.mark.timeout(1000)
def test_real_reader_split_is_ranked_through_the_cli_against_same_run_baselines(
    tmp_path: Path,
) -> None:
    log = tmp_path / "screening.csv"
    _write_log(log)
    done = _run("--real-reader", str(log), "--skip-rolling")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout
    assert "80 history rows with 16 picks before 2024-07-10; 2 scored batches" in out
    assert "1 later days unscored" in out
    random_map, random_recall = _row(out, "random")
    tfidf_map, tfidf_recall = _row(out, "tfidf")
    plain_map, _ = _row(out, "plain TF-IDF+LR")
    _row(out, "keywords")
    # 5 picks in 25 rows: random's expected AP is about 0.2+; a learned profile of an
    # unmistakable topic puts all 5 on top.
    assert 0.1 < random_map < 0.45 and 0.1 < random_recall < 0.3
    assert tfidf_map > 0.9 and tfidf_recall == 1.0
    assert plain_map > 0.9
    for day in ("2024-07-11", "2024-07-19"):
        assert re.search(rf"^\| {day} \| 25 \| 5 \|", out, re.M), day
    assert "2024-07-22" not in out  # 3 rows: not scored
    assert "| tfidf, no dates, newest listing first |" in out
    assert "Rolling evaluation" not in out


def _write_backlog_log(path: Path) -> None:
    """Titles that say nothing (one pool of words); each screening day holds the newest
    listing (the day before) and a backlog listed three days earlier; the reader picks 3 of
    the 6 newest papers and never one of the 18 in the backlog."""
    rng = random.Random(3)
    rows = []
    number = 0
    for day in ("2024-06-20", "2024-07-01", "2024-07-11", "2024-07-19"):
        screened = datetime.fromisoformat(day)
        for age, count in ((1, 6), (3, 18)):
            picks = set(rng.sample(range(count), 3)) if age == 1 else set()
            for i in range(count):
                number += 1
                rows.append(
                    {
                        "title": " ".join(rng.sample(WORDS, 4)) + f" study {number}",
                        "url": f"https://arxiv.org/abs/2407.{number:05d}",
                        "paper_date": (screened - timedelta(days=age)).date().isoformat(),
                        "screened_on": day,
                        "picked": int(i in picks),
                    }
                )
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.timeout(1300)
def test_the_batch_features_gain_vanishes_when_the_dates_are_shuffled(tmp_path: Path) -> None:
    log = tmp_path / "screening.csv"
    _write_backlog_log(log)
    done = _run("--real-reader", str(log), timeout=1200)  # 17 runs of `papercast rank`
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout
    assert "2 scored batches" in out
    split, rolled = out.split("Rolling evaluation")
    dated, _ = _row(split, "tfidf (the default)")
    undated, _ = _row(split, "tfidf, no dates")
    shuffled, _ = _row(split, "tfidf, shuffled dates")
    # the 3 picks of each day are among its 6 newest (learned from the past): about 0.7;
    # without the real dates only the text is left, which says nothing: about 0.2
    assert dated > max(undated, shuffled) + 0.2
    assert "3 screening days from 2024-07-01 to 2024-07-19" in rolled
    rolled_dated, _ = _row(rolled, "tfidf, dates")
    rolled_shuffled, _ = _row(rolled, "tfidf, shuffled dates")
    assert rolled_dated > rolled_shuffled + 0.2
    assert re.search(r"^\| tfidf, dates - tfidf, no dates \| \+0\.\d+ \| \+0\.", rolled, re.M)


def test_missing_real_reader_data_says_where_it_looked(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "screening.csv"
    done = _run("--real-reader", str(missing))
    assert done.returncode == 0, done.stderr
    assert "real reader: skipped" in done.stdout
    assert str(missing) in done.stdout
    assert "--real-reader PATH" in done.stdout
