"""Every call to a speech engine: engine, voice, characters, audio seconds, time, cost."""

from __future__ import annotations

from typing import Any

from papercast.models import TTSCall
from papercast.store.db import Database, utcnow


class TTSCallStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, call: TTSCall, *, issue_id: str | None = None, words: int = 0) -> int:
        """One engine call; ``words``: how many words its audio speaks (for the rate)."""
        return self.db.execute(
            "INSERT INTO tts_calls (engine, voice, model, chars, audio_seconds, duration_ms, "
            "status, error, cost_usd, issue_id, created_at, words) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                call.engine,
                call.voice,
                call.model,
                call.chars,
                call.audio_seconds,
                call.duration_ms,
                call.status,
                call.error,
                call.cost_usd,
                issue_id,
                utcnow(),
                words,
            ),
        )

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM tts_calls ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(row) for row in rows]

    def rate(self, voice: str) -> tuple[int, float]:
        """(words, seconds of audio) this voice has spoken: its measured speaking rate."""
        row = self.db.query_one(
            "SELECT COALESCE(SUM(words), 0) AS words, COALESCE(SUM(audio_seconds), 0) AS seconds "
            "FROM tts_calls WHERE voice = ? AND status = 'ok' AND words > 0 "
            "AND audio_seconds > 0",
            (voice,),
        )
        return (int(row["words"]), float(row["seconds"])) if row else (0, 0.0)

    def totals(self) -> dict[str, Any]:
        row = self.db.query_one(
            "SELECT COUNT(*) AS calls, COALESCE(SUM(chars), 0) AS chars, "
            "COALESCE(SUM(audio_seconds), 0) AS audio_seconds, "
            "COALESCE(SUM(cost_usd), 0) AS cost_usd FROM tts_calls WHERE status = 'ok'"
        )
        return dict(row) if row else {}
