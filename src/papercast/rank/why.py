"""Short human reasons for a ranking: the nearest past picks and the terms that matched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

TITLE_CHARS = 60
NEAREST_MIN_SIMILARITY = 0.05


def short_title(title: str, limit: int = TITLE_CHARS) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def compose(*, nearest: Sequence[str] = (), terms: Sequence[str] = (), prefix: str = "") -> str:
    """'like your pick "A" and "B"; terms: x, y' (parts left out when empty)."""
    parts = []
    if prefix:
        parts.append(prefix)
    if nearest:
        quoted = " and ".join(f'"{short_title(t)}"' for t in nearest)
        parts.append(f"like your pick{'s' if len(nearest) > 1 else ''} {quoted}")
    if terms:
        parts.append("terms: " + ", ".join(terms))
    return "; ".join(parts)


def top_terms(
    row: Any, weights: NDArray[np.float64], names: Sequence[str], k: int = 3
) -> list[str]:
    """The ``k`` features of a sparse row that push its score up the most."""
    return terms_from(row.indices, row.data, weights, names, k)


def terms_from(
    indices: NDArray[Any],
    data: NDArray[Any],
    weights: NDArray[np.float64],
    names: Sequence[str],
    k: int = 3,
) -> list[str]:
    """Like ``top_terms`` for one row given as (column indices, values)."""
    if len(indices) == 0:
        return []
    contrib = data * weights[indices]
    order = np.argsort(-contrib, kind="stable")
    chosen: list[str] = []
    for i in order:
        if contrib[i] <= 0 or len(chosen) == k:
            break
        term = str(names[indices[i]])
        if not _redundant(term, chosen):
            chosen.append(term)
    return chosen


def _redundant(term: str, chosen: list[str]) -> bool:
    """'positional' adds nothing next to 'positional encodings' (and the other way round)."""
    words = set(term.split())
    return any(words <= set(c.split()) or set(c.split()) <= words for c in chosen)


def nearest(
    similarities: NDArray[np.float64], titles: Sequence[str], k: int = 2
) -> list[list[str]]:
    """For each row of a (candidates x picks) similarity block, the ``k`` closest pick titles."""
    result: list[list[str]] = []
    if similarities.shape[1] == 0:
        return [[] for _ in range(similarities.shape[0])]
    top = np.argsort(-similarities, axis=1, kind="stable")[:, :k]
    for row, indices in zip(similarities, top, strict=True):
        result.append([titles[j] for j in indices if row[j] >= NEAREST_MIN_SIMILARITY])
    return result
