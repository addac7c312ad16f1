"""Where a paper sat in the batch the reader screened: features learned beside the text.

A reader screens batches: a day's listing, a week's issue. A batch often carries more than
the newest listing: papers from earlier listings that the reader never looked at (the backlog
since the last screening), papers added by hand, papers shown before and passed over. How
often the reader picks each kind is a habit of theirs that titles cannot tell, so the ranker
learns it from the history, like the weight of a word:

- **age in the batch**: whole days between the paper's date and the newest paper's date in
  the same batch, in four bins (0, 1-2, 3-7, 8 or more days);
- **seen**: the reader was shown the paper in an earlier batch.

A history item's batch is its screening day (``screened_on``) or its issue; a candidate's
batch is the candidates ranked together. A paper without a date or a batch gets zeros (no
evidence either way), so a profile without batch information learns nothing from these
columns and they change no score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from papercast.models import Paper
from papercast.rank.models import ProfileItem

# (first day, last day, label): days behind the newest paper of the same batch
AGE_BINS: tuple[tuple[int, int, str], ...] = (
    (0, 0, "newest listing of the batch"),
    (1, 2, "1-2 days older than the batch's newest"),
    (3, 7, "3-7 days older than the batch's newest"),
    (8, 1 << 30, "8+ days older than the batch's newest"),
)
SEEN_LABEL = "shown to you before"
COLUMNS = len(AGE_BINS) + 1
WHY_MIN_EFFECT = 0.5  # a freshness column joins the why when it moves the margin this much
_TITLE_KEY = re.compile(r"[^a-z0-9]+")


def title_key(title: str) -> str:
    return _TITLE_KEY.sub(" ", title.lower()).strip()


def batch_ages(days: Sequence[date | None], batches: Sequence[str | None]) -> list[int | None]:
    """Whole days behind the newest dated paper of the same batch (None: no date or batch)."""
    newest: dict[str, date] = {}
    for day, batch in zip(days, batches, strict=True):
        if day is not None and batch is not None:
            newest[batch] = max(day, newest.get(batch, day))
    return [
        (newest[batch] - day).days if day is not None and batch is not None else None
        for day, batch in zip(days, batches, strict=True)
    ]


def _bin(age: int | None) -> int | None:
    if age is None:
        return None
    for index, (low, high, _) in enumerate(AGE_BINS):
        if low <= age <= high:
            return index
    return None  # a paper dated after the newest: cannot happen, but no evidence then


def rows(ages: Sequence[int | None], seen: Sequence[bool]) -> NDArray[np.float64]:
    """One row per paper: a one-hot age bin (or none) and the seen flag."""
    matrix = np.zeros((len(ages), COLUMNS))
    for i, (age, was_seen) in enumerate(zip(ages, seen, strict=True)):
        column = _bin(age)
        if column is not None:
            matrix[i, column] = 1.0
        matrix[i, -1] = 1.0 if was_seen else 0.0
    return matrix


def item_rows(items: Sequence[ProfileItem]) -> NDArray[np.float64]:
    days = [item.paper_date.date() if item.paper_date else None for item in items]
    ages = batch_ages(days, [item.batch for item in items])
    return rows(ages, [item.shown_before for item in items])


def candidate_rows(
    candidates: Sequence[Paper], items: Sequence[ProfileItem]
) -> NDArray[np.float64]:
    """The candidates form one batch; a candidate is seen when the profile holds it already."""
    ids = {item.paper_id for item in items if item.paper_id}
    titles = {title_key(item.title) for item in items if item.origin != "interests"}
    stamps = [p.published or p.updated for p in candidates]
    days = [stamp.date() if stamp else None for stamp in stamps]
    ages = batch_ages(days, ["candidates"] * len(candidates))
    seen = [p.id in ids or title_key(p.title) in titles for p in candidates]
    return rows(ages, seen)


@dataclass(frozen=True)
class FreshnessColumns:
    """The feature rows for training (items, then zeros for any background rows) and scoring."""

    train: NDArray[np.float64]
    candidates: NDArray[np.float64]


def freshness_columns(
    items: Sequence[ProfileItem], n_background: int, candidates: Sequence[Paper]
) -> FreshnessColumns | None:
    """None when no profile item carries batch information: nothing to learn from."""
    item_matrix = item_rows(items)
    if not item_matrix.any():
        return None
    background = np.zeros((n_background, COLUMNS))  # stand-in negatives: no evidence
    return FreshnessColumns(np.vstack([item_matrix, background]), candidate_rows(candidates, items))


def explain(matrix: NDArray[np.float64], coef: NDArray[np.float64]) -> list[str]:
    """For each candidate, the freshness columns that moved its score by ``WHY_MIN_EFFECT``."""
    labels = [label for _, _, label in AGE_BINS] + [SEEN_LABEL]
    whys = []
    for row in matrix:
        parts = [
            f"{label} ({'often' if weight > 0 else 'rarely'} picked)"
            for label, value, weight in zip(labels, row, coef, strict=True)
            if value and abs(weight) >= WHY_MIN_EFFECT
        ]
        whys.append("; ".join(parts))
    return whys
