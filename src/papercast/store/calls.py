"""Every call papercast makes to a model: summaries, batch answers, relevance, embeddings.

One row per request in ``llm_calls`` (model, purpose, tokens, cost, duration, status, prompt
and schema hashes, the run it belongs to) — never a key or paper text. ``run_id`` ties a call
to the weekly run that made it, so ``run.json`` counts them all; calls made outside a run (the
``summarize`` and ``rank`` commands) have none.
"""

from __future__ import annotations

import json
from typing import Any

from papercast.models import CallLog, Usage
from papercast.store.db import Database, utcnow


class CallStore:
    def __init__(self, db: Database, run_id: int | None = None) -> None:
        self.db = db
        self.run_id = run_id

    def log(
        self,
        call: CallLog,
        *,
        paper_id: str | None = None,
        prompt_hash: str | None = None,
        schema_hash: str | None = None,
    ) -> None:
        """Record one call (under this store's run)."""
        self.db.execute(
            "INSERT INTO llm_calls (run_id, paper_id, model, purpose, prompt_hash, schema_hash, "
            "options, input_tokens, output_tokens, cost_usd, usage_estimated, duration_ms, "
            "status, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.run_id,
                paper_id,
                call.model,
                call.purpose,
                prompt_hash,
                schema_hash,
                json.dumps(call.options, sort_keys=True, default=str),
                call.input_tokens,
                call.output_tokens,
                call.cost_usd,
                int(call.usage_estimated),
                call.duration_ms,
                call.status,
                call.error,
                utcnow(),
            ),
        )

    def calls(self, paper_id: str | None = None) -> list[dict[str, Any]]:
        if paper_id is None:
            rows = self.db.query("SELECT * FROM llm_calls ORDER BY id")
        else:
            rows = self.db.query(
                "SELECT * FROM llm_calls WHERE paper_id=? ORDER BY id", (paper_id,)
            )
        return [dict(row) for row in rows]

    def usage(self, run_id: int | None = None) -> Usage:
        sums = (
            "SELECT COALESCE(SUM(input_tokens),0) AS i, COALESCE(SUM(output_tokens),0) AS o, "
            "COALESCE(SUM(cost_usd),0) AS c, COUNT(*) AS n FROM llm_calls"
        )
        if run_id is None:
            row = self.db.query_one(sums)
        else:
            row = self.db.query_one(sums + " WHERE run_id=?", (run_id,))
        assert row is not None
        return Usage(
            input_tokens=int(row["i"]),
            output_tokens=int(row["o"]),
            cost_usd=float(row["c"]),
            requests=int(row["n"]),
        )

    def by_status(self, run_id: int) -> dict[str, int]:
        """How this run's calls ended: {"ok": 12, "rate_limited": 1, ...}."""
        rows = self.db.query(
            "SELECT status, COUNT(*) AS n FROM llm_calls WHERE run_id=? GROUP BY status "
            "ORDER BY status",
            (run_id,),
        )
        return {str(row["status"]): int(row["n"]) for row in rows}
