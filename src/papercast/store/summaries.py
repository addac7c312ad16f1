"""Summaries, LLM call log and Batch API jobs in the store.

A summary is keyed by (paper id, version, model, prompt hash, schema version): the same paper
with the same prompt and model is never paid for twice. The calls that made it are in
``papercast.store.calls``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from papercast.models import Paper, SummaryRecord
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
