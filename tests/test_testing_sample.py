"""The recorded sample week (data/sample/): manifest, formats, and serving it on 127.0.0.1."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import arxiv
import feedparser
import httpx
import pytest
from arxiv import _feed
from pypdf import PdfReader

from papercast.resources import sample_dir
from papercast.sample.manifest import (
    SampleManifest,
    check_sample,
    load_manifest,
    mount_sample,
    sample_pdf_urls,
    sample_settings,
)
from papercast.sample.server import FixtureServer
from support.payloads import ArxivApiHandler, arxiv_entries_from_atom

SINCE, UNTIL = date(2024, 10, 7), date(2024, 10, 13)
# The reference newsletter's papers submitted in the week, with their real titles.
NEWSLETTER = {
    "2410.05258": "Differential Transformer",
    "2410.05353": "Towards a Categorical Foundation of Deep Learning: A Survey",
    "2410.05864": "From Tokens to Words: On the Inner Lexicon of LLMs",
    "2410.06205": "Round and Round We Go! What makes Rotary Positional Encodings useful?",
}


@pytest.fixture(scope="module")
def manifest() -> SampleManifest:
    return load_manifest()


def _read(name: str) -> bytes:
    return (sample_dir() / name).read_bytes()


def test_manifest_describes_every_file_and_nothing_else(manifest: SampleManifest) -> None:
    assert check_sample() == []
    assert manifest.week == "2024-W41"
    assert (manifest.window.since, manifest.window.until) == (SINCE, UNTIL)
    kinds = {f.kind for f in manifest.files}
    assert kinds == {"arxiv_api_atom", "arxiv_rss", "biorxiv_details_json", "pdf"}
    assert 3 <= len(manifest.by_kind("pdf")) <= 4
    total = sum(p.stat().st_size for p in sample_dir().rglob("*") if p.is_file())
    assert total < 1_500_000


def test_check_sample_reports_changed_missing_and_unlisted_files(tmp_path: Path) -> None:
    copy = tmp_path / "sample"
    shutil.copytree(sample_dir(), copy)
    (copy / "stray.xml").write_text("<rss/>")
    pdf = next(copy.glob("pdf/*.pdf"))
    pdf.write_bytes(pdf.read_bytes() + b"\n")
    rss = next(copy.glob("rss/*.xml"))
    rss.unlink()

    problems = check_sample(copy)

    assert "stray.xml: present but not described in the manifest" in problems
    assert f"pdf/{pdf.name}: size or sha256 differs from the manifest" in problems
    assert f"rss/{rss.name}: listed in the manifest but missing" in problems


def test_arxiv_api_file_parses_to_the_weeks_entries(manifest: SampleManifest) -> None:
    [entry] = manifest.by_kind("arxiv_api_atom")
    feed = _feed.parse(_read(entry.file))

    assert not feed.malformed
    assert 60 <= len(feed.results) <= 120
    assert feed.header.total_results == len(feed.results) == entry.items
    ids = [r.get_short_id().rsplit("v", 1)[0] for r in feed.results]
    assert [f"arxiv:{i}" for i in ids] == entry.paper_ids
    assert len(set(ids)) == len(ids)
    titles = {r.get_short_id().rsplit("v", 1)[0]: r.title for r in feed.results}
    for short, title in NEWSLETTER.items():
        assert titles[short] == title
    for result in feed.results:
        assert SINCE <= result.published.date() <= UNTIL
        assert set(result.categories) & {"cs.LG", "cs.CL", "cs.AI"}
        assert result.pdf_url and not result.pdf_url.endswith(".pdf")
    assert [r.published for r in feed.results] == sorted(
        (r.published for r in feed.results), reverse=True
    )
    versions = {r.get_short_id().rsplit("v", 1)[1] for r in feed.results}
    assert {"1", "2", "3"} <= versions
    assert any(r.primary_category not in ("cs.LG", "cs.CL", "cs.AI") for r in feed.results)
    params = entry.request.params
    assert entry.request.path == "/api/query"
    assert "submittedDate:[202410070000 TO 202410132359]" in params["search_query"]
    assert params["start"] == "0"


def test_rss_file_is_one_announcement_day_overlapping_the_api(manifest: SampleManifest) -> None:
    [rss] = manifest.by_kind("arxiv_rss")
    [api] = manifest.by_kind("arxiv_api_atom")
    parsed = feedparser.parse(_read(rss.file))

    assert not parsed.bozo
    assert len(parsed.entries) == rss.items
    types = {e.arxiv_announce_type for e in parsed.entries}
    assert {"new", "cross", "replace"} <= types
    ids = {e.link.rsplit("/", 1)[1]: e.arxiv_announce_type for e in parsed.entries}
    api_ids = {p.split(":", 1)[1] for p in api.paper_ids}
    assert ids["2410.05258"] == "new"
    assert any(t == "cross" and i in api_ids for i, t in ids.items())
    assert all(i not in api_ids for i, t in ids.items() if t.startswith("replace"))
    assert "2410.04410" in ids and "2410.04410" not in api_ids  # Sunday submission: RSS only
    for item in parsed.entries:
        assert item.id.startswith("oai:arXiv.org:")
        assert re.match(r"arXiv:\S+v\d+ Announce Type: [a-z-]+ \nAbstract: ", item.summary)
        assert item.published_parsed[:3] == (2024, 10, 8)


def test_biorxiv_file_has_the_documented_shape(manifest: SampleManifest) -> None:
    [entry] = manifest.by_kind("biorxiv_details_json")
    data = json.loads(_read(entry.file))

    [message] = data["messages"]
    assert message["status"] == "ok"
    assert message["interval"] == "2024-10-07:2024-10-13"
    assert message["cursor"] == 0
    assert message["count"] == len(data["collection"]) == int(message["total"]) == entry.items
    keys = [
        "doi", "title", "authors", "author_corresponding", "author_corresponding_institution",
        "date", "version", "type", "license", "category", "jatsxml", "abstract", "published",
        "server",
    ]  # fmt: skip
    for record in data["collection"]:
        assert list(record) == keys
        assert all(isinstance(v, str) for v in record.values())
        assert SINCE <= date.fromisoformat(record["date"]) <= UNTIL
    dois = [r["doi"] for r in data["collection"]]
    assert "10.1101/2023.09.12.557460" in dois  # BrainLM, from the newsletter
    assert [f"biorxiv:{d}" for d in dois] == entry.paper_ids


def test_pdfs_hold_the_paper_with_its_abstract_numbers(manifest: SampleManifest) -> None:
    [api] = manifest.by_kind("arxiv_api_atom")
    results = {r.pdf_url: r for r in _feed.parse(_read(api.file)).results}
    with_numbers = 0
    for entry in manifest.by_kind("pdf"):
        paper = results[entry.request.url]  # the PDF link the metadata gives
        text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(_read(entry.file))).pages)
        flat = " ".join(text.split())
        assert paper.title.split(":")[0] in flat
        for heading in ("Abstract", "1 Introduction", "2 Method", "3 Results", "4 Conclusion"):
            assert heading in text
        results_part = flat.split("3 Results", 1)[1]
        numbers = set(re.findall(r"\d+(?:\.\d+)?%?", paper.summary))
        if numbers:  # a survey's abstract may have none
            with_numbers += 1
            assert numbers & set(re.findall(r"\d+(?:\.\d+)?%?", results_part)), entry.file
    assert with_numbers >= 3


def test_mounted_sample_serves_the_real_clients(fixture_server: FixtureServer) -> None:
    manifest = mount_sample(fixture_server)
    settings = sample_settings(fixture_server.url(), manifest)

    client = arxiv.Client(page_size=1000, delay_seconds=0, num_retries=0)
    client.query_url_format = settings["arxiv"]["api_url"] + "?{}"
    query = manifest.by_kind("arxiv_api_atom")[0].request.params["search_query"]
    search = arxiv.Search(query=query, max_results=None)
    results = list(client.results(search))
    assert len(results) == manifest.by_kind("arxiv_api_atom")[0].items
    assert len(fixture_server.requests_to("/api/query")) == 1

    [feed_url] = settings["feeds"]["urls"]
    assert feed_url.startswith(fixture_server.url())
    assert len(feedparser.parse(httpx.get(feed_url).content).entries) > 0

    path = manifest.by_kind("biorxiv_details_json")[0].request.path
    base = settings["biorxiv"]["api_url"]
    reply = httpx.get(base + path, params={"category": "neuroscience"})
    assert reply.json()["messages"][0]["status"] == "ok"

    for live, local in sample_pdf_urls(fixture_server.url(), manifest).items():
        assert live.startswith("https://arxiv.org/pdf/")
        pdf = httpx.get(local)
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")


def test_files_sharing_a_path_are_chosen_by_their_match_params(
    tmp_path: Path, fixture_server: FixtureServer
) -> None:
    folder = tmp_path / "sample"
    shutil.copytree(sample_dir(), folder)
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
    [api] = [f for f in data["files"] if f["kind"] == "arxiv_api_atom"]
    second = json.loads(json.dumps(api))
    second["file"] = "arxiv/page2.xml"
    second["request"]["match"] = {"start": "1000"}
    (folder / "arxiv" / "page2.xml").write_bytes(b"<feed>page two</feed>")
    data["files"].append(second)
    (folder / "manifest.json").write_text(json.dumps(data))

    mount_sample(fixture_server, folder)

    first = httpx.get(fixture_server.url("/api/query"), params={"start": "0"})
    two = httpx.get(fixture_server.url("/api/query"), params={"start": "1000"})
    none = httpx.get(fixture_server.url("/api/query"), params={"start": "5"})
    assert first.content == (folder / api["file"]).read_bytes()
    assert two.content == b"<feed>page two</feed>"
    assert none.status_code == 404


def test_sample_week_can_be_served_with_any_page_size(
    manifest: SampleManifest, fixture_server: FixtureServer
) -> None:
    [api] = manifest.by_kind("arxiv_api_atom")
    handler = ArxivApiHandler(arxiv_entries_from_atom(_read(api.file)))
    fixture_server.route("/api/query", handler)
    client = arxiv.Client(page_size=25, delay_seconds=0, num_retries=0)
    client.query_url_format = fixture_server.url("/api/query") + "?{}"

    results = list(client.results(arxiv.Search(query="cat:cs.LG", max_results=None)))

    assert [f"arxiv:{r.get_short_id().rsplit('v', 1)[0]}" for r in results] == api.paper_ids
    assert handler.calls == [(0, 25), (25, 25), (50, 25), (75, 25)]


def test_the_sample_run_sends_exactly_the_recorded_arxiv_query() -> None:
    from papercast.config import load_settings
    from papercast.sample.manifest import load_manifest
    from papercast.sources.arxiv import build_query
    from papercast.window import parse_week

    manifest = load_manifest()
    [recorded] = manifest.by_kind("arxiv_api_atom")
    settings = load_settings(overrides={"arxiv": manifest.settings["arxiv"]})
    query = dict(build_query(settings.arxiv, parse_week(manifest.week)))["categories"]
    assert query == recorded.request.params["search_query"]


def test_a_client_hanging_up_prints_no_traceback_other_errors_still_do(
    fixture_server: FixtureServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """socketserver calls handle_error inside the failed request's ``except``: a client that
    reset its connection (a timeout, a killed run) is not reported; a real error is."""
    server = fixture_server._server
    try:
        raise ConnectionResetError(104, "Connection reset by peer")
    except ConnectionResetError:
        server.handle_error(None, ("127.0.0.1", 1))
    assert capsys.readouterr().err == ""
    try:
        raise ValueError("a handler bug")
    except ValueError:
        server.handle_error(None, ("127.0.0.1", 1))
    err = capsys.readouterr().err
    assert "ValueError: a handler bug" in err and "127.0.0.1" in err
