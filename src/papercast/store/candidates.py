"""A week's ranked candidates, a page at a time, filtered in SQL (for `papercast serve`).

The frozen selection (``weekly_refs``, one row per candidate) is ordered and filtered in SQL
and joined to the papers, so a page of 50 out of 5,000 candidates parses 50 papers, not 5,000.
"""

from __future__ import annotations

from dataclasses import dataclass

from papercast.models import Paper
from papercast.store.db import Database

_RANKED = """
WITH ranked AS (
    SELECT position, paper_id AS id, score, why, picked
    FROM weekly_refs
    WHERE issue_id = :issue
)
"""


@dataclass(frozen=True)
class CandidateFilters:
    category: str | None = None
    source: str | None = None
    match: str | None = None  # an FTS5 query over title, authors, abstract and summary
    picked: bool | None = None
    paper_id: str | None = None  # just this candidate (with its rank among all)


@dataclass(frozen=True)
class CandidateRow:
    rank: int  # 1 = the best score of the week
    paper: Paper
    score: float
    why: str
    picked: bool


@dataclass(frozen=True)
class Facet:
    value: str
    count: int


@dataclass(frozen=True)
class WeekCounts:
    stage: str
    candidates: int
    picked: int


class CandidateStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def counts(self, issue_id: str) -> WeekCounts | None:
        """The week's stage, candidates and picks, without reading the candidates' papers."""
        row = self.db.query_one(
            "SELECT w.stage, COUNT(r.paper_id) AS n, COALESCE(SUM(r.picked), 0) AS picked "
            "FROM weekly w LEFT JOIN weekly_refs r ON r.issue_id = w.issue_id "
            "WHERE w.issue_id = ? GROUP BY w.issue_id",
            (issue_id,),
        )
        if row is None:
            return None
        return WeekCounts(str(row["stage"]), int(row["n"]), int(row["picked"]))

    def _where(self, filters: CandidateFilters) -> tuple[str, dict[str, object]]:
        where: list[str] = []
        params: dict[str, object] = {}
        if filters.category:
            where.append(
                "EXISTS (SELECT 1 FROM paper_categories c WHERE c.paper_id = ranked.id "
                "AND c.category = :cat)"
            )
            params["cat"] = filters.category
        if filters.source:
            where.append("ranked.id IN (SELECT id FROM papers WHERE source = :source)")
            params["source"] = filters.source
        if filters.match:
            where.append(
                "ranked.id IN (SELECT p.id FROM papers p WHERE p.rowid IN "
                "(SELECT rowid FROM paper_search WHERE paper_search MATCH :match))"
            )
            params["match"] = filters.match
        if filters.picked is not None:
            where.append("ranked.picked = :picked")
            params["picked"] = int(filters.picked)
        if filters.paper_id is not None:
            where.append("ranked.id = :paper_id")
            params["paper_id"] = filters.paper_id
        return (" WHERE " + " AND ".join(where)) if where else "", params

    def page(
        self, issue_id: str, filters: CandidateFilters, *, limit: int, offset: int = 0
    ) -> list[CandidateRow]:
        """Candidates best score first (picked or not: picking does not move a paper).

        The page is chosen on the frozen selection alone; only its papers are read."""
        where, params = self._where(filters)
        sql = (
            _RANKED + ", ordered AS (SELECT ranked.*, ROW_NUMBER() OVER "
            "(ORDER BY ranked.score DESC, ranked.position) AS rank FROM ranked), "
            f"chosen AS (SELECT * FROM ordered ranked{where} "
            "ORDER BY ranked.rank LIMIT :limit OFFSET :offset) "
            "SELECT chosen.rank, chosen.score, chosen.why, chosen.picked, p.data "
            "FROM chosen JOIN papers p ON p.id = chosen.id ORDER BY chosen.rank"
        )
        rows = self.db.query(
            sql, {"issue": issue_id, **params, "limit": int(limit), "offset": int(offset)}
        )
        return [
            CandidateRow(
                rank=int(r["rank"]),
                paper=Paper.model_validate_json(r["data"]),
                score=float(r["score"]),
                why=str(r["why"]),
                picked=bool(r["picked"]),
            )
            for r in rows
        ]

    def one(self, issue_id: str, paper_id: str) -> CandidateRow | None:
        """One candidate with its rank among all, counted on the index (not a window over the
        week)."""
        row = self.db.query_one(
            "SELECT r.score, r.why, r.picked, p.data, 1 + (SELECT COUNT(*) FROM weekly_refs o "
            "WHERE o.issue_id = r.issue_id AND (o.score > r.score OR (o.score = r.score AND "
            "o.position < r.position))) AS rank FROM weekly_refs r JOIN papers p "
            "ON p.id = r.paper_id WHERE r.issue_id = ? AND r.paper_id = ?",
            (issue_id, paper_id),
        )
        if row is None:
            return None
        return CandidateRow(
            rank=int(row["rank"]),
            paper=Paper.model_validate_json(row["data"]),
            score=float(row["score"]),
            why=str(row["why"]),
            picked=bool(row["picked"]),
        )

    def count(self, issue_id: str, filters: CandidateFilters) -> int:
        where, params = self._where(filters)
        row = self.db.query_one(
            _RANKED + f"SELECT COUNT(*) AS n FROM ranked{where}", {"issue": issue_id, **params}
        )
        return int(row["n"]) if row else 0

    def categories(self, issue_id: str) -> list[Facet]:
        """The week's categories, most candidates first."""
        rows = self.db.query(
            _RANKED + "SELECT c.category AS value, COUNT(*) AS n FROM ranked "
            "JOIN paper_categories c ON c.paper_id = ranked.id "
            "GROUP BY c.category ORDER BY n DESC, c.category",
            {"issue": issue_id},
        )
        return [Facet(str(r["value"]), int(r["n"])) for r in rows]

    def sources(self, issue_id: str) -> list[Facet]:
        rows = self.db.query(
            _RANKED + "SELECT p.source AS value, COUNT(*) AS n FROM ranked "
            "JOIN papers p ON p.id = ranked.id GROUP BY p.source ORDER BY n DESC, p.source",
            {"issue": issue_id},
        )
        return [Facet(str(r["value"]), int(r["n"])) for r in rows]

    def weeks(self) -> list[tuple[str, str]]:
        """(issue id, stage) of every ranked week, newest first."""
        rows = self.db.query("SELECT issue_id, stage FROM weekly ORDER BY issue_id DESC")
        return [(str(r["issue_id"]), str(r["stage"])) for r in rows]

    def weeks_of(self, paper_id: str) -> list[str]:
        """The weeks whose candidates included this paper, newest first."""
        rows = self.db.query(
            "SELECT issue_id FROM weekly_refs WHERE paper_id = ? ORDER BY issue_id DESC",
            (paper_id,),
        )
        return [str(r["issue_id"]) for r in rows]

    def issues_of(self, paper_id: str) -> list[str]:
        """The issues this paper appeared in (highlight or also noteworthy), newest first."""
        rows = self.db.query(
            "SELECT i.id FROM issues i WHERE EXISTS (SELECT 1 FROM json_each(i.data, "
            "'$.highlights') e WHERE json_extract(e.value, '$.paper.id') = :id) "
            "OR EXISTS (SELECT 1 FROM json_each(i.data, '$.noteworthy') e "
            "WHERE json_extract(e.value, '$.paper.id') = :id) ORDER BY i.id DESC",
            {"id": paper_id},
        )
        return [str(r["id"]) for r in rows]
