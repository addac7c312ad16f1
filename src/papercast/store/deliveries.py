"""Which notice went to which channel: a rerun never posts the same issue twice.

A channel is stored as a digest of its URL (never the URL, which holds its secrets).
"""

from __future__ import annotations

from dataclasses import dataclass

from papercast.store.db import Database, utcnow


@dataclass(frozen=True)
class Delivery:
    issue_id: str
    channel: str
    event: str
    status: str  # "sent" | "failed"
    attempts: int
    error: str | None
    updated_at: str


class DeliveryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, issue_id: str, channel: str, event: str) -> Delivery | None:
        row = self.db.query_one(
            "SELECT * FROM channel_deliveries WHERE issue_id = ? AND channel = ? AND event = ?",
            (issue_id, channel, event),
        )
        return Delivery(**dict(row)) if row else None

    def was_sent(self, issue_id: str, channel: str, event: str) -> bool:
        record = self.get(issue_id, channel, event)
        return record is not None and record.status == "sent"

    def record(
        self,
        issue_id: str,
        channel: str,
        event: str,
        *,
        status: str,
        attempts: int,
        error: str | None = None,
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO channel_deliveries "
            "(issue_id, channel, event, status, attempts, error, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (issue_id, channel, event, status, attempts, error, utcnow()),
        )

    def for_issue(self, issue_id: str) -> list[Delivery]:
        rows = self.db.query(
            "SELECT * FROM channel_deliveries WHERE issue_id = ? ORDER BY channel, event",
            (issue_id,),
        )
        return [Delivery(**dict(r)) for r in rows]
