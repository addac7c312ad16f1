"""The reader's thumbs up and down, kept in the history table (origin ``feedback``).

A feedback row is history like an imported library's, so ranking learns from it and
``papercast history list`` shows it; its key (``feedback:<paper id>``) keeps it apart from an
imported row for the same paper, so taking feedback back never forgets an import.
"""

from __future__ import annotations

from collections.abc import Iterable

from papercast.store.db import Database, utcnow

ORIGIN = "feedback"


def _key(paper_id: str) -> str:
    return f"{ORIGIN}:{paper_id}"


class FeedbackStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, paper_id: str) -> bool | None:
        row = self.db.query_one("SELECT picked FROM history WHERE key = ?", (_key(paper_id),))
        return None if row is None else bool(row["picked"])

    def set(self, paper_id: str, liked: bool | None) -> bool | None:
        """Record (or with None, take back) the reader's verdict; returns the previous one."""
        now = utcnow()
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT picked FROM history WHERE key = ?", (_key(paper_id),)
            ).fetchone()
            previous = None if row is None else bool(row[0])
            if liked is None:
                conn.execute("DELETE FROM history WHERE key = ?", (_key(paper_id),))
            else:
                conn.execute(
                    "INSERT INTO history (key, paper_id, title, abstract, picked, origin, "
                    "imported_at, added_at) VALUES (?, ?, '', '', ?, ?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET picked = excluded.picked, "
                    "imported_at = excluded.imported_at, added_at = excluded.added_at",
                    (_key(paper_id), paper_id, int(liked), ORIGIN, now, now),
                )
        return previous

    def many(self, paper_ids: Iterable[str]) -> dict[str, bool]:
        """paper id -> liked, for those of ``paper_ids`` the reader gave feedback on."""
        keys = [_key(p) for p in paper_ids]
        if not keys:
            return {}
        marks = ", ".join("?" * len(keys))
        rows = self.db.query(
            f"SELECT paper_id, picked FROM history WHERE key IN ({marks})",
            keys,
        )
        return {str(r["paper_id"]): bool(r["picked"]) for r in rows}
