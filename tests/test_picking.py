"""Picking: the shortlist file, keyboard selections, recorded picks."""

from __future__ import annotations

from pathlib import Path

import pytest

from papercast.errors import InputError, NotFoundError
from papercast.models import Paper
from papercast.picking import (
    apply_picks,
    parse_selection,
    read_shortlist,
    set_pick,
    write_shortlist,
)
from papercast.store import Database
from papercast.store.picks import PickStore
from papercast.store.weekly import RankedRef, WeeklyState, WeeklyStore


def _state() -> WeeklyState:
    refs = [RankedRef(id=f"arxiv:2410.0000{i}", score=1 - i / 10) for i in range(1, 5)]
    return WeeklyState(issue_id="2024-W41", window="2024-W41", ranked=refs)


def test_shortlist_round_trip(tmp_path: Path) -> None:
    state = _state()
    papers = {
        r.id: Paper(id=r.id, source="arxiv", title=f"Title (v{n}) with [brackets]")
        for n, r in enumerate(state.ranked)
    }
    path = tmp_path / "shortlist.md"
    write_shortlist(path, "2024-W41", state.ranked, papers)
    text = path.read_text()
    assert text.count("- [ ] ") == 4
    path.write_text(
        text.replace("- [ ] Title (v2)", "- [x] Title (v2)").replace(
            "- [ ] Title (v0)", "- [X] Title (v0)"
        )
    )
    assert read_shortlist(path) == ["arxiv:2410.00001", "arxiv:2410.00003"]
    with pytest.raises(NotFoundError):
        read_shortlist(tmp_path / "missing.md")


def test_selection_parsing() -> None:
    assert parse_selection("1 3, 5-7", 10) == {1, 3, 5, 6, 7}
    for bad in ("0", "11", "a", "3-x", "5-20"):
        with pytest.raises(ValueError):
            parse_selection(bad, 10)


def test_apply_picks_records_and_reorders(tmp_path: Path) -> None:
    db = Database(tmp_path / "p.db")
    state = apply_picks(db, _state(), ["arxiv:2410.00003"])
    assert [r.id for r in state.ranked][:2] == ["arxiv:2410.00003", "arxiv:2410.00001"]
    rows = {r.paper_id: r.picked for r in PickStore(db).rows("2024-W41")}
    assert rows == {
        "arxiv:2410.00001": False,
        "arxiv:2410.00002": False,
        "arxiv:2410.00003": True,
        "arxiv:2410.00004": False,
    }
    with pytest.raises(InputError, match="not a candidate"):
        apply_picks(db, _state(), ["arxiv:9999.99999"])


def _reference_order(refs: list[RankedRef]) -> list[tuple[str, bool]]:
    """What one pick must leave: the picked first, then the rest, each best score first."""
    ordered = sorted(refs, key=lambda r: -r.score)
    return [(r.id, r.picked) for r in ordered if r.picked] + [
        (r.id, r.picked) for r in ordered if not r.picked
    ]


def test_one_pick_at_a_time_keeps_the_frozen_selection_in_order(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    refs = [
        RankedRef(id=f"arxiv:2410.{i:05d}", score=rng.choice([0.1, 0.5, 0.9])) for i in range(40)
    ]
    with Database(tmp_path / "p.db") as db:
        weekly = WeeklyStore(db)
        weekly.save(WeeklyState(issue_id="2024-W41", window="2024-W41", ranked=refs, stage="done"))
        expected = {r.id: False for r in refs}
        for step in range(30):  # the first labels the whole week, the rest change one row each
            paper_id = rng.choice(refs).id
            picked = not expected[paper_id] if step else True
            expected[paper_id] = picked
            set_pick(db, "2024-W41", paper_id, picked)
            state = weekly.get("2024-W41")
            assert state is not None
            assert [(r.id, r.picked) for r in state.ranked] == _reference_order(state.ranked)
            assert {r.id: r.picked for r in state.ranked} == expected
            labels = {r.paper_id: r.picked for r in PickStore(db).rows("2024-W41")}
            assert labels == expected
        assert state.stage == "waiting-for-picks"  # picks changed after the issue was built
        assert sorted(r.score for r in state.ranked) == sorted(r.score for r in refs)
        with pytest.raises(InputError, match="not a candidate"):
            set_pick(db, "2024-W41", "arxiv:9999.99999", True)
        with pytest.raises(NotFoundError, match="not been ranked"):
            set_pick(db, "2024-W40", refs[0].id, True)


def test_a_store_with_the_selection_as_json_keeps_it_through_the_migration(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    refs = [
        RankedRef(id="arxiv:2410.00002", score=0.4, why="liked [x] <b>", picked=True),
        RankedRef(id="arxiv:2410.00001", score=0.9, why="", picked=False),
        RankedRef(id="arxiv:2410.00003", score=0.1),
    ]
    with Database(path) as db:  # the table as migration 50 made it, with its JSON list
        db.conn.execute("DROP TABLE weekly_refs")
        db.conn.execute("DROP TABLE weekly")
        db.conn.execute(
            "CREATE TABLE weekly (issue_id TEXT PRIMARY KEY, window TEXT NOT NULL, "
            "ranked TEXT NOT NULL, stage TEXT NOT NULL, updated_at TEXT NOT NULL)"
        )
        db.conn.execute(
            "INSERT INTO weekly VALUES ('2024-W41', '2024-W41', ?, 'summarized', 'x')",
            ("[" + ",".join(r.model_dump_json() for r in refs) + "]",),
        )
        db.conn.execute("DELETE FROM migrations WHERE number = 51")
    with Database(path) as db:
        state = WeeklyStore(db).get("2024-W41")
    assert state == WeeklyState(
        issue_id="2024-W41", window="2024-W41", ranked=refs, stage="summarized"
    )
