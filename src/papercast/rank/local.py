"""Local embeddings with sentence-transformers, when it is installed (no API, no key).

``[rank] backend = "local"`` embeds title+abstract with ``[rank] local_model`` (default
``sentence-transformers/all-MiniLM-L6-v2``; downloaded by sentence-transformers on first use)
and ranks exactly like the embeddings backend: same cache, same linear model, same why.
sentence-transformers (and PyTorch) are not papercast dependencies: install them yourself.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

from papercast.config import Settings
from papercast.errors import ConfigError
from papercast.rank.embeddings import Embedder, EmbeddingsRanker
from papercast.store.db import Database
from papercast.store.embeddings import EmbeddingStore


def load_encoder(model_name: str) -> Any:
    try:
        module = importlib.import_module("sentence_transformers")
    except ImportError:
        raise ConfigError(
            "the local ranking backend needs sentence-transformers, which is not installed",
            "pip install sentence-transformers, or use [rank] backend = 'tfidf' (no extra install)",
        ) from None
    try:
        return module.SentenceTransformer(model_name)
    except Exception as exc:  # any load failure: missing weights, offline, bad name
        raise ConfigError(
            f"cannot load the sentence-transformers model {model_name!r}: {exc}",
            "check [rank] local_model, or download the model once while online",
        ) from None


class LocalEmbedder(Embedder):
    """An Embedder whose vectors come from a local sentence-transformers model."""

    def __init__(self, encoder: Any, model: str, store: EmbeddingStore | None, batch: int) -> None:
        super().__init__(None, f"local:{model}", store, batch_size=batch)
        self.encoder = encoder

    def _request(self, texts: list[str]) -> list[NDArray[np.float32]]:
        vectors = self.encoder.encode(texts, batch_size=min(64, len(texts)), convert_to_numpy=True)
        self.requests += 1
        return [np.asarray(v, dtype=np.float32) for v in vectors]


def local_ranker(settings: Settings, db: Database | None) -> EmbeddingsRanker:
    name = settings.rank.local_model
    embedder = LocalEmbedder(
        load_encoder(name),
        name,
        EmbeddingStore(db) if db is not None else None,
        settings.rank.embedding_batch_size,
    )
    ranker = EmbeddingsRanker(
        embedder, settings.rank.recency_half_life_days, settings.rank.regularization
    )
    ranker.name = "local"
    return ranker
