"""Search over the store: what a reader types becomes a safe FTS5 query; the index follows
every write (papers, new versions, summaries) through its triggers; marks are escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

from papercast.browse import fts_query, search
from papercast.render import marked
from papercast.store import Database, PaperStore
from papercast.store.search import MARK_END, MARK_START
from papercast.store.summaries import SummaryStore
from support.issue_builders import paper, summary


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("rotary embeddings", '"rotary" "embeddings"*'),
        ('"rotary embeddings" gemma', '"rotary embeddings" "gemma"*'),
        ('"rotary embeddings"', '"rotary embeddings"'),
        ('say "hi', '"say" "hi"*'),
        ("title:x AND y", '"title:x" "AND" "y"*'),
        ('a"b', '"a""b"*'),
        ("- * ( )", None),
        ("", None),
    ],
)
def test_what_a_reader_types_is_never_fts_syntax(typed: str, query: str | None) -> None:
    assert fts_query(typed) == query


def test_the_index_follows_inserts_new_versions_and_summaries(tmp_path: Path) -> None:
    with Database(tmp_path / "p.db") as db:
        store = PaperStore(db)
        store.upsert(paper(1, title="Quokka networks", authors=[]))
        assert [r.paper.id for r in search(db, "quokka").rows] == ["arxiv:2410.00001"]
        store.upsert(paper(1, version=2, title="Wombat networks"))  # a new version renames it
        assert search(db, "quokka").rows == []
        assert search(db, "wombat").total == 1
        assert search(db, "author 1A").total == 1  # authors are indexed
        assert search(db, "numbat").total == 0
        SummaryStore(db).put(summary(1, results="A numbat effect appears."))
        hit = search(db, "numbat").rows[0]
        assert f"{MARK_START}numbat{MARK_END}" in hit.summary
        assert search(db, "networks").total == 1  # stemmed: network(s)


def test_a_store_made_before_the_index_is_indexed_by_its_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with Database(path) as db:
        PaperStore(db).upsert(paper(1, title="Capybara dynamics"))
        SummaryStore(db).put(summary(1, tldr="Capybaras swim."))
        db.conn.execute("DROP TABLE paper_search")
        db.conn.execute("DROP TABLE paper_categories")
        for name in ("insert", "update", "delete", "summary"):
            db.conn.execute(f"DROP TRIGGER paper_search_{name}")
        for name in ("insert", "update", "delete"):
            db.conn.execute(f"DROP TRIGGER paper_categories_{name}")
        db.conn.execute("DELETE FROM migrations WHERE number = 60")
    with Database(path) as db:
        assert search(db, "capybara").total == 1
        assert search(db, "swim").total == 1


def test_marks_are_added_after_escaping() -> None:
    text = f"<b>{MARK_START}x</b>{MARK_END} & {MARK_START}y"
    assert str(marked(text)) == "&lt;b&gt;<mark>x&lt;/b&gt;</mark> &amp; <mark>y</mark>"
    assert str(marked(f"{MARK_END}a{MARK_START}")) == "a<mark></mark>"


def test_a_broad_query_comes_newest_first_unless_relevance_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import papercast.browse as browse

    with Database(tmp_path / "p.db") as db:
        store = PaperStore(db)
        store.upsert(paper(1, title="Otter otter otter", abstract="otter"))
        store.upsert(paper(2, title="Rivers", abstract="An otter swims."))
        store.upsert(paper(3, title="Lakes", abstract="One otter."))
        ranked = [r.paper.id for r in search(db, "otter").rows]
        assert ranked[0] == "arxiv:2410.00001" and not search(db, "otter").newest_first
        monkeypatch.setattr(browse, "BROAD_MATCHES", 2)
        broad = search(db, "otter")
        assert broad.newest_first and broad.total == 3
        assert [r.paper.id for r in broad.rows] == [f"arxiv:2410.0000{n}" for n in (3, 2, 1)]
        assert [r.paper.id for r in search(db, "otter", relevance=True).rows] == ranked
        assert all(MARK_START in r.title + r.abstract for r in broad.rows)


def test_the_source_filter_offers_every_source_in_the_store_once(tmp_path: Path) -> None:
    from papercast.store.search import SearchStore

    with Database(tmp_path / "p.db") as db:
        store = PaperStore(db)
        assert SearchStore(db).sources() == []
        for n, source in enumerate(["medrxiv", "arxiv", "feed", "arxiv", "biorxiv", "medrxiv"]):
            store.upsert(paper(n, id=f"{source}:x{n}", source=source))
        assert SearchStore(db).sources() == ["arxiv", "biorxiv", "feed", "medrxiv"]
        page = search(db, "study")
        assert page.sources == ["arxiv", "biorxiv", "feed", "medrxiv"]
