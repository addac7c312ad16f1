"""Papers, their versions and aliases, and what the reader has already seen."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from papercast.models import Paper
from papercast.store.db import Database, utcnow


class UpsertOutcome(StrEnum):
    NEW = "new"
    UPDATED = "updated"  # a known paper arrived with a newer version
    DUPLICATE = "duplicate"  # nothing new about it


class PaperStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def resolve(self, paper_id_or_alias: str) -> str | None:
        """The canonical id of a paper known by this id or alias, if any."""
        row = self.db.query_one("SELECT id FROM papers WHERE id = ?", (paper_id_or_alias,))
        if row:
            return str(row["id"])
        row = self.db.query_one(
            "SELECT paper_id FROM paper_aliases WHERE alias = ?", (paper_id_or_alias,)
        )
        return str(row["paper_id"]) if row else None

    def _find_existing(self, paper: Paper) -> str | None:
        for key in (paper.id, *paper.aliases):
            found = self.resolve(key)
            if found:
                return found
        return None

    def upsert(self, paper: Paper) -> tuple[str, UpsertOutcome]:
        """Store ``paper``; returns the canonical id and whether it was new, newer or known."""
        now = utcnow()
        with self.db.transaction() as conn:
            existing = self._find_existing(paper)
            if existing is None:
                conn.execute(
                    "INSERT INTO papers (id, source, version, title, abstract, published, "
                    "updated, data, first_seen_at, last_fetched_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        paper.id,
                        paper.source,
                        paper.version,
                        paper.title,
                        paper.abstract,
                        paper.published.isoformat() if paper.published else None,
                        paper.updated.isoformat() if paper.updated else None,
                        paper.model_dump_json(),
                        now,
                        now,
                    ),
                )
                canonical, outcome = paper.id, UpsertOutcome.NEW
            else:
                canonical = existing
                stored = self.get(existing)
                newer = (
                    stored is not None
                    and paper.version is not None
                    and (stored.version or 0) < paper.version
                    and stored.source == paper.source
                )
                if newer and stored is not None:
                    merged = paper.model_copy(
                        update={
                            "id": stored.id,
                            "aliases": sorted({*stored.aliases, *paper.aliases} - {stored.id}),
                            "published": stored.published or paper.published,
                        }
                    )
                    conn.execute(
                        "UPDATE papers SET version = ?, title = ?, abstract = ?, updated = ?, "
                        "data = ?, last_fetched_at = ? WHERE id = ?",
                        (
                            merged.version,
                            merged.title,
                            merged.abstract,
                            merged.updated.isoformat() if merged.updated else None,
                            merged.model_dump_json(),
                            now,
                            canonical,
                        ),
                    )
                    outcome = UpsertOutcome.UPDATED
                else:
                    conn.execute(
                        "UPDATE papers SET last_fetched_at = ? WHERE id = ?", (now, canonical)
                    )
                    outcome = UpsertOutcome.DUPLICATE
            if paper.version is not None and paper.source != "feed":
                conn.execute(
                    "INSERT OR IGNORE INTO paper_versions (paper_id, version, updated, "
                    "first_seen_at) VALUES (?, ?, ?, ?)",
                    (
                        canonical,
                        paper.version,
                        paper.updated.isoformat() if paper.updated else None,
                        now,
                    ),
                )
            for alias in {paper.id, *paper.aliases} - {canonical}:
                conn.execute(
                    "INSERT OR IGNORE INTO paper_aliases (alias, paper_id) VALUES (?, ?)",
                    (alias, canonical),
                )
        return canonical, outcome

    def get(self, paper_id: str) -> Paper | None:
        canonical = self.resolve(paper_id)
        if canonical is None:
            return None
        row = self.db.query_one("SELECT data FROM papers WHERE id = ?", (canonical,))
        return Paper.model_validate_json(row["data"]) if row else None

    def get_many(self, paper_ids: Iterable[str]) -> list[Paper]:
        papers = []
        for paper_id in paper_ids:
            paper = self.get(paper_id)
            if paper is not None:
                papers.append(paper)
        return papers

    def versions(self, paper_id: str) -> list[int]:
        rows = self.db.query(
            "SELECT version FROM paper_versions WHERE paper_id = ? ORDER BY version", (paper_id,)
        )
        return [int(r["version"]) for r in rows]

    def list(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        source: str | None = None,
        seen: bool | None = None,
        limit: int | None = None,
    ) -> list[Paper]:
        where, params = [], []
        if since:
            where.append("substr(p.published, 1, 10) >= ?")
            params.append(since.isoformat())
        if until:
            where.append("substr(p.published, 1, 10) <= ?")
            params.append(until.isoformat())
        if source:
            where.append("p.source = ?")
            params.append(source)
        if seen is True:
            where.append("s.paper_id IS NOT NULL")
        elif seen is False:
            where.append("s.paper_id IS NULL")
        sql = "SELECT p.data FROM papers p LEFT JOIN seen s ON s.paper_id = p.id"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY p.published DESC, p.id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [Paper.model_validate_json(r["data"]) for r in self.db.query(sql, params)]

    def count(self) -> int:
        row = self.db.query_one("SELECT COUNT(*) AS n FROM papers")
        return int(row["n"]) if row else 0

    # --- seen tracking ---------------------------------------------------------------

    def mark_seen(self, paper_ids: Iterable[str], context: str = "") -> int:
        now = utcnow()
        count = 0
        with self.db.transaction() as conn:
            for paper_id in paper_ids:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO seen (paper_id, seen_at, context) VALUES (?, ?, ?)",
                    (paper_id, now, context),
                )
                count += cursor.rowcount
        return count

    def seen_ids(self, except_context: str | None = None) -> set[str]:
        """Papers already in an issue; ``except_context``: not counting that issue's own."""
        if except_context is None:
            return {str(r["paper_id"]) for r in self.db.query("SELECT paper_id FROM seen")}
        rows = self.db.query("SELECT paper_id FROM seen WHERE context != ?", (except_context,))
        return {str(r["paper_id"]) for r in rows}
