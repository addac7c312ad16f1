"""The reader's picks: which papers of an issue they chose, and which they passed over."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from papercast.store.db import Database, utcnow


@dataclass(frozen=True)
class PickRow:
    """One labelled paper from a past issue, with its title and abstract when stored."""

    paper_id: str
    issue_id: str
    picked: bool
    origin: str
    created_at: datetime
    title: str
    abstract: str
    published: datetime | None = None


class PickStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self, issue_id: str, picked: Iterable[str], shown: Iterable[str], origin: str = "pick"
    ) -> tuple[int, int]:
        """Store picked ids as positives and shown-but-not-picked as negatives, atomically.

        Recording an issue again replaces its earlier labels for the same papers. Returns
        (positives, negatives).
        """
        chosen = list(dict.fromkeys(picked))
        passed = [p for p in dict.fromkeys(shown) if p not in set(chosen)]
        now = utcnow()
        with self.db.transaction() as conn:
            for paper_id, label in [(p, 1) for p in chosen] + [(p, 0) for p in passed]:
                conn.execute(
                    "INSERT INTO picks (paper_id, issue_id, picked, origin, created_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (paper_id, issue_id) DO UPDATE SET "
                    "picked = excluded.picked, origin = excluded.origin, "
                    "created_at = excluded.created_at",
                    (paper_id, issue_id, label, origin, now),
                )
        return len(chosen), len(passed)

    def count(self, issue_id: str) -> int:
        """How many papers of an issue carry a label (picked or passed over)."""
        row = self.db.query_one("SELECT COUNT(*) AS n FROM picks WHERE issue_id = ?", (issue_id,))
        return int(row["n"]) if row else 0

    def set_one(self, issue_id: str, paper_id: str, picked: bool, origin: str = "pick") -> None:
        """Change one paper's label, the others' staying as they are."""
        self.db.execute(
            "INSERT INTO picks (paper_id, issue_id, picked, origin, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (paper_id, issue_id) DO UPDATE SET "
            "picked = excluded.picked, origin = excluded.origin, created_at = excluded.created_at",
            (paper_id, issue_id, int(picked), origin, utcnow()),
        )

    def rows(self, issue_id: str | None = None) -> list[PickRow]:
        sql = (
            "SELECT k.paper_id, k.issue_id, k.picked, k.origin, k.created_at, "
            "COALESCE(p.title, '') AS title, COALESCE(p.abstract, '') AS abstract, "
            "p.published AS published "
            "FROM picks k "
            "LEFT JOIN paper_aliases a ON a.alias = k.paper_id "
            "LEFT JOIN papers p ON p.id = COALESCE(a.paper_id, k.paper_id)"
        )
        params: tuple[str, ...] = ()
        if issue_id is not None:
            sql += " WHERE k.issue_id = ?"
            params = (issue_id,)
        sql += " ORDER BY k.created_at, k.issue_id, k.paper_id"
        return [
            PickRow(
                paper_id=str(r["paper_id"]),
                issue_id=str(r["issue_id"]),
                picked=bool(r["picked"]),
                origin=str(r["origin"]),
                created_at=datetime.fromisoformat(r["created_at"]),
                title=str(r["title"]),
                abstract=str(r["abstract"]),
                published=datetime.fromisoformat(r["published"]) if r["published"] else None,
            )
            for r in self.db.query(sql, params)
        ]
