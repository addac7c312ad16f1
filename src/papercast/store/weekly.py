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


# One validation (and one dump) for the whole list: a 5,000-candidate week in ~20 ms, not ~60.
_REFS = TypeAdapter(list[RankedRef])


class WeeklyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, issue_id: str) -> WeeklyState | None:
        row = self.db.query_one(
            "SELECT issue_id, window, ranked, stage FROM weekly WHERE issue_id = ?", (issue_id,)
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
        ranked = _REFS.dump_json(state.ranked).decode()
        self.db.execute(
            "INSERT INTO weekly (issue_id, window, ranked, stage, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(issue_id) DO UPDATE SET window = excluded.window, ranked = excluded.ranked, "
            "stage = excluded.stage, updated_at = excluded.updated_at",
            (state.issue_id, state.window, ranked, state.stage, utcnow()),
        )

    def set_stage(self, issue_id: str, stage: str) -> None:
        self.db.execute(
            "UPDATE weekly SET stage = ?, updated_at = ? WHERE issue_id = ?",
            (stage, utcnow(), issue_id),
        )
