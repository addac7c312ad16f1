"""Cutting a ranked list into highlights, also-noteworthy and dropped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from papercast.config import Settings
from papercast.rank.models import RankedPaper


@dataclass(frozen=True)
class Split:
    highlights: list[RankedPaper] = field(default_factory=list)
    noteworthy: list[RankedPaper] = field(default_factory=list)
    dropped: list[RankedPaper] = field(default_factory=list)


def split_ranked(ranked: Sequence[RankedPaper], settings: Settings) -> Split:
    """Top ``[issue] highlights`` papers, the next ``[issue] noteworthy``, the rest dropped.

    Papers scoring below ``[rank] min_score`` (when set) are dropped wherever they fall.
    """
    floor = settings.rank.min_score
    kept = [r for r in ranked if floor is None or r.score >= floor]
    below = [r for r in ranked if floor is not None and r.score < floor]
    n_high = settings.issue.highlights
    n_note = settings.issue.noteworthy
    return Split(
        highlights=kept[:n_high],
        noteworthy=kept[n_high : n_high + n_note],
        dropped=kept[n_high + n_note :] + below,
    )
