"""Runs (fetch, summarize, weekly) and what each one fetched."""

from __future__ import annotations

import json
from typing import Any

from papercast.store.db import Database, utcnow


class RunStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def start(self, kind: str, window: str | None = None) -> int:
        return self.db.execute(
            "INSERT INTO runs (kind, window, started_at, status) VALUES (?, ?, ?, 'running')",
            (kind, window, utcnow()),
        )

    def finish(self, run_id: int, status: str, report: dict[str, Any] | None = None) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, report = ? WHERE id = ?",
            (utcnow(), status, json.dumps(report, default=str) if report else None, run_id),
        )

    def record_paper(
        self, run_id: int, paper_id: str, source: str, outcome: str, rule: str | None = None
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO run_papers (run_id, paper_id, source, outcome, rule) "
            "VALUES (?, ?, ?, ?, ?)",
            (run_id, paper_id, source, outcome, rule),
        )

    def recent(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT id, kind, window, started_at, finished_at, status, report FROM runs "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        result = []
        for row in rows:
            item = dict(row)
            item["report"] = json.loads(row["report"]) if row["report"] else None
            result.append(item)
        return result
