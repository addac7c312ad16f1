"""The reader's imported history: papers they read (or passed over) before papercast."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from papercast.models import HistoryRecord
from papercast.store.db import Database, utcnow


@dataclass(frozen=True)
class ImportCounts:
    """What one import did: new rows, changed rows, rows already there as they are."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    without_text: int = 0

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


@dataclass(frozen=True)
class HistoryRow:
    """One stored history entry, with title/abstract filled from known papers when missing."""

    key: str
    paper_id: str | None
    title: str
    abstract: str
    picked: bool
    origin: str
    added_at: datetime | None
    imported_at: datetime
    paper_date: datetime | None = None
    screened_on: datetime | None = None
    shown_on: datetime | None = None


_SELECT = """
SELECT h.key, h.paper_id, h.picked, h.origin, h.added_at, h.imported_at,
       h.screened_on, h.shown_on, COALESCE(h.paper_date, p.published) AS paper_date,
       CASE WHEN h.title != '' THEN h.title ELSE COALESCE(p.title, '') END AS title,
       CASE WHEN h.abstract != '' THEN h.abstract ELSE COALESCE(p.abstract, '') END AS abstract
FROM history h
LEFT JOIN paper_aliases a ON a.alias = h.paper_id
LEFT JOIN papers p ON p.id = COALESCE(a.paper_id, h.paper_id)
"""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class HistoryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def import_records(self, records: Sequence[HistoryRecord], origin: str) -> ImportCounts:
        """Insert or update all ``records`` in one transaction (all or nothing)."""
        now = utcnow()
        added = updated = unchanged = 0
        latest: dict[str, HistoryRecord] = {}
        for record in records:
            latest[record.key] = record  # the last mention of a paper in a file wins
        with self.db.transaction() as conn:
            for key, record in latest.items():
                values = (
                    record.paper_id,
                    record.title,
                    record.abstract,
                    int(record.picked),
                    _iso(record.added),
                    _iso(record.paper_date),
                    _iso(record.screened_on),
                    _iso(record.shown_on),
                )
                row = conn.execute(
                    "SELECT paper_id, title, abstract, picked, added_at, paper_date, "
                    "screened_on, shown_on FROM history WHERE key = ?",
                    (key,),
                ).fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO history (key, paper_id, title, abstract, picked, added_at, "
                        "paper_date, screened_on, shown_on, origin, imported_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (key, *values, origin, now),
                    )
                    added += 1
                elif tuple(row) != values:
                    conn.execute(
                        "UPDATE history SET paper_id = ?, title = ?, abstract = ?, picked = ?, "
                        "added_at = ?, paper_date = ?, screened_on = ?, shown_on = ?, "
                        "origin = ?, imported_at = ? WHERE key = ?",
                        (*values, origin, now, key),
                    )
                    updated += 1
                else:
                    unchanged += 1
        without_text = sum(1 for r in latest.values() if not r.title)
        return ImportCounts(added, updated, unchanged, without_text)

    def rows(self, limit: int | None = None) -> list[HistoryRow]:
        sql = _SELECT + " ORDER BY COALESCE(h.added_at, h.imported_at) DESC, h.id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            HistoryRow(
                key=str(r["key"]),
                paper_id=r["paper_id"],
                title=str(r["title"]),
                abstract=str(r["abstract"]),
                picked=bool(r["picked"]),
                origin=str(r["origin"]),
                added_at=_when(r["added_at"]),
                imported_at=datetime.fromisoformat(r["imported_at"]),
                paper_date=_when(r["paper_date"]),
                screened_on=_when(r["screened_on"]),
                shown_on=_when(r["shown_on"]),
            )
            for r in self.db.query(sql)
        ]

    def count(self) -> int:
        row = self.db.query_one("SELECT COUNT(*) AS n FROM history")
        return int(row["n"]) if row else 0

    def clear(self, origin: str | None = None) -> int:
        """Forget imported history (all of it, or one import's origin); returns rows removed."""
        with self.db.transaction() as conn:
            if origin is None:
                cursor = conn.execute("DELETE FROM history")
            else:
                cursor = conn.execute("DELETE FROM history WHERE origin = ?", (origin,))
            return cursor.rowcount
