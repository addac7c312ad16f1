"""Stored issues: the assembled Issue as JSON, one row per ISO week."""

from __future__ import annotations

from papercast.models import Issue
from papercast.store.db import Database, utcnow


class IssueStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, issue: Issue) -> None:
        """Insert or replace the issue with this id (created_at is kept on replace)."""
        now = utcnow()
        self.db.execute(
            "INSERT INTO issues (id, data, created_at, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            (issue.id, issue.model_dump_json(), now, now),
        )

    def get(self, issue_id: str) -> Issue | None:
        row = self.db.query_one("SELECT data FROM issues WHERE id = ?", (issue_id,))
        return Issue.model_validate_json(row["data"]) if row else None

    def latest(self) -> Issue | None:
        issues = self.list(limit=1)
        return issues[0] if issues else None

    def ids(self) -> list[str]:
        """Every stored issue id, newest week first."""
        return [str(r["id"]) for r in self.db.query("SELECT id FROM issues ORDER BY id DESC")]

    def list(self, limit: int | None = None) -> list[Issue]:
        """Stored issues, newest week first (ISO week ids sort by time)."""
        sql = "SELECT data FROM issues ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [Issue.model_validate_json(r["data"]) for r in self.db.query(sql)]

    def delete(self, issue_id: str) -> bool:
        with self.db.transaction() as conn:
            return conn.execute("DELETE FROM issues WHERE id = ?", (issue_id,)).rowcount > 0
