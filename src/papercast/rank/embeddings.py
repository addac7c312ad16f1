"""Embeddings ranker: any OpenAI-compatible /v1/embeddings endpoint, cached in the store.

Texts are embedded in batches with the ``openai`` SDK (``text-embedding-3-small`` by default;
``[rank] embedding_base_url`` or ``[llm] base_url`` points it at Ollama, vLLM, a proxy...),
each vector is stored under (model, sha256(text)) so a paper is embedded once, ever. The same
class-weighted, recency-weighted linear model as the TF-IDF ranker is trained on the vectors;
the why names the nearest past picks by cosine similarity.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import openai
from numpy.typing import NDArray

from papercast.config import Settings
from papercast.errors import PapercastError
from papercast.llm.client import Endpoint, call_status, endpoint, translate
from papercast.models import CallLog, CallStatus, Paper
from papercast.rank.base import Scored
from papercast.rank.freshness import freshness_columns
from papercast.rank.models import Profile
from papercast.rank.training import build_training_set, fit_scores
from papercast.rank.why import compose, nearest
from papercast.store.calls import CallStore
from papercast.store.db import Database
from papercast.store.embeddings import EmbeddingStore, text_hash

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 8000  # well under the 8k-token input limit of text-embedding-3-*


class EmbeddingError(PapercastError):
    """The embeddings endpoint failed after its retries."""


class Embedder:
    """Text -> unit vectors through the OpenAI SDK, with a store (or in-memory) cache."""

    def __init__(
        self,
        client: Any,  # an openai.OpenAI (None for a local encoder)
        model: str,
        store: EmbeddingStore | None,
        batch_size: int = 256,
        price_per_mtok: float = 0.0,
        where: Endpoint | None = None,
        calls: CallStore | None = None,
    ) -> None:
        self.client = client
        self.where = where
        self.calls = calls
        self.model = model
        self.store = store
        self.batch_size = batch_size
        self.price_per_mtok = price_per_mtok
        self.memory: dict[str, NDArray[np.float32]] = {}
        self.requests = 0

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        clipped = [t[:MAX_TEXT_CHARS] or " " for t in texts]
        hashes = [text_hash(t) for t in clipped]
        vectors = {h: v for h, v in self.memory.items() if h in set(hashes)}
        wanted = [h for h in dict.fromkeys(hashes) if h not in vectors]
        if wanted and self.store is not None:
            vectors.update(self.store.get_many(self.model, wanted))
        by_hash = dict(zip(hashes, clipped, strict=True))
        todo = [h for h in dict.fromkeys(hashes) if h not in vectors]
        for start in range(0, len(todo), self.batch_size):
            batch = todo[start : start + self.batch_size]
            fresh = self._request([by_hash[h] for h in batch])
            new = dict(zip(batch, fresh, strict=True))
            if self.store is not None:
                self.store.put_many(self.model, new)
            vectors.update(new)
        self.memory.update(vectors)
        matrix = np.vstack([vectors[h] for h in hashes]).astype(np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return np.asarray(matrix / np.where(norms == 0, 1.0, norms), dtype=np.float32)

    def _request(self, texts: list[str]) -> list[NDArray[np.float32]]:
        started = time.monotonic()
        try:
            response = self.client.embeddings.create(model=self.model, input=texts)
        except openai.OpenAIError as exc:
            assert self.where is not None  # a client comes with its endpoint
            error = translate(exc, self.where, self.model)
            self._log(0, started, call_status(exc), error.message)
            raise EmbeddingError(
                error.message, f"{error.hint or 'check the server'}; or use backend = 'tfidf'"
            ) from None
        self.requests += 1
        data = sorted(response.data, key=lambda d: d.index)
        if len(data) != len(texts):
            self._log(0, started, "error", "count mismatch")
            raise EmbeddingError(
                f"asked for {len(texts)} embeddings, got {len(data)}",
                "the endpoint is not OpenAI-compatible; use backend = 'tfidf'",
            )
        tokens = int(getattr(response.usage, "prompt_tokens", 0) or 0)
        self._log(tokens, started, "ok")
        return [np.asarray(d.embedding, dtype=np.float32) for d in data]

    def _log(
        self, tokens: int, started: float, status: CallStatus, error: str | None = None
    ) -> None:
        if self.calls is None:
            return
        call = CallLog(
            model=self.model,
            purpose="embedding",
            status=status,
            input_tokens=tokens,
            cost_usd=tokens * self.price_per_mtok / 1e6,
            duration_ms=int((time.monotonic() - started) * 1000),
            error=error,
        )
        self.calls.log(call)


class EmbeddingsRanker:
    name = "embeddings"

    def __init__(
        self, embedder: Embedder, half_life_days: float = 365.0, regularization: float = 0.3
    ) -> None:
        self.embedder = embedder
        self.half_life_days = half_life_days
        self.regularization = regularization

    @classmethod
    def from_settings(
        cls, settings: Settings, db: Database | None, run_id: int | None = None
    ) -> EmbeddingsRanker:
        where = endpoint(settings, "embedding")
        embedder = Embedder(
            where.client(),
            settings.rank.embedding_model,
            EmbeddingStore(db) if db is not None else None,
            settings.rank.embedding_batch_size,
            settings.rank.embedding_price,
            where,
            CallStore(db, run_id) if db is not None else None,
        )
        return cls(embedder, settings.rank.recency_half_life_days, settings.rank.regularization)

    def score(self, candidates: Sequence[Paper], profile: Profile, explain: bool) -> Scored:
        training = build_training_set(profile, len(candidates), self.half_life_days)
        items = self.embedder.embed([item.text for item in training.items])
        cand = self.embedder.embed([paper.text_for_matching for paper in candidates])
        train = np.vstack([items, cand]) if training.background else items
        fresh = freshness_columns(training.items, train.shape[0] - len(items), candidates)
        if fresh is not None:  # the batch features, learned with the vectors
            train = np.hstack([train, fresh.train])
        scoring = cand if fresh is None else np.hstack([cand, fresh.candidates])
        scores, _ = fit_scores(train, training, scoring, self.regularization)
        whys = [""] * len(candidates)
        if explain:
            picks = [
                i for i, it in enumerate(training.items) if it.picked and it.origin != "interests"
            ]
            sims = np.asarray(cand @ items[picks].T, dtype=np.float64)
            titles = [training.items[i].title for i in picks]
            whys = [compose(nearest=n) or "no close past pick" for n in nearest(sims, titles)]
        return Scored(scores, whys)
