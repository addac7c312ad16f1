"""LLM relevance scores, keyed by (model, prompt+profile hash, paper text hash): asked once."""

from __future__ import annotations

from collections.abc import Mapping

from papercast.store.db import Database, utcnow


class RelevanceStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, model: str, prompt_hash: str, text_hash: str) -> int | None:
        row = self.db.query_one(
            "SELECT relevance FROM llm_relevance WHERE model = ? AND prompt_hash = ? "
            "AND text_hash = ?",
            (model, prompt_hash, text_hash),
        )
        return int(row["relevance"]) if row else None

    def put_many(self, model: str, prompt_hash: str, values: Mapping[str, int]) -> None:
        """Store ``{text hash: relevance}`` for one model and prompt, in one transaction."""
        now = utcnow()
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO llm_relevance (model, prompt_hash, text_hash, relevance, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                [(model, prompt_hash, key, value, now) for key, value in values.items()],
            )
