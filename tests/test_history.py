"""History import: every format, clear errors with line numbers, all-or-nothing imports."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.config import Settings
from papercast.errors import InputError
from papercast.history import read_candidates, read_history
from papercast.models import Paper
from papercast.rank import load_profile
from papercast.store import Database, PaperStore
from papercast.store.history import HistoryStore

runner = CliRunner()

ZOTERO_CSV = (
    '"Key","Item Type","Publication Year","Author","Title","Publication Title","DOI","Url",'
    '"Abstract Note","Date","Date Added","Date Modified","Extra"\n'
    '"AB12CD34","preprint","2023","Bachmann, Gregor","Scaling MLPs: A Tale of Inductive Bias",'
    '"","","http://arxiv.org/abs/2306.13575","In this work we revisit the MLP.","2023-06-23",'
    '"2023-07-01 10:20:30","2023-07-01 10:20:30",""\n'
    '"EF56GH78","journalArticle","2024","Gu, Albert","Mamba: Linear-Time Sequence Modeling",'
    '"","","","Selective state spaces.","2023-12-01","2024-01-05 08:00:00",'
    '"2024-01-05 08:00:00","arXiv: 2312.00752"\n'
)

BIBTEX = r"""
@article{bachmann2023scaling,
  title = {Scaling {MLPs}: A Tale of Inductive Bias},
  author = {Bachmann, Gregor and Anagnostidis, Sotiris},
  eprint = {2306.13575},
  archivePrefix = {arXiv},
  year = {2023},
  month = jun,
  abstract = {In this work we revisit the most fundamental building block, the MLP.}
}

@inproceedings{tolstikhin2021mixer,
  title = {{MLP}-Mixer: An all-{MLP} Architecture for Vision},
  author = {Tolstikhin, Ilya},
  year = {2021},
  url = {https://arxiv.org/abs/2105.01601v4}
}

@misc{schr2020,
  title = {Sch{\"o}nheit of Perceptrons},
  year = {2020}
}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def history_count() -> int:
    result = runner.invoke(app, ["history", "list", "--json", "--limit", "1000"])
    assert result.exit_code == 0, result.output
    return len([line for line in result.stdout.splitlines() if line.strip()])


# --- formats -----------------------------------------------------------------------------


def test_csv_history_with_labels_ids_and_dates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "picks.csv",
        "title,abstract,url,picked,date\n"
        'Scaling MLPs,"We revisit the MLP,\nthe simplest block.",'
        "https://arxiv.org/abs/2306.13575v2,1,2023-07-01\n"
        "Some paper I passed over,,,0,\n"
        "Untagged paper,,2401.00001,,\n",
    )
    records = read_history(path)
    assert [r.title for r in records] == [
        "Scaling MLPs",
        "Some paper I passed over",
        "Untagged paper",
    ]
    assert records[0].paper_id == "arxiv:2306.13575"
    assert records[0].abstract == "We revisit the MLP, the simplest block."
    assert records[0].added == datetime(2023, 7, 1, tzinfo=UTC)
    assert [r.picked for r in records] == [True, False, True]  # unlabelled counts as picked
    assert records[2].paper_id == "arxiv:2401.00001"
    assert [r.line for r in records] == [2, 4, 5]  # the quoted newline spans line 2-3


def test_jsonl_history(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "h.jsonl",
        '{"title": "A", "abstract": "alpha", "id": "2306.13575", "picked": true}\n'
        "\n"
        '{"title": "B", "picked": 0}\n',
    )
    records = read_history(path)
    assert [(r.title, r.picked, r.paper_id) for r in records] == [
        ("A", True, "arxiv:2306.13575"),
        ("B", False, None),
    ]
    assert records[1].line == 3


def test_zotero_csv_export(tmp_path: Path) -> None:
    records = read_history(write(tmp_path, "My Library.csv", ZOTERO_CSV))
    assert [r.paper_id for r in records] == ["arxiv:2306.13575", "arxiv:2312.00752"]
    assert records[0].title == "Scaling MLPs: A Tale of Inductive Bias"
    assert records[0].abstract == "In this work we revisit the MLP."
    assert records[1].added == datetime(2024, 1, 5, 8, 0, tzinfo=UTC)
    assert all(r.picked for r in records)


def test_bibtex(tmp_path: Path) -> None:
    records = read_history(write(tmp_path, "library.bib", BIBTEX))
    assert [r.title for r in records] == [
        "Scaling MLPs: A Tale of Inductive Bias",
        "MLP-Mixer: An all-MLP Architecture for Vision",
        "Schönheit of Perceptrons",
    ]
    assert [r.paper_id for r in records] == ["arxiv:2306.13575", "arxiv:2105.01601", None]
    assert records[0].added == datetime(2023, 6, 1, tzinfo=UTC)
    assert records[0].abstract.startswith("In this work")


def test_plain_id_list(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ids.txt",
        "# my favourites\n2306.13575\n\nhttps://arxiv.org/abs/2312.00752v2  \narXiv:2105.01601\n",
    )
    records = read_history(path)
    assert [r.paper_id for r in records] == [
        "arxiv:2306.13575",
        "arxiv:2312.00752",
        "arxiv:2105.01601",
    ]
    assert [r.line for r in records] == [2, 4, 5]


# --- malformed files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "line", "words"),
    [
        ("bad.csv", "title,picked\nGood,1\nBad,maybe\n", 3, "'picked' must be 1 or 0"),
        ("bad.csv", 'title,url\nGood,\n,\u0020\n,\n"unclosed,x\n', 5, "malformed CSV"),
        ("bad.csv", "title,picked\nA,1\nB,1,extra\n", 3, "fields but the header"),
        ("bad.csv", "title,date\nA,yesterday-ish\n", 2, "cannot read the date"),
        ("bad.jsonl", '{"title": "A"}\n{"title": "B",\n', 2, "not valid JSON"),
        ("bad.jsonl", '{"title": "A"}\n["B"]\n', 2, "JSON object"),
        ("bad.jsonl", '{"title": "A"}\n{"abstract": "no title"}\n', 2, "needs a title"),
        ("bad.txt", "2306.13575\nnot-an-id\n", 2, "is not an arXiv id"),
        (
            "bad.bib",
            "@article{a, title={Fine}}\n\n@article{b,\n  title={Broken\n@misc{c, title={X}}\n",
            3,
            "malformed BibTeX",
        ),
    ],
)
def test_malformed_files_name_the_line_and_import_nothing(
    tmp_path: Path, name: str, text: str, line: int, words: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(InputError) as info:
        read_history(path)
    assert f"line {line}:" in info.value.message
    assert words in info.value.message
    runner_result = runner.invoke(app, ["history", "import", str(path)], env={})
    assert runner_result.exit_code != 0
    assert history_count() == 0  # nothing half-imported


def test_cli_error_is_one_readable_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    path = write(tmp_path, "bad.csv", "title,picked\nGood,1\nBad,2\n")
    result = runner.invoke(app, ["history", "import", str(path)])
    assert result.exit_code == 2
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "bad.csv, line 3: 'picked' must be 1 or 0, not '2'" in output
    assert "fix line 3 and retry" in output
    assert "Traceback" not in output


def test_missing_title_column_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no 'title' column"):
        read_history(write(tmp_path, "x.csv", "name,abstract\nA,b\n"))
    with pytest.raises(InputError, match="holds no papers"):
        read_history(write(tmp_path, "empty.csv", "title,abstract\n"))
    with pytest.raises(InputError, match="no such file"):
        read_history(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="line 2: the file is not UTF-8"):
        path = tmp_path / "latin.csv"
        path.write_bytes(b"title\n\xe9t\xe9\n")
        read_history(path)


def test_import_is_all_or_nothing_in_the_store(tmp_path: Path) -> None:
    good = read_history(write(tmp_path, "a.csv", "title\nOne\nTwo\n"))
    with Database(tmp_path / "db.sqlite") as db:
        store = HistoryStore(db)
        store.import_records(good, origin="a.csv")
        fresh = good[0].model_copy(update={"title": "Three"})
        broken = good[0].model_copy(update={"paper_id": "arxiv:2401.00001", "title": None})
        with pytest.raises(sqlite3.IntegrityError):
            store.import_records([fresh, broken], origin="b.csv")
        assert store.count() == 2
        assert {r.origin for r in store.rows()} == {"a.csv"}


# --- the store and the CLI ---------------------------------------------------------------


def test_import_twice_is_idempotent_and_updates_labels(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "title,id,picked\nA,2306.13575,1\nB,,1\n")
    first = runner.invoke(app, ["history", "import", str(path)])
    assert first.exit_code == 0, first.output
    assert "Imported 2 papers from h.csv: 2 new, 0 updated, 0 unchanged" in first.stdout
    again = runner.invoke(app, ["history", "import", str(path)])
    assert "0 new, 0 updated, 2 unchanged" in again.stdout
    path.write_text("title,id,picked\nA,2306.13575,0\n", encoding="utf-8")
    changed = runner.invoke(app, ["history", "import", str(path)])
    assert "0 new, 1 updated, 0 unchanged (0 picked, 1 passed over)" in changed.stdout
    listed = runner.invoke(app, ["history", "list"])
    assert "Scaling" not in listed.stdout and "A" in listed.stdout
    assert "History: 2 papers" in listed.stdout


def test_id_only_history_gains_text_once_the_paper_is_known(tmp_path: Path) -> None:
    path = write(tmp_path, "ids.txt", "2306.13575\n")
    result = runner.invoke(app, ["history", "import", str(path)])
    assert "1 have only an id" in result.stdout
    from papercast.layout import Layout

    settings = Settings()
    with Database(Layout.from_settings(settings).db_path) as db:
        assert load_profile(db, settings).items == []
        PaperStore(db).upsert(
            Paper(
                id="arxiv:2306.13575",
                source="arxiv",
                title="Scaling MLPs: A Tale of Inductive Bias",
                abstract="We revisit the MLP.",
            )
        )
        profile = load_profile(db, settings)
    assert [i.title for i in profile.items] == ["Scaling MLPs: A Tale of Inductive Bias"]
    assert profile.items[0].picked is True
    assert profile.items[0].origin == "history:ids.txt"


def history_titles() -> dict[str, str]:
    """Title -> origin of every imported history item, as `history list --json` shows them."""
    result = runner.invoke(app, ["history", "list", "--json", "--limit", "1000"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {row["title"]: row["origin"] for row in rows}


def import_two_files(tmp_path: Path) -> None:
    for name, text in (("a.csv", "title\nA\n"), ("b.csv", "title\nB1\nB2\n")):
        result = runner.invoke(app, ["history", "import", str(write(tmp_path, name, text))])
        assert result.exit_code == 0, result.output
    assert history_titles() == {"A": "a.csv", "B1": "b.csv", "B2": "b.csv"}


def test_clear_by_origin_forgets_that_file_only(tmp_path: Path) -> None:
    import_two_files(tmp_path)
    result = runner.invoke(app, ["history", "clear", "--origin", "b.csv", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Forgot 2 papers (history imported from b.csv)" in result.stdout
    assert history_titles() == {"A": "a.csv"}
    unknown = runner.invoke(app, ["history", "clear", "--origin", "nothing.csv", "--yes"])
    assert "Forgot 0 papers" in unknown.stdout
    assert history_titles() == {"A": "a.csv"}


def test_clear_asks_first_and_a_no_keeps_everything(tmp_path: Path) -> None:
    import_two_files(tmp_path)
    refused = runner.invoke(app, ["history", "clear"], input="n\n")
    assert refused.exit_code == 1
    assert "Forget all imported history?" in refused.stdout
    assert len(history_titles()) == 3
    agreed = runner.invoke(app, ["history", "clear"], input="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert "Forgot 3 papers (all imported history)" in agreed.stdout
    assert history_titles() == {}


def test_store_clear_counts_what_it_removed(tmp_path: Path) -> None:
    import_two_files(tmp_path)
    from papercast.layout import Layout

    with Database(Layout.from_settings(Settings()).db_path) as db:
        store = HistoryStore(db)
        assert store.clear("nothing.csv") == 0
        assert store.clear("a.csv") == 1
        assert sorted(row.title for row in store.rows()) == ["B1", "B2"]
        assert store.clear() == 2
        assert store.count() == 0


def test_candidates_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.csv",
        "id,url,title,abstract\nx1,,First,a\n,https://e.org/2,Second,\n",
    )
    records = read_candidates(path)
    assert [(r.ref, r.title) for r in records] == [("x1", "First"), ("https://e.org/2", "Second")]
    with pytest.raises(InputError, match="line 2: a candidate needs an 'id' or a 'url'"):
        read_candidates(write(tmp_path, "d.csv", "title\nNo id\n"))
    with pytest.raises(InputError, match="line 2: candidate 'b' has no title"):
        read_candidates(write(tmp_path, "e.jsonl", '{"id":"a","title":"T"}\n{"id":"b"}\n'))
