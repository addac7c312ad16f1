"""Ranking backends found by name (``[rank] backend``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from papercast.config import Settings
from papercast.errors import ConfigError
from papercast.rank.base import Ranker
from papercast.store.db import Database

Factory = Callable[[Settings, Database | None], Ranker]


def _tfidf(settings: Settings, db: Database | None) -> Ranker:
    from papercast.rank.tfidf import TfidfRanker

    return TfidfRanker(settings.rank.recency_half_life_days, settings.rank.regularization)


def _hybrid(settings: Settings, db: Database | None) -> Ranker:
    from papercast.rank.static import HybridRanker

    return HybridRanker(
        settings.rank.recency_half_life_days,
        settings.rank.regularization,
        settings.rank.static_model_dir,
    )


def _keywords(settings: Settings, db: Database | None) -> Ranker:
    from papercast.rank.keywords import KeywordRanker

    return KeywordRanker()


def _embeddings(settings: Settings, db: Database | None) -> Ranker:
    from papercast.rank.embeddings import EmbeddingsRanker

    return EmbeddingsRanker.from_settings(settings, db)


def _local(settings: Settings, db: Database | None) -> Ranker:
    from papercast.rank.local import local_ranker

    return local_ranker(settings, db)


BACKENDS: Mapping[str, Factory] = MappingProxyType(
    {
        "tfidf": _tfidf,
        "hybrid": _hybrid,
        "keywords": _keywords,
        "embeddings": _embeddings,
        "local": _local,
    }
)


def backend_names() -> list[str]:
    return sorted(BACKENDS)


def build_ranker(name: str, settings: Settings, db: Database | None = None) -> Ranker:
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise ConfigError(
            f"unknown ranking backend {name!r}", f"use one of: {', '.join(backend_names())}"
        ) from None
    return factory(settings, db)
