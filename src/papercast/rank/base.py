"""The ranker interface every backend implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from papercast.models import Paper
from papercast.rank.models import Profile


@dataclass(frozen=True)
class Scored:
    """One score per candidate (higher is better) and one short reason each."""

    scores: NDArray[np.float64]
    why: list[str]


class Ranker(Protocol):
    name: str

    def score(self, candidates: Sequence[Paper], profile: Profile, explain: bool) -> Scored:
        """Score ``candidates`` for ``profile``; ``explain`` asks for the why strings."""
        ...
