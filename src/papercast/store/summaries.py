"""Summaries, LLM call log and Batch API jobs in the store.

A summary is keyed by (paper id, version, model, prompt hash, schema version): the same paper
with the same prompt and model is never paid for twice. Every model call is a row in
``llm_calls`` (model, tokens, cost, duration, status, prompt hash) — never a key or paper text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from papercast.llm.base import CallLog
from papercast.models import Paper, SummaryRecord, Usage
from papercast.store.db import Database, utcnow


class BatchItem(BaseModel):
    """What a batch request stands for, to turn its answer into a SummaryRecord later."""

    model_config = ConfigDict(extra="forbid")

    paper_id: str
    version: int | None = None
    prompt_hash: str
    source_text: str
    text: str = Field(description="title, abstract and the text sent, for the grounding check")
    paper: Paper | None = None


class BatchInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: str
    model: str
    status: str
    request_count: int
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    run_id: int | None = None
    items: dict[str, BatchItem] = Field(default_factory=dict)  # custom_id -> item
    collected: bool = False
    created_at: str | None = None
    updated_at: str | None = None


class SummaryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- summaries --------------------------------------------------------------------

    def get(
        self, paper_id: str, version: int | None, model: str, prompt_hash: str, schema_version: int
    ) -> SummaryRecord | None:
        row = self.db.query_one(
            "SELECT record FROM summaries WHERE paper_id=? AND version=? AND model=? "
            "AND prompt_hash=? AND schema_version=?",
            (paper_id, version or 0, model, prompt_hash, schema_version),
        )
        return SummaryRecord.model_validate_json(row["record"]) if row else None

    def put(self, record: SummaryRecord) -> SummaryRecord:
        if record.created_at is None:
            record = record.model_copy(update={"created_at": datetime.now(UTC)})
        self.db.execute(
            "INSERT OR REPLACE INTO summaries "
            "(paper_id, version, model, prompt_hash, schema_version, record, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                record.paper_id,
                record.version or 0,
                record.model,
                record.prompt_hash,
                record.schema_version,
                record.model_dump_json(),
                utcnow(),
            ),
        )
        return record

    def latest(self, paper_id: str, *, prefer_llm: bool = True) -> SummaryRecord | None:
        """The newest summary of a paper (any model), LLM ones before extractive ones."""
        rows = self.db.query(
            "SELECT record FROM summaries WHERE paper_id=? ORDER BY version DESC, created_at DESC",
            (paper_id,),
        )
        records = [SummaryRecord.model_validate_json(r["record"]) for r in rows]
        if prefer_llm:
            records.sort(key=lambda r: r.extractive)
        return records[0] if records else None

    def count(self) -> int:
        row = self.db.query_one("SELECT COUNT(*) AS n FROM summaries")
        return int(row["n"]) if row else 0

    # --- llm calls --------------------------------------------------------------------

    def log_call(
        self,
        call: CallLog,
        *,
        paper_id: str | None,
        prompt_hash: str | None,
        schema_hash: str | None = None,
        run_id: int | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO llm_calls (run_id, paper_id, model, purpose, prompt_hash, schema_hash, "
            "options, input_tokens, output_tokens, cost_usd, usage_estimated, duration_ms, "
            "status, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
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

    # --- batches ----------------------------------------------------------------------

    def save_batch(self, info: BatchInfo) -> None:
        now = utcnow()
        info.updated_at = now
        info.created_at = info.created_at or now
        self.db.execute(
            "INSERT OR REPLACE INTO batches "
            "(batch_id, model, status, request_count, data, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                info.batch_id,
                info.model,
                info.status,
                info.request_count,
                info.model_dump_json(),
                info.created_at,
                now,
            ),
        )

    def batch(self, batch_id: str) -> BatchInfo | None:
        row = self.db.query_one("SELECT data FROM batches WHERE batch_id=?", (batch_id,))
        return BatchInfo.model_validate_json(row["data"]) if row else None

    def batches(self, *, pending_only: bool = False) -> list[BatchInfo]:
        rows = self.db.query("SELECT data FROM batches ORDER BY created_at, batch_id")
        infos = [BatchInfo.model_validate_json(r["data"]) for r in rows]
        return [b for b in infos if not (pending_only and b.collected)]

    def pending_paper_ids(self) -> set[str]:
        """Papers waiting in a submitted, not yet collected batch."""
        return {
            item.paper_id
            for batch in self.batches(pending_only=True)
            for item in batch.items.values()
        }
