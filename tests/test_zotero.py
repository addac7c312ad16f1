"""`papercast history sync` through pyzotero against a fake of the Zotero web API on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.config import derive, load_settings
from papercast.history.zotero import ZoteroError, sync_zotero
from papercast.layout import Layout
from papercast.store import Database
from papercast.store.history import HistoryStore
from support.fake_zotero import FakeZotero

runner = CliRunner()
KEY = "zotero-KEY-sentinel-0123456789"


def _config(zotero: FakeZotero, **values: object) -> None:
    section = {"library_id": zotero.library_id, "api_url": zotero.api_url, **values}
    lines = ["[zotero]"] + [f"{k} = {json.dumps(v)}" for k, v in section.items()]
    Path("papercast.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _history() -> dict[str, object]:
    result = runner.invoke(app, ["history", "list", "--json", "--limit", "100"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    return {row["paper_id"]: row for row in rows}


def _library(zotero: FakeZotero) -> None:
    zotero.add_item(
        "Differential Transformer",
        url="https://arxiv.org/abs/2410.05258v2",
        dateAdded="2024-10-14T09:30:00Z",
    )
    zotero.add_item("AlphaFold", itemType="journalArticle", DOI="10.1038/s41586-021-03819-2")
    zotero.add_item(
        "A bioRxiv preprint", url="https://www.biorxiv.org/content/10.1101/2023.09.12.557460v1"
    )
    zotero.add_item("From Extra", extra="arXiv: 2401.00001\nTex.ids: x")
    zotero.add_item("From the Archive ID", archiveID="arXiv:2402.00002")
    zotero.add_item("A book with no identifier", itemType="book")
    zotero.add_item("", itemType="note")


def test_sync_is_incremental_records_ids_and_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOTERO_API_KEY", KEY)
    with FakeZotero() as zotero:
        _library(zotero)
        _config(zotero)
        first = runner.invoke(app, ["history", "sync"])
        assert first.exit_code == 0, first.output
        assert "7 items read, 5 added" in first.output
        assert "1 items skipped: no arXiv id, DOI or bioRxiv link" in first.output
        rows = _history()
        assert set(rows) == {
            "arxiv:2410.05258",
            "doi:10.1038/s41586-021-03819-2",
            "biorxiv:10.1101/2023.09.12.557460",
            "arxiv:2401.00001",
            "arxiv:2402.00002",
        }
        assert rows["arxiv:2410.05258"]["added_at"] == "2024-10-14T09:30:00+00:00"
        assert rows["arxiv:2410.05258"]["origin"] == "zotero:users/475425"
        version = zotero.version
        # every request carried the key the way pyzotero sends it, and nothing else did
        assert all(r.headers.get("authorization") == f"Bearer {KEY}" for r in zotero.requests)

        zotero.add_item("One more", url="https://arxiv.org/abs/2403.00003")
        before = len(zotero.requests)
        second = runner.invoke(app, ["history", "sync"])
        assert second.exit_code == 0, second.output
        new_requests = zotero.requests[before:]
        item_requests = [r for r in new_requests if r.path.endswith("/items/top")]
        assert [r.query["since"] for r in item_requests] == [str(version)]
        assert sum(r.returned for r in item_requests) == 1  # only the new item was fetched
        assert any(
            r.path.endswith("/deleted") and r.query["since"] == str(version) for r in new_requests
        )
        assert "1 items read, 1 added" in second.output
        assert "arxiv:2403.00003" in _history()


def test_deleted_and_trashed_items_leave_the_history(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOTERO_API_KEY", KEY)
    with FakeZotero() as zotero:
        gone = zotero.add_item("Deleted later", url="https://arxiv.org/abs/2410.00001")
        trashed = zotero.add_item("Trashed later", url="https://arxiv.org/abs/2410.00002")
        zotero.add_item("Kept", url="https://arxiv.org/abs/2410.00003")
        _config(zotero)
        assert runner.invoke(app, ["history", "sync"]).exit_code == 0
        assert len(_history()) == 3
        zotero.delete_item(gone)
        zotero.trash_item(trashed)
        result = runner.invoke(app, ["history", "sync"])
        assert result.exit_code == 0, result.output
        assert "2 removed" in result.output
        assert set(_history()) == {"arxiv:2410.00003"}


def test_paging_follows_total_results(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOTERO_API_KEY", KEY)
    with FakeZotero() as zotero:
        for i in range(5):
            zotero.add_item(f"Paper {i}", url=f"https://arxiv.org/abs/2410.1000{i}")
        _config(zotero, page_size=2)
        result = runner.invoke(app, ["history", "sync"])
        assert result.exit_code == 0, result.output
        pages = zotero.items_requests()
        assert [r.query["start"] for r in pages] == ["0", "2", "4"]
        assert len(_history()) == 5


def test_backoff_and_retry_after_are_waited_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZOTERO_API_KEY", KEY)
    with FakeZotero() as zotero:
        for i in range(3):
            zotero.add_item(f"Paper {i}", url=f"https://arxiv.org/abs/2410.2000{i}")
        zotero.fail_next(429, **{"Retry-After": "7"})
        zotero.backoff = "3"
        _config(zotero, page_size=2)
        settings = load_settings()
        waits: list[float] = []
        with Database(Layout.from_settings(settings).db_path) as db:
            report = sync_zotero(settings, db, sleep=waits.append)
            assert HistoryStore(db).count() == 3
        assert waits == [7.0, 3.0]  # the 429's Retry-After, then the Backoff of a success
        assert zotero.requests[0].status == 429
        assert report.added == 3

        zotero.fail_next(429, **{"Retry-After": "900"})
        with (
            Database(Layout.from_settings(settings).db_path) as db,
            pytest.raises(ZoteroError, match="wait 900 s"),
        ):
            sync_zotero(
                derive(settings, {"zotero": {"max_wait": 60}}),
                db,
                full=True,
                sleep=waits.append,
            )


@pytest.mark.parametrize("case", ["wrong key", "no key", "wrong library"])
def test_403_and_404_name_the_key_or_the_library(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    if case == "wrong key":
        monkeypatch.setenv("ZOTERO_API_KEY", "not-the-right-key-SENTINEL")
    elif case != "no key":
        monkeypatch.setenv("ZOTERO_API_KEY", KEY)
    with FakeZotero() as zotero:
        zotero.add_item("Paper", url="https://arxiv.org/abs/2410.05258")
        _config(zotero)
        if case == "wrong library":
            _config(zotero, library_id="999")
        result = runner.invoke(app, ["history", "sync"])
    assert result.exit_code != 0
    text = " ".join(result.output.split())
    assert "SENTINEL" not in text
    if case == "wrong key":
        assert (
            "refused the API key in ZOTERO_API_KEY for the users/475425 library (HTTP 403)" in text
        )
    elif case == "no key":
        assert "ZOTERO_API_KEY is not set" in text
    else:
        assert "no user library with id '999' (HTTP 404)" in text


def test_collections_by_name_with_subcollections_and_exclusions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZOTERO_API_KEY", KEY)
    with FakeZotero() as zotero:
        ml = zotero.add_collection("Machine learning")
        sub = zotero.add_collection("Transformers", parent=ml)
        skip = zotero.add_collection("To skip", parent=ml)
        bio = zotero.add_collection("Biology")
        zotero.add_item("In ML", [ml], url="https://arxiv.org/abs/2410.30001")
        zotero.add_item("In a subcollection", [sub], url="https://arxiv.org/abs/2410.30002")
        zotero.add_item("Excluded", [skip], url="https://arxiv.org/abs/2410.30003")
        zotero.add_item("Elsewhere", [bio], url="https://arxiv.org/abs/2410.30004")
        _config(zotero, collections=["Machine learning"], exclude_collections=[skip])
        result = runner.invoke(app, ["history", "sync"])
        assert result.exit_code == 0, result.output
        assert set(_history()) == {"arxiv:2410.30001", "arxiv:2410.30002"}

        _config(zotero, collections=["Machine Learnin"])
        monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
        wrong = runner.invoke(app, ["history", "sync"])
        assert wrong.exit_code == 2
        assert "no collection named 'Machine Learnin'" in wrong.output
        assert "Machine learning" in wrong.output  # the names it does have


def test_local_api_reads_the_whole_library_each_time_and_sends_no_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZOTERO_API_KEY", KEY)  # set for the web API: never sent to the local one
    with FakeZotero(local=True) as zotero:
        _library(zotero)
        gone = zotero.add_item("Deleted later", url="https://arxiv.org/abs/2410.00001")
        trashed = zotero.add_item("Trashed later", url="https://arxiv.org/abs/2410.00002")
        assert zotero.api_url.endswith("/api/")
        _config(zotero, library_id=0)  # `library_id = 0`: a number, the local API's own library
        first = runner.invoke(app, ["history", "sync"])
        assert first.exit_code == 0, first.output
        assert "Zotero users/0 (local API, read in full" in first.output
        assert "9 items read, 7 added" in first.output
        assert len(_history()) == 7

        zotero.delete_item(gone)
        zotero.trash_item(trashed)
        zotero.add_item("One more", url="https://arxiv.org/abs/2403.00003")
        before = len(zotero.requests)
        second = runner.invoke(app, ["history", "sync"])
        assert second.exit_code == 0, second.output
        new_requests = zotero.requests[before:]
        # the whole library again (the local API has no /deleted), which is how deletions show
        assert [r.path for r in new_requests] == ["/api/users/0/items/top"]
        assert "since" not in new_requests[0].query
        assert "9 items read, 1 added" in second.output
        assert "2 removed" in second.output
        history = _history()
        assert "arxiv:2403.00003" in history
        assert "arxiv:2410.00001" not in history and "arxiv:2410.00002" not in history
        assert history["arxiv:2410.05258"]["origin"] == "zotero:users/0"
    assert all(r.path.startswith("/api/users/0/") for r in zotero.requests)
    assert not any(
        "authorization" in r.headers or "zotero-api-key" in r.headers for r in zotero.requests
    )


def test_local_api_of_a_library_never_synced_to_zotero_org(monkeypatch: pytest.MonkeyPatch) -> None:
    """Zotero 7 reports synced versions locally: 0 for every item of a library never synced.
    A ``since`` (even 0) would keep none of them."""
    monkeypatch.delenv("ZOTERO_API_KEY", raising=False)
    with FakeZotero(local=True, never_synced=True) as zotero:
        _library(zotero)
        _config(zotero, library_id="0")
        first = runner.invoke(app, ["history", "sync"])
        assert first.exit_code == 0, first.output
        assert len(_history()) == 5
        zotero.add_item("One more", url="https://arxiv.org/abs/2403.00003")
        second = runner.invoke(app, ["history", "sync"])
        assert second.exit_code == 0, second.output
        assert "arxiv:2403.00003" in _history()


@pytest.mark.parametrize("case", ["not enabled", "another user", "not running"])
def test_local_api_failures_say_what_to_do(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    with FakeZotero(local=True, enabled=case != "not enabled") as zotero:
        zotero.add_item("Paper", url="https://arxiv.org/abs/2410.05258")
        _config(zotero, library_id=12345 if case == "another user" else 0)
        if case == "not running":
            with socket.socket() as probe:  # a port nothing listens on
                probe.bind(("127.0.0.1", 0))
                closed = probe.getsockname()[1]
            _config(zotero, library_id=0, api_url=f"http://127.0.0.1:{closed}/api/")
        result = runner.invoke(app, ["history", "sync"])
    assert result.exit_code != 0
    text = " ".join(result.output.split())
    if case == "not enabled":
        assert "refused access (HTTP 403): it is not enabled" in text
        assert "Allow other applications on this computer to communicate with Zotero" in text
    elif case == "another user":
        assert "serves only the library of the user signed in" in text
        assert "library_id = 0" in text
    else:
        assert "cannot reach Zotero's local API" in text
        assert "start the Zotero desktop app" in text


def test_run_syncs_first_and_a_sync_failure_is_only_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from papercast.sample.server import FixtureServer
    from support.fake_openai import FakeOpenAI
    from support.pipeline_world import SENTINEL_KEY, World, week_entries

    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    monkeypatch.setenv("ZOTERO_API_KEY", KEY)
    with (
        FixtureServer() as server,
        FakeOpenAI() as fake,
        FakeZotero() as zotero,
    ):
        zotero.add_item("A paper I keep", url="https://arxiv.org/abs/2409.11111")
        world = World(server=server, fake=fake, entries=week_entries(3, server.url("/pdf/")))
        world.serve_arxiv()
        world.write_config(
            Path.cwd(),
            audio={"enabled": False},
            zotero={"library_id": zotero.library_id, "api_url": zotero.url()},
        )
        result = runner.invoke(app, ["run", "--week", "2024-W41"])
        assert result.exit_code == 0, result.output
        run_json = json.loads(Path("out/2024-W41/run.json").read_text(encoding="utf-8"))
        assert run_json["zotero"].startswith("users/475425 version 1: 1 added")
        assert "arxiv:2409.11111" in _history()

        monkeypatch.setenv("ZOTERO_API_KEY", "revoked-key")
        again = runner.invoke(app, ["run", "--week", "2024-W41", "--refetch", "--json"])
        assert again.exit_code == 0, again.output
        report = json.loads(again.output[again.output.index("{") :])
        assert any(
            w.startswith(
                "Zotero sync failed, ranking with the history synced before: "
                "Zotero refused the API key"
            )
            for w in report["warnings"]
        ), report["warnings"]
        assert "revoked-key" not in again.output
