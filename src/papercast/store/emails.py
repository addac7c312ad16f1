"""Which issue went to which address: so an issue is never sent twice to anyone."""

from __future__ import annotations

from dataclasses import dataclass

from papercast.store.db import Database, utcnow


@dataclass(frozen=True)
class SendRecord:
    issue_id: str
    address: str
    status: str  # "sending" (a run stopped during the send) | "sent" | "failed"
    message_id: str | None
    attempts: int
    error: str | None
    updated_at: str


class EmailStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def normalize(address: str) -> str:
        """Addresses are compared case-insensitively (good enough for de-duplication)."""
        return address.strip().lower()

    def get(self, issue_id: str, address: str) -> SendRecord | None:
        row = self.db.query_one(
            "SELECT * FROM email_sends WHERE issue_id = ? AND address = ?",
            (issue_id, self.normalize(address)),
        )
        return SendRecord(**dict(row)) if row else None

    def was_sent(self, issue_id: str, address: str) -> bool:
        record = self.get(issue_id, address)
        return record is not None and record.status == "sent"

    def record(
        self,
        issue_id: str,
        address: str,
        *,
        status: str,
        message_id: str | None,
        attempts: int,
        error: str | None = None,
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO email_sends "
            "(issue_id, address, status, message_id, attempts, error, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (issue_id, self.normalize(address), status, message_id, attempts, error, utcnow()),
        )

    def for_issue(self, issue_id: str) -> list[SendRecord]:
        rows = self.db.query(
            "SELECT * FROM email_sends WHERE issue_id = ? ORDER BY address", (issue_id,)
        )
        return [SendRecord(**dict(r)) for r in rows]
