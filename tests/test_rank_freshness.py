"""The batch features: a paper's age within the batch it was screened in, and whether the
reader was shown it before, learned from the history like the words (rank/freshness.py)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.config import Settings
from papercast.history import read_history
from papercast.models import Paper
from papercast.rank import ProfileItem, load_profile, rank_papers, record_picks
from papercast.rank.freshness import candidate_rows, item_rows
from papercast.store import Database, PaperStore
from papercast.store.history import HistoryStore
from support.screenings import START, newest_share_of_top, profile_of, screenings, week

runner = CliRunner()


def test_the_age_weight_is_learned_from_the_history_not_set_by_hand() -> None:
    settings = Settings()
    candidates = week()
    fresh_reader = rank_papers(candidates, profile_of(screenings(picked_age=0)), settings)
    assert newest_share_of_top(fresh_reader) == 10  # all ten of the newest day first
    assert "newest listing of the batch (often picked)" in fresh_reader[0].why
    assert "1-2 days older than the batch's newest (rarely picked)" in fresh_reader[-1].why
    # a reader who works through the backlog: the same feature, the opposite weight
    backlog_reader = rank_papers(candidates, profile_of(screenings(picked_age=2)), settings)
    assert newest_share_of_top(backlog_reader) == 0


def test_without_batch_information_the_dates_change_nothing() -> None:
    settings = Settings()
    profile = profile_of(screenings(picked_age=0), with_batches=False)
    dated = rank_papers(week(), profile, settings, explain=True)
    undated_papers = [p.model_copy(update={"published": None}) for p in week()]
    undated = rank_papers(undated_papers, profile, settings)
    assert [r.score for r in dated] == [r.score for r in undated]
    assert not any("batch" in r.why for r in dated)


def test_shuffled_dates_teach_nothing() -> None:
    """The control: the same history with each paper's date shuffled within its batch."""
    rows = screenings(picked_age=0)
    rng = random.Random(5)
    for b in range(0, len(rows), 16):
        dates = [rows[i]["paper_date"] for i in range(b, b + 16)]
        rng.shuffle(dates)
        for i, value in zip(range(b, b + 16), dates, strict=True):
            rows[i]["paper_date"] = value
    settings = Settings()
    shuffled = rank_papers(week(), profile_of(rows), settings)
    assert not any("often picked" in r.why or "rarely picked" in r.why for r in shuffled)
    # scores move a little (the fit has 5 more columns) and far less than real dates move them
    undated = {r.paper.id: r.score for r in rank_papers(week(), profile_of(rows, False), settings)}
    real = rank_papers(week(), profile_of(screenings(picked_age=0)), settings)
    moved = max(abs(r.score - undated[r.paper.id]) for r in shuffled)
    moved_by_real_dates = max(abs(r.score - undated[r.paper.id]) for r in real)
    assert moved < 0.1 < 0.3 < moved_by_real_dates


def test_features_of_items_and_candidates() -> None:
    day = START
    items = [
        ProfileItem(title="a", paper_date=day, batch="b1"),
        ProfileItem(title="b", paper_date=day - timedelta(days=2), batch="b1"),
        ProfileItem(title="c", paper_date=day - timedelta(days=30), batch="b1", shown_before=True),
        ProfileItem(title="d", paper_date=day - timedelta(days=5), batch="b2"),  # its own newest
        ProfileItem(title="e", paper_date=day),  # no batch: no evidence
        ProfileItem(title="f", batch="b1"),  # no date: no evidence
    ]
    assert item_rows(items).tolist() == [
        [1, 0, 0, 0, 0],
        [0, 1, 0, 0, 0],
        [0, 0, 0, 1, 1],
        [1, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
    ]
    candidates = [
        Paper(id="arxiv:2406.00001", source="arxiv", title="New one", published=day),
        Paper(id="local:1", source="local", title="A!", published=day - timedelta(days=4)),
        Paper(id="local:2", source="local", title="Undated"),
    ]
    items.append(ProfileItem(title="x", paper_id="arxiv:2406.00001"))
    assert candidate_rows(candidates, items).tolist() == [
        [1, 0, 0, 0, 1],  # its id is in the profile: shown before
        [0, 0, 1, 0, 1],  # its title is (case and punctuation aside)
        [0, 0, 0, 0, 0],
    ]


def test_cli_history_with_screening_days_and_dated_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    rows = screenings(picked_age=0)
    history = tmp_path / "history.csv"
    history.write_text(
        "title,paper_date,screened_on,picked\n"
        + "".join(
            f"{r['title']},{r['paper_date']},{r['screened_on']},{r['picked']}\n" for r in rows
        ),
        encoding="utf-8",
    )
    candidates = tmp_path / "week.jsonl"
    candidates.write_text(
        "".join(
            json.dumps({"id": p.id, "title": p.title, "date": p.published.date().isoformat()})  # type: ignore[union-attr]
            + "\n"
            for p in week()
        ),
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["rank", "--history", str(history), "--candidates", str(candidates), "--why"]
    )
    assert result.exit_code == 0, result.output
    ranked = [json.loads(line) for line in result.stdout.splitlines()]
    assert {int(str(r["id"]).split(":")[1]) % 2 for r in ranked[:10]} == {0}
    assert "newest listing of the batch" in str(ranked[0]["why"])
    # a date it cannot read is an error naming the line, not a silent zero
    history.write_text("title,paper_date,screened_on,picked\nA,2024-06-01,last tuesday,1\n")
    bad = runner.invoke(app, ["rank", "--history", str(history), "--candidates", str(candidates)])
    assert bad.exit_code == 2
    message = " ".join(bad.output.split())
    assert "history.csv, line 2: cannot read the date 'last tuesday'" in message


def test_stored_history_keeps_its_screening_days(tmp_path: Path) -> None:
    path = tmp_path / "screened.csv"
    path.write_text(
        "title,url,paper_date,screened_on,shown_on,picked\n"
        "Fresh pick,https://arxiv.org/abs/2406.00001,2024-06-18,2024-06-19,,1\n"
        "Seen again,https://arxiv.org/abs/2406.00002,2024-06-10,2024-06-19,2024-06-12,0\n"
        "Undated,https://arxiv.org/abs/2406.00003,,,,0\n",
        encoding="utf-8",
    )
    with Database(tmp_path / "db.sqlite") as db:
        store = HistoryStore(db)
        assert store.import_records(read_history(path), "screened.csv").added == 3
        items = {i.title: i for i in load_profile(db, Settings()).items}
        fresh, again, undated = items["Fresh pick"], items["Seen again"], items["Undated"]
        assert fresh.batch == again.batch == "screened:2024-06-19"
        assert fresh.paper_date == datetime(2024, 6, 18, tzinfo=UTC)
        assert fresh.when == datetime(2024, 6, 19, tzinfo=UTC)  # the screening day dates it
        assert (fresh.shown_before, again.shown_before) == (False, True)
        assert (undated.batch, undated.paper_date, undated.shown_before) == (None, None, False)
        assert store.import_records(read_history(path), "screened.csv").unchanged == 3
        path.write_text(
            "title,url,paper_date,screened_on,picked\n"
            "Fresh pick,https://arxiv.org/abs/2406.00001,2024-06-18,2024-06-20,1\n",
            encoding="utf-8",
        )
        assert store.import_records(read_history(path), "screened.csv").updated == 1
        items = {i.title: i for i in load_profile(db, Settings()).items}
        assert items["Fresh pick"].batch == "screened:2024-06-20"


def test_picks_of_issues_are_batches(tmp_path: Path) -> None:
    day = datetime(2024, 10, 7, tzinfo=UTC)
    papers = [
        Paper(
            id=f"arxiv:2410.0000{i}",
            source="arxiv",
            title=f"Paper {i}",
            published=day - timedelta(days=i),
        )
        for i in range(4)
    ]
    with Database(tmp_path / "db.sqlite") as db:
        for p in papers:
            PaperStore(db).upsert(p)
        ids = [p.id for p in papers]
        record_picks(db, "2024-W41", picked=[ids[0]], shown=ids[:3])
        record_picks(db, "2024-W42", picked=[ids[2]], shown=ids[2:])  # paper 2 shown again
        items = {i.paper_id: i for i in load_profile(db, Settings()).items}
        assert items[ids[0]].batch == "issue:2024-W41"
        assert items[ids[2]].batch == "issue:2024-W42" and items[ids[2]].picked
        assert items[ids[1]].paper_date == day - timedelta(days=1)
        assert [items[i].shown_before for i in ids] == [False, False, True, False]
        left = {i.paper_id: i for i in load_profile(db, Settings(), exclude_issue="2024-W41").items}
        assert left[ids[2]].shown_before is False  # the excluded issue does not count
