"""Cached text embeddings, keyed by (model, sha256 of the text): never paid for twice."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from papercast.store.db import Database, utcnow


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class EmbeddingStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        found: dict[str, NDArray[np.float32]] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.query(
                f"SELECT text_hash, vector FROM embeddings WHERE model = ? "
                f"AND text_hash IN ({marks})",
                (model, *chunk),
            )
            for row in rows:
                found[str(row["text_hash"])] = np.frombuffer(row["vector"], dtype=np.float32)
        return found

    def put_many(self, model: str, vectors: Mapping[str, NDArray[np.float32]]) -> None:
        now = utcnow()
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model, text_hash, dim, vector, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (model, key, int(vec.shape[0]), vec.astype(np.float32).tobytes(), now)
                    for key, vec in vectors.items()
                ],
            )

    def count(self, model: str | None = None) -> int:
        if model is None:
            row = self.db.query_one("SELECT COUNT(*) AS n FROM embeddings")
        else:
            row = self.db.query_one(
                "SELECT COUNT(*) AS n FROM embeddings WHERE model = ?", (model,)
            )
        return int(row["n"]) if row else 0
