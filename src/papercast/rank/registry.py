"""Rankers by name (``[rank] backend``): the built-ins, or a plugin's (``papercast.plugins``).

A factory gets the settings, the store (embedding cache, call log) and the run the calls belong to.
"""

from __future__ import annotations

from papercast.config import RANK_BACKEND, Settings
from papercast.plugins import Registry
from papercast.rank.base import Ranker
from papercast.store.db import Database


def _tfidf(settings: Settings, db: Database | None, run_id: int | None) -> Ranker:
    from papercast.rank.tfidf import TfidfRanker

    return TfidfRanker(settings.rank.recency_half_life_days, settings.rank.regularization)


def _hybrid(settings: Settings, db: Database | None, run_id: int | None) -> Ranker:
    from papercast.rank.static import HybridRanker

    return HybridRanker(
        settings.rank.recency_half_life_days,
        settings.rank.regularization,
        settings.rank.static_model_dir,
    )


def _keywords(settings: Settings, db: Database | None, run_id: int | None) -> Ranker:
    from papercast.rank.keywords import KeywordRanker

    return KeywordRanker()


def _embeddings(settings: Settings, db: Database | None, run_id: int | None) -> Ranker:
    from papercast.rank.embeddings import EmbeddingsRanker

    return EmbeddingsRanker.from_settings(settings, db, run_id)


def _local(settings: Settings, db: Database | None, run_id: int | None) -> Ranker:
    from papercast.rank.local import local_ranker

    return local_ranker(settings, db)


RANKERS: Registry[[Settings, Database | None, int | None], Ranker] = Registry(
    RANK_BACKEND,
    {
        "tfidf": _tfidf,
        "hybrid": _hybrid,
        "keywords": _keywords,
        "embeddings": _embeddings,
        "local": _local,
    },
)


def create_ranker(
    name: str, settings: Settings, db: Database | None = None, run_id: int | None = None
) -> Ranker:
    """The ranker ``name`` (``[rank] backend``); ``db`` caches and logs its model calls."""
    return RANKERS.create(name, settings, db, run_id)
