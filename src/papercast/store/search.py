"""Full-text search over every stored paper and its newest summary (SQLite FTS5, bm25).

The index (``paper_search``, migration 60) is kept by triggers on ``papers`` and ``summaries``,
so every writer keeps it current without knowing it exists. Matches come back marked with the
sentinel characters ``MARK_START``/``MARK_END`` (control characters no stored text can hold:
``models.safe_text`` drops them on the way in), for the renderer to escape the text first and
mark it after.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import date, datetime

from papercast.models import safe_text
from papercast.store.db import Database

MARK_START = "\x02"
MARK_END = "\x03"
# bm25 weights per column: title, authors, abstract, summary
WEIGHTS = (8.0, 4.0, 2.0, 1.0)
SNIPPET_TOKENS = 28
TOKENIZER = "porter unicode61 remove_diacritics 2"  # as migration 60 made the index


@dataclass(frozen=True)
class PaperBrief:
    """What a search result shows of a paper besides its marked text (read without parsing
    the whole stored paper: a page of results stays a few milliseconds)."""

    id: str
    source: str
    origin: str | None
    categories: list[str]
    published: datetime | None


@dataclass(frozen=True)
class SearchRow:
    """One match: the paper, and its title, authors, abstract and summary with marked words."""

    paper: PaperBrief
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


def _brief(row: sqlite3.Row) -> PaperBrief:
    categories = json.loads(row["categories"] or "[]")
    published = row["published"]
    return PaperBrief(
        id=str(row["id"]),
        source=str(row["source"]),
        origin=safe_text(row["origin"]) if row["origin"] else None,
        categories=[safe_text(str(c)) for c in categories],
        published=datetime.fromisoformat(published) if published else None,
    )


_MARKER = threading.local()


def _marker() -> sqlite3.Connection:
    """This thread's in-memory FTS5 table with the index's tokenizer, to mark a page of
    results: highlight() on the big index would load every match's positions (a common
    word's tens of thousands), on the page's 20 rows it costs nothing, with the same matches."""
    conn: sqlite3.Connection | None = getattr(_MARKER, "conn", None)
    if conn is None:
        conn = sqlite3.connect(":memory:", check_same_thread=True)
        conn.execute(
            "CREATE VIRTUAL TABLE marks USING fts5(title, authors, abstract, summary, "
            f"tokenize = '{TOKENIZER}')"
        )
        _MARKER.conn = conn
    return conn


Marked = tuple[str, str, str, str, float]  # title, authors, abstract, summary, bm25


def _mark(match: str, rows: list[tuple[int, sqlite3.Row]]) -> dict[int, Marked]:
    conn = _marker()
    try:
        conn.executemany(
            "INSERT INTO marks (rowid, title, authors, abstract, summary) VALUES (?, ?, ?, ?, ?)",
            [(rid, r["title"], r["authors"], r["abstract"], r["summary"]) for rid, r in rows],
        )
        found = conn.execute(
            "SELECT rowid, highlight(marks, 0, ?1, ?2), highlight(marks, 1, ?1, ?2), "
            f"snippet(marks, 2, ?1, ?2, '…', {SNIPPET_TOKENS}), "
            f"snippet(marks, 3, ?1, ?2, '…', {SNIPPET_TOKENS}), "
            f"bm25(marks, {', '.join(str(w) for w in WEIGHTS)}) "
            "FROM marks WHERE marks MATCH ?3",
            (MARK_START, MARK_END, match),
        ).fetchall()
    finally:
        conn.execute("DELETE FROM marks")
    return {
        int(rid): (str(title), str(authors), str(abstract), str(summary), float(score))
        for rid, title, authors, abstract, summary, score in found
    }


class SearchStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _where(self, match: str, filters: SearchFilters) -> tuple[str, list[object]]:
        """The WHERE clause over ``paper_search`` alone: filters on the paper are a rowid
        subquery, so an unfiltered search never joins every match to its paper."""
        where = ["paper_search MATCH ?"]
        params: list[object] = [match]
        paper: list[str] = []
        if filters.source:
            paper.append("p.source = ?")
            params.append(filters.source)
        dated: list[str] = []
        if filters.since and filters.until:
            dated.append("substr(p.published, 1, 10) BETWEEN ? AND ?")
            params += [filters.since.isoformat(), filters.until.isoformat()]
        if filters.week:
            dated.append("p.id IN (SELECT paper_id FROM weekly_refs WHERE issue_id = ?)")
            params.append(filters.week)
        if dated:
            paper.append("(" + " OR ".join(dated) + ")")
        if paper:
            where.append(
                "paper_search.rowid IN (SELECT p.rowid FROM papers p WHERE "
                + " AND ".join(paper)
                + ")"
            )
        return " AND ".join(where), params

    def search(
        self,
        match: str,
        filters: SearchFilters,
        *,
        limit: int,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[SearchRow]:
        """Best first (bm25), or the most recently stored first: a broad query's thousands of
        matches need not all be scored. ``match`` is an FTS5 query (``browse.fts_query``).

        Two steps: the page's rowids by bm25 alone, then the marked text of those rows only
        (SQLite would otherwise compute highlight() and snippet() for every match before
        sorting: 10x slower for a common word).
        """
        where, params = self._where(match, filters)
        weights = ", ".join(str(w) for w in WEIGHTS)
        order = "paper_search.rowid DESC" if newest_first else f"bm25(paper_search, {weights})"
        top = self.db.query(
            f"SELECT paper_search.rowid AS rid FROM paper_search WHERE {where} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, int(limit), int(offset)],
        )
        rowids = [int(r["rid"]) for r in top]
        if not rowids:
            return []
        marks = ", ".join("?" * len(rowids))
        rows = self.db.query(
            "SELECT s.rowid AS rid, s.title, s.authors, s.abstract, s.summary, p.id, p.source, "
            "p.published, json_extract(p.data, '$.origin') AS origin, "
            "json_extract(p.data, '$.categories') AS categories "
            f"FROM paper_search s JOIN papers p ON p.rowid = s.rowid WHERE s.rowid IN ({marks})",
            rowids,
        )
        marked = _mark(match, [(int(r["rid"]), r) for r in rows])
        by_rowid = {int(r["rid"]): r for r in rows}
        return [
            SearchRow(_brief(by_rowid[rowid]), *marked[rowid])
            for rowid in rowids
            if rowid in by_rowid and rowid in marked
        ]

    def count(self, match: str, filters: SearchFilters) -> int:
        where, params = self._where(match, filters)
        row = self.db.query_one(
            f"SELECT COUNT(*) AS n FROM paper_search WHERE {where}",
            params,
        )
        return int(row["n"]) if row else 0

    def sources(self) -> list[str]:
        """Every source in the store, in order: a walk down the ``papers_source`` index, one
        step per source (DISTINCT read all 50,000 index entries: ~15 ms a search)."""
        rows = self.db.query(
            "WITH RECURSIVE s(source) AS (SELECT MIN(source) FROM papers UNION ALL "
            "SELECT (SELECT MIN(source) FROM papers WHERE source > s.source) FROM s "
            "WHERE s.source IS NOT NULL) SELECT source FROM s WHERE source IS NOT NULL"
        )
        return [str(r["source"]) for r in rows]
