"""Picking: the shortlist file, keyboard selections, recorded picks."""

from __future__ import annotations

from pathlib import Path

import pytest

from papercast.errors import InputError, NotFoundError
from papercast.models import Paper
from papercast.picking import apply_picks, parse_selection, read_shortlist, write_shortlist
from papercast.store import Database
from papercast.store.picks import PickStore
from papercast.store.weekly import RankedRef, WeeklyState


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
