"""The weekly run's frozen selection: which candidates an issue was built from, in rank order.

Freezing the selection is what makes ``papercast run`` idempotent: a rerun of a week rebuilds
the same issue from the same papers (summaries and speech come from their caches), even after
those papers were marked seen.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from papercast.store.db import Database, utcnow


class RankedRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    score: float
    why: str = ""
    picked: bool = False


class WeeklyState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issue_id: str
    window: str
    ranked: list[RankedRef] = Field(default_factory=list)
    stage: str = "selected"


# One validation for the whole list: a 5,000-candidate week in a few ms, not one model a row.
_REFS = TypeAdapter(list[RankedRef])


class WeeklyStore:
    """The weekly row (window, stage) and its refs, one row each in ``weekly_refs``.

    Whole lists go in and out as one JSON text that SQLite unpacks (``json_each``) and packs
    (``json_group_array``), so a 5,000-candidate week is one validation in Python, not 5,000
    rows; a pick changes one row and moves only the rows whose place changed
    (``set_picked``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, issue_id: str) -> WeeklyState | None:
        row = self.db.query_one(
            "SELECT w.issue_id, w.window, w.stage, (SELECT json_group_array(json_object("
            "'id', r.paper_id, 'score', r.score, 'why', r.why, 'picked', "
            "json(CASE WHEN r.picked THEN 'true' ELSE 'false' END))) FROM (SELECT * FROM "
            "weekly_refs WHERE issue_id = w.issue_id ORDER BY position) r) AS ranked "
            "FROM weekly w WHERE w.issue_id = ?",
            (issue_id,),
        )
        if row is None:
            return None
        return WeeklyState(
            issue_id=row["issue_id"],
            window=row["window"],
            ranked=_REFS.validate_json(row["ranked"]),
            stage=row["stage"],
        )

    def save(self, state: WeeklyState) -> None:
        """Store the state; the list replaces the week's refs (the first of a repeated id wins)."""
        ranked = _REFS.dump_json(state.ranked).decode()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO weekly (issue_id, window, stage, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(issue_id) DO UPDATE SET window = excluded.window, "
                "stage = excluded.stage, updated_at = excluded.updated_at",
                (state.issue_id, state.window, state.stage, utcnow()),
            )
            conn.execute("DELETE FROM weekly_refs WHERE issue_id = ?", (state.issue_id,))
            conn.execute(
                "INSERT OR IGNORE INTO weekly_refs (issue_id, paper_id, position, score, why, "
                "picked) SELECT ?, r.value ->> 'id', CAST(r.key AS INTEGER), "
                "r.value ->> 'score', r.value ->> 'why', r.value ->> 'picked' "
                "FROM json_each(?) r ORDER BY r.key",
                (state.issue_id, ranked),
            )

    def stage(self, issue_id: str) -> str | None:
        row = self.db.query_one("SELECT stage FROM weekly WHERE issue_id = ?", (issue_id,))
        return str(row["stage"]) if row else None

    def candidate_count(self, issue_id: str) -> int:
        row = self.db.query_one(
            "SELECT COUNT(*) AS n FROM weekly_refs WHERE issue_id = ?", (issue_id,)
        )
        return int(row["n"]) if row else 0

    def has(self, issue_id: str, paper_id: str) -> bool:
        row = self.db.query_one(
            "SELECT 1 FROM weekly_refs WHERE issue_id = ? AND paper_id = ?", (issue_id, paper_id)
        )
        return row is not None

    def set_picked(self, issue_id: str, paper_id: str, picked: bool) -> None:
        """Pick or unpick one ref; the list becomes the picked refs, then the others, each
        best score first (ties keep their order). Only the rows whose place changed are
        written."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE weekly_refs SET picked = ? WHERE issue_id = ? AND paper_id = ?",
                (int(picked), issue_id, paper_id),
            )
            conn.execute(
                "UPDATE weekly_refs SET position = o.n FROM (SELECT paper_id, ROW_NUMBER() "
                "OVER (ORDER BY picked DESC, score DESC, position) - 1 AS n FROM weekly_refs "
                "WHERE issue_id = :issue) o WHERE weekly_refs.issue_id = :issue "
                "AND weekly_refs.paper_id = o.paper_id AND weekly_refs.position != o.n",
                {"issue": issue_id},
            )
            conn.execute(
                "UPDATE weekly SET updated_at = ? WHERE issue_id = ?", (utcnow(), issue_id)
            )

    def set_stage(self, issue_id: str, stage: str) -> None:
        self.db.execute(
            "UPDATE weekly SET stage = ?, updated_at = ? WHERE issue_id = ?",
            (stage, utcnow(), issue_id),
        )
