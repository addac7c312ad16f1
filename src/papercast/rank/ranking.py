"""rank_papers: the one function the CLI and the weekly run call to order candidates."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from papercast.config import Settings
from papercast.models import Paper
from papercast.rank.keywords import boost_matches
from papercast.rank.models import Profile, RankedPaper
from papercast.rank.registry import create_ranker
from papercast.store.db import Database

log = logging.getLogger(__name__)


def _timestamp(paper: Paper) -> float:
    when = paper.published or paper.updated
    return when.timestamp() if when else float("-inf")


def rank_papers(
    candidates: Sequence[Paper],
    profile: Profile,
    settings: Settings,
    *,
    db: Database | None = None,
    backend: str | None = None,
    explain: bool = True,
    run_id: int | None = None,
) -> list[RankedPaper]:
    """Best first. With no positive picks or history, falls back to interests, boosts, recency.

    ``db`` caches embeddings (the embeddings backend); ``explain=False`` skips the why strings
    for speed. Ties keep the newest paper first, then the input order. With
    ``[rank] llm_top_k`` > 0 an LLM re-scores the top K (see ``papercast.rank.llm_pass``).
    Model calls (embeddings, relevance) are logged in the store under ``run_id``.
    """
    if not candidates:
        return []
    name = backend or settings.rank.backend
    if not profile.has_positives:
        name = "keywords"
    ranker = create_ranker(name, settings, db, run_id)
    scored = ranker.score(candidates, profile, explain)
    boosts, labels = boost_matches(candidates, profile.boosts)
    scores = np.asarray(scored.scores, dtype=np.float64) + boosts
    whys = [
        "; ".join(part for part in (why, *extra) if part)
        for why, extra in zip(scored.why, labels, strict=True)
    ]
    recency = [_timestamp(p) for p in candidates]
    order = sorted(
        range(len(candidates)),
        key=lambda i: (-round(float(scores[i]), 9), -recency[i], i),
    )
    log.info("ranked %d candidates with the %s backend", len(candidates), ranker.name)
    ranked = [RankedPaper(paper=candidates[i], score=float(scores[i]), why=whys[i]) for i in order]
    if settings.rank.llm_top_k > 0:
        from papercast.rank.llm_pass import llm_rerank

        ranked = llm_rerank(ranked, profile, settings, db, run_id)
    return ranked
