"""Full-text search over every stored paper and its newest summary (SQLite FTS5, bm25).

The index (``paper_search``, migration 60) is kept by triggers on ``papers`` and ``summaries``,
so every writer keeps it current without knowing it exists. Matches come back marked with the
sentinel characters ``MARK_START``/``MARK_END`` (control characters no stored text can hold:
``models.safe_text`` drops them on the way in), for the renderer to escape the text first and
mark it after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from papercast.models import Paper
from papercast.store.db import Database

MARK_START = "\x02"
MARK_END = "\x03"
# bm25 weights per column: title, authors, abstract, summary
WEIGHTS = (8.0, 4.0, 2.0, 1.0)
SNIPPET_TOKENS = 28


@dataclass(frozen=True)
class SearchRow:
    """One match: the paper, and its title, authors, abstract and summary with marked words."""

    paper: Paper
    title: str
    authors: str
    abstract: str
    summary: str
    score: float


@dataclass(frozen=True)
class SearchFilters:
    source: str | None = None
    since: date | None = None
    until: date | None = None
    week: str | None = None  # the candidates of this week's issue (as well as since/until)


class SearchStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _where(self, match: str, filters: SearchFilters) -> tuple[str, list[object]]:
        where = ["paper_search MATCH ?"]
        params: list[object] = [match]
        if filters.source:
            where.append("p.source = ?")
            params.append(filters.source)
        dated: list[str] = []
        if filters.since and filters.until:
            dated.append("substr(p.published, 1, 10) BETWEEN ? AND ?")
            params += [filters.since.isoformat(), filters.until.isoformat()]
        if filters.week:
            dated.append(
                "p.id IN (SELECT json_extract(r.value, '$.id') FROM weekly w, "
                "json_each(w.ranked) r WHERE w.issue_id = ?)"
            )
            params.append(filters.week)
        if dated:
            where.append("(" + " OR ".join(dated) + ")")
        return " AND ".join(where), params

    def search(
        self, match: str, filters: SearchFilters, *, limit: int, offset: int = 0
    ) -> list[SearchRow]:
        """Best first. ``match`` is an FTS5 query (see ``papercast.search.fts_query``)."""
        where, params = self._where(match, filters)
        mark = (MARK_START, MARK_END)
        sql = (
            "SELECT p.data, highlight(paper_search, 0, ?, ?) AS title, "
            "highlight(paper_search, 1, ?, ?) AS authors, "
            f"snippet(paper_search, 2, ?, ?, '…', {SNIPPET_TOKENS}) AS abstract, "
            f"snippet(paper_search, 3, ?, ?, '…', {SNIPPET_TOKENS}) AS summary, "
            "bm25(paper_search, ?, ?, ?, ?) AS score "
            "FROM paper_search JOIN papers p ON p.rowid = paper_search.rowid "
            f"WHERE {where} ORDER BY score LIMIT ? OFFSET ?"
        )
        rows = self.db.query(sql, [*mark * 4, *WEIGHTS, *params, int(limit), int(offset)])
        return [
            SearchRow(
                paper=Paper.model_validate_json(r["data"]),
                title=str(r["title"]),
                authors=str(r["authors"]),
                abstract=str(r["abstract"]),
                summary=str(r["summary"]),
                score=float(r["score"]),
            )
            for r in rows
        ]

    def count(self, match: str, filters: SearchFilters) -> int:
        where, params = self._where(match, filters)
        row = self.db.query_one(
            "SELECT COUNT(*) AS n FROM paper_search JOIN papers p ON p.rowid = paper_search.rowid "
            f"WHERE {where}",
            params,
        )
        return int(row["n"]) if row else 0

    def sources(self) -> list[str]:
        rows = self.db.query("SELECT DISTINCT source FROM papers ORDER BY source")
        return [str(r["source"]) for r in rows]
