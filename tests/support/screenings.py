"""Synthetic screening logs for the batch features: titles that say nothing, picks that
depend only on a paper's age in its batch."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from papercast.models import Paper
from papercast.rank import Profile, ProfileItem

START = datetime(2024, 6, 1, tzinfo=UTC)
# topic-free titles: the words say nothing about what the reader picks
WORDS = [
    "model",
    "data",
    "method",
    "learning",
    "network",
    "results",
    "approach",
    "analysis",
    "framework",
    "task",
]


def title(rng: random.Random, n: int) -> str:
    return " ".join(rng.sample(WORDS, 5)) + f" number {n}"


def screenings(picked_age: int, n_batches: int = 12, seed: int = 0) -> list[dict[str, object]]:
    """Batches of 8 papers of the newest listing day and 8 two days older (the backlog); the
    reader picks 3 papers of age ``picked_age`` in each batch, the rest is passed over."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for b in range(n_batches):
        screened = START + timedelta(days=3 * b)
        newest = screened - timedelta(days=1)
        for age in (0, 2):
            picks = set(rng.sample(range(8), 3)) if age == picked_age else set()
            for k in range(8):
                rows.append(
                    {
                        "title": title(rng, len(rows)),
                        "paper_date": (newest - timedelta(days=age)).date().isoformat(),
                        "screened_on": screened.date().isoformat(),
                        "picked": int(k in picks),
                    }
                )
    return rows


def profile_of(rows: list[dict[str, object]], with_batches: bool = True) -> Profile:
    items = []
    for row in rows:
        screened = datetime.fromisoformat(str(row["screened_on"])).replace(tzinfo=UTC)
        items.append(
            ProfileItem(
                title=str(row["title"]),
                picked=bool(row["picked"]),
                when=screened,
                paper_date=datetime.fromisoformat(str(row["paper_date"])).replace(tzinfo=UTC)
                if with_batches
                else None,
                batch=str(row["screened_on"]) if with_batches else None,
            )
        )
    return Profile(items=items)


def week(seed: int = 99) -> list[Paper]:
    """The batch to rank: 10 papers of the newest day, 10 two days older, interleaved."""
    rng = random.Random(seed)
    newest = START + timedelta(days=60)
    return [
        Paper(
            id=f"local:{i}",
            source="local",
            title=title(rng, 1000 + i),
            published=newest - timedelta(days=2 * (i % 2)),
        )
        for i in range(20)
    ]


def newest_share_of_top(ranked: list[object], k: int = 10) -> int:
    top = ranked[:k]
    return sum(int(r.paper.short_id) % 2 == 0 for r in top)  # type: ignore[attr-defined]
