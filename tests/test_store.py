"""The SQLite store: versions, aliases, seen-tracking, migrations, transactions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from papercast.models import Paper
from papercast.store import Database, PaperStore, RunStore, UpsertOutcome


def arxiv_paper(version: int = 1, **extra: object) -> Paper:
    return Paper(
        id="arxiv:2410.05258",
        source="arxiv",
        version=version,
        title=f"Paper v{version}",
        published=datetime(2024, 10, 7, tzinfo=UTC),
        aliases=["doi:10.48550/arxiv.2410.05258"],
        **extra,
    )


def test_wal_and_migrations_recorded(tmp_path: Path) -> None:
    db = Database(tmp_path / "p.db")
    assert db.query_one("PRAGMA journal_mode")[0] == "wal"
    numbers = [r["number"] for r in db.query("SELECT number FROM migrations ORDER BY number")]
    assert numbers[:3] == [1, 2, 3]
    db.close()
    again = Database(tmp_path / "p.db")  # reopening applies nothing twice
    assert [
        r["number"] for r in again.query("SELECT number FROM migrations ORDER BY number")
    ] == numbers
    assert again.integrity_ok()


def test_versions_are_one_paper(tmp_path: Path) -> None:
    store = PaperStore(Database(tmp_path / "p.db"))
    assert store.upsert(arxiv_paper(1)) == ("arxiv:2410.05258", UpsertOutcome.NEW)
    assert store.upsert(arxiv_paper(1)) == ("arxiv:2410.05258", UpsertOutcome.DUPLICATE)
    assert store.upsert(arxiv_paper(2)) == ("arxiv:2410.05258", UpsertOutcome.UPDATED)
    assert store.upsert(arxiv_paper(1)) == ("arxiv:2410.05258", UpsertOutcome.DUPLICATE)
    assert store.count() == 1
    assert store.versions("arxiv:2410.05258") == [1, 2]
    latest = store.get("arxiv:2410.05258")
    assert latest and latest.version == 2 and latest.title == "Paper v2"
    assert latest.published == datetime(2024, 10, 7, tzinfo=UTC)


def test_same_work_from_another_source_by_alias(tmp_path: Path) -> None:
    store = PaperStore(Database(tmp_path / "p.db"))
    store.upsert(
        Paper(
            id="biorxiv:10.1101/2024.1",
            source="biorxiv",
            version=1,
            title="B",
            aliases=["doi:10.1101/2024.1"],
        )
    )
    canonical, outcome = store.upsert(
        Paper(id="feed:abc", source="feed", title="B (journal)", aliases=["doi:10.1101/2024.1"])
    )
    assert (canonical, outcome) == ("biorxiv:10.1101/2024.1", UpsertOutcome.DUPLICATE)
    assert store.resolve("feed:abc") == "biorxiv:10.1101/2024.1"
    assert store.count() == 1


def test_seen_tracking_and_listing(tmp_path: Path) -> None:
    store = PaperStore(Database(tmp_path / "p.db"))
    store.upsert(arxiv_paper())
    store.upsert(
        Paper(
            id="arxiv:2410.00002",
            source="arxiv",
            title="Other",
            published=datetime(2024, 10, 9, tzinfo=UTC),
        )
    )
    assert store.mark_seen(["arxiv:2410.05258"], "2024-W41") == 1
    assert store.mark_seen(["arxiv:2410.05258"], "2024-W41") == 0
    assert [p.id for p in store.list(seen=False)] == ["arxiv:2410.00002"]
    assert [p.id for p in store.list(seen=True)] == ["arxiv:2410.05258"]
    assert [p.id for p in store.list(since=datetime(2024, 10, 8).date())] == ["arxiv:2410.00002"]


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    db = Database(tmp_path / "p.db")
    store = PaperStore(db)
    with pytest.raises(RuntimeError), db.transaction():
        store.upsert(arxiv_paper())
        raise RuntimeError("killed mid-write")
    assert store.count() == 0
    assert db.query("SELECT * FROM paper_aliases") == []


def test_runs_are_recorded(tmp_path: Path) -> None:
    runs = RunStore(Database(tmp_path / "p.db"))
    run_id = runs.start("fetch", "2024-W41")
    runs.record_paper(run_id, "arxiv:1", "arxiv", "new")
    runs.finish(run_id, "done", {"fetched": 1})
    [run] = runs.recent()
    assert (
        run["status"] == "done" and run["report"] == {"fetched": 1} and run["window"] == "2024-W41"
    )


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    from papercast.errors import PapercastError

    path = tmp_path / "p.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(PapercastError, match="unreadable") as info:
        Database(path)
    assert info.value.hint and "move it aside" in info.value.hint
    assert path.read_bytes() == b"this is not a database" * 100  # left as it was, not "repaired"


def test_titles_and_abstracts_are_normalized() -> None:
    paper = Paper(
        id="arxiv:2410.1",
        source="arxiv",
        title="A  title\n   over \\\\ two lines",
        abstract=r"We save 76\% of R\&D cost (the ``target model'') \newline and more.",
    )
    assert paper.title == "A title over two lines"
    assert paper.abstract == "We save 76% of R&D cost (the \u201ctarget model\u201d) and more."
