"""`papercast summarize` on real LaTeX-built PDFs (tests/corpus): a PDF knows which paper it is.

The arXiv API and the PDF links are served from 127.0.0.1; the summaries come from the fake
OpenAI-compatible server, which counts the calls.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.sample.server import FixtureServer, RecordedRequest, Reply
from support.corpus_papers import corpus_pdf, expected
from support.fake_openai import FakeOpenAI
from support.llm_helpers import SENTINEL_KEY
from support.payloads.arxiv import ATOM_CONTENT_TYPE, ArxivEntry, arxiv_atom

runner = CliRunner()
API_ABSTRACT = "The abstract as the arXiv API serves it: we speed up decoding by 1.87x."


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    with FakeOpenAI() as server:
        monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("PAPERCAST_LLM__MAX_RETRIES", "0")
        yield server


def _entry(name: str) -> ArxivEntry:
    paper = expected(name)
    when = datetime.fromisoformat(paper["stamp_date"]).replace(tzinfo=UTC)
    return {
        "id": paper["arxiv_id"],
        "version": paper["version"],
        "title": paper["title"],
        "summary": API_ABSTRACT,
        "authors": [{"name": name} for name in paper["authors"]],
        "published": when,
        "updated": when,
        "primary_category": paper["primary_category"],
        "categories": [paper["primary_category"], "cs.LG"],
    }


@pytest.fixture
def arxiv_api(fixture_server: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> FixtureServer:
    """An arXiv API that knows shallow-draft (v2), and the corpus PDFs at /pdf/<name>.pdf."""
    entry = _entry("shallow-draft")

    def query(request: RecordedRequest) -> Reply:
        ids = request.param("id_list").split(",")
        found = [entry] if any(i.split("v")[0] == entry["id"] for i in ids if i) else []
        return Reply(body=arxiv_atom(found), content_type=ATOM_CONTENT_TYPE)

    fixture_server.route("/api/query", query)
    for name in ("shallow-draft", "conformal-review"):
        fixture_server.route(
            f"/pdf/{name}.pdf", Reply(body=corpus_pdf(name), content_type="application/pdf")
        )
    monkeypatch.setenv("PAPERCAST_ARXIV__API_URL", fixture_server.url("/api/query"))
    monkeypatch.setenv("PAPERCAST_ARXIV__DELAY_SECONDS", "0")
    monkeypatch.setenv("PAPERCAST_ARXIV__NUM_RETRIES", "0")
    return fixture_server


def _summarize(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["summarize", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    row: dict[str, object] = json.loads(result.stdout)
    return row


def test_a_stamped_pdf_then_its_id_then_its_url_is_one_llm_call(
    fake: FakeOpenAI, arxiv_api: FixtureServer
) -> None:
    pdf = Path("downloaded.pdf")
    pdf.write_bytes(corpus_pdf("shallow-draft"))
    first = _summarize(str(pdf))
    paper = first["paper"]
    assert isinstance(paper, dict)
    assert paper["id"] == "arxiv:2405.07311" and paper["version"] == 2
    assert paper["title"] == expected("shallow-draft")["title"]
    assert paper["abstract"] == API_ABSTRACT  # the API's record, not the PDF's guess
    assert paper["categories"] == ["cs.CL", "cs.LG"]
    assert first["cached"] is False and first["source_text"] == "full"
    by_id = _summarize("2405.07311")
    assert by_id["cached"] is True and by_id["summary"] == first["summary"]
    by_url = _summarize(arxiv_api.url("/pdf/shallow-draft.pdf"))
    assert by_url["cached"] is True
    assert len(fake.completion_calls) == 1
    assert arxiv_api.requests_to("/pdf/shallow-draft.pdf")  # the URL was really fetched


def test_what_the_llm_reads_of_a_real_pdf_is_clean(
    fake: FakeOpenAI, arxiv_api: FixtureServer
) -> None:
    pdf = Path("review.pdf")
    pdf.write_bytes(corpus_pdf("conformal-review"))
    _summarize(str(pdf))
    (call,) = fake.completion_calls
    prompt = json.dumps(call.body, ensure_ascii=False)
    assert "\\ufffe" not in prompt.lower() and "\ufffe" not in prompt
    for artefact in expected("conformal-review")["artefacts"]:
        assert artefact not in prompt
    for word in expected("conformal-review")["hyphenated"]:
        assert word in prompt
    assert "Conformal prediction turns any classifier" in prompt


def test_without_the_api_the_pdf_itself_names_the_paper(
    fake: FakeOpenAI, arxiv_api: FixtureServer
) -> None:
    """conformal-review is unknown to this API: id, version, title and authors from the PDF."""
    pdf = Path("review.pdf")
    pdf.write_bytes(corpus_pdf("conformal-review"))
    row = _summarize(str(pdf))
    paper = row["paper"]
    assert isinstance(paper, dict)
    want = expected("conformal-review")
    assert paper["id"] == f"arxiv:{want['arxiv_id']}" and paper["version"] == want["version"]
    assert paper["title"] == want["title"]
    assert [a["name"] for a in paper["authors"]] == want["authors"]
    assert paper["primary_category"] == want["primary_category"]
    assert str(paper["abstract"]).startswith("Conformal prediction turns any classifier")
    again = _summarize(str(pdf))
    assert again["cached"] is True and len(fake.completion_calls) == 1
