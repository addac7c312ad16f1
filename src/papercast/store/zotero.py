"""The Zotero library as last synced: its version, and which item became which history row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from papercast.store.db import Database, utcnow


@dataclass(frozen=True)
class SyncState:
    version: int
    scope: str  # the collections the sync covered (a change means a full sync)
    synced_at: str


class ZoteroStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def state(self, library: str) -> SyncState | None:
        row = self.db.query_one(
            "SELECT version, scope, synced_at FROM zotero_sync WHERE library = ?", (library,)
        )
        return (
            SyncState(int(row["version"]), str(row["scope"]), str(row["synced_at"]))
            if row
            else None
        )

    def item_keys(self, library: str) -> dict[str, str]:
        """item key -> history key, for every item the library has given papercast."""
        rows = self.db.query(
            "SELECT item_key, history_key FROM zotero_items WHERE library = ?", (library,)
        )
        return {str(r["item_key"]): str(r["history_key"]) for r in rows}

    def apply(
        self,
        library: str,
        *,
        version: int,
        scope: str,
        mapped: dict[str, str],
        removed: Iterable[str],
        origin: str,
    ) -> int:
        """Record a sync: items now mapped to history rows, items gone (their history rows go
        too unless another item still names the same paper); returns history rows removed."""
        gone = 0
        with self.db.transaction() as conn:
            for item_key, history_key in mapped.items():
                conn.execute(
                    "INSERT OR REPLACE INTO zotero_items (library, item_key, history_key) "
                    "VALUES (?, ?, ?)",
                    (library, item_key, history_key),
                )
            for item_key in removed:
                row = conn.execute(
                    "SELECT history_key FROM zotero_items WHERE library = ? AND item_key = ?",
                    (library, item_key),
                ).fetchone()
                if row is None:
                    continue
                conn.execute(
                    "DELETE FROM zotero_items WHERE library = ? AND item_key = ?",
                    (library, item_key),
                )
                still = conn.execute(
                    "SELECT 1 FROM zotero_items WHERE library = ? AND history_key = ?",
                    (library, row[0]),
                ).fetchone()
                if still is None:
                    gone += conn.execute(
                        "DELETE FROM history WHERE key = ? AND origin = ?", (row[0], origin)
                    ).rowcount
            conn.execute(
                "INSERT OR REPLACE INTO zotero_sync (library, version, scope, synced_at) "
                "VALUES (?, ?, ?, ?)",
                (library, version, scope, utcnow()),
            )
        return gone
