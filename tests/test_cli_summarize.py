"""`papercast summarize` through the CLI, for every input kind, online (fake server) and offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.sample.server import FixtureServer, Reply
from papercast.store import Database
from papercast.store.calls import CallStore
from support.arxiv_pages import page, real_entries, with_id
from support.corpus_papers import NAMES as CORPUS_NAMES
from support.corpus_papers import corpus_pdf
from support.corpus_papers import expected as corpus_expected
from support.fake_openai import FakeOpenAI
from support.fixtures import page_json, record
from support.llm_helpers import SENTINEL_KEY
from support.pdfs import make_image_only_pdf, make_pdf, sample_paper_pages

runner = CliRunner()
ARXIV_ID = "2410.05258"
DOI = "10.1101/2024.10.03.600003"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    with FakeOpenAI() as server:
        monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("PAPERCAST_LLM__MAX_RETRIES", "0")
        yield server


@pytest.fixture
def sources(fixture_server: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> FixtureServer:
    entry = with_id(real_entries()[0], f"{ARXIV_ID}v1", "2024-10-07T10:00:00Z")

    def arxiv(req):  # type: ignore[no-untyped-def]
        ids = req.param("id_list")
        found = [entry] if ARXIV_ID in ids else []
        return Reply(
            body=page(found, total=len(found), start=0), content_type="application/atom+xml"
        )

    fixture_server.route("/api/query", arxiv)
    rec = record(3)
    fixture_server.route(
        f"/details/biorxiv/{DOI}/na/json",
        Reply(body=page_json([rec], cursor=0, total=1), content_type="application/json"),
    )
    fixture_server.route(
        "/paper.pdf",
        Reply(
            body=make_pdf(
                sample_paper_pages(
                    "Deep Nets <b>Rock</b>", "We propose DeepNet. It reaches 91.5% on CIFAR."
                ),
                title="Deep Nets <b>Rock</b>",
            ),
            content_type="application/pdf",
        ),
    )
    fixture_server.route("/page.html", Reply(body="<html>hi</html>", content_type="text/html"))
    monkeypatch.setenv("PAPERCAST_ARXIV__API_URL", fixture_server.url("/api/query"))
    monkeypatch.setenv("PAPERCAST_ARXIV__DELAY_SECONDS", "0")
    monkeypatch.setenv("PAPERCAST_ARXIV__NUM_RETRIES", "0")
    monkeypatch.setenv("PAPERCAST_BIORXIV__API_URL", fixture_server.url(""))
    monkeypatch.setenv("PAPERCAST_BIORXIV__NUM_RETRIES", "0")
    return fixture_server


def user_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Show errors the way users see them (one line, exit code) instead of raising."""
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS", raising=False)


def write_pdf(path: Path, title: str = "Local Findings") -> Path:
    pages = sample_paper_pages(title, "We measure things. The effect is 3.25 units.")
    path.write_bytes(make_pdf(pages))  # no metadata: title from the first page
    return path


def test_arxiv_id_json_has_every_field(fake: FakeOpenAI, sources: FixtureServer) -> None:
    result = runner.invoke(app, ["summarize", ARXIV_ID, "--format", "json", "--no-fulltext"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["paper"]["id"] == f"arxiv:{ARXIV_ID}"
    assert set(data["summary"]) >= {"tldr", "method", "results", "critiques", "implications"}
    assert 1 <= data["summary"]["significance"] <= 10
    assert data["source_text"] == "abstract" and data["cached"] is False
    assert data["ungrounded"] == [] and data["usage"]["input_tokens"] > 0
    assert data["backend"] == "llm" and data["model"] == "gpt-4o-mini"
    again = runner.invoke(app, ["summarize", ARXIV_ID, "--format", "json", "--no-fulltext"])
    assert json.loads(again.stdout)["cached"] is True
    assert len(fake.completion_calls) == 1


def test_several_inputs_one_json_line_each(fake: FakeOpenAI, sources: FixtureServer) -> None:
    links = Path("links.txt")
    links.write_text(f"# my list\nhttps://arxiv.org/abs/{ARXIV_ID}v1\n\ndoi:{DOI}\n")
    pdf = write_pdf(Path("local.pdf"))
    result = runner.invoke(
        app,
        [
            "summarize",
            str(pdf),
            sources.url("/paper.pdf"),
            "--from-file",
            str(links),
            "--format",
            "json",
            "--no-fulltext",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    ids = [r["paper"]["id"] for r in rows]
    assert ids[2:] == [f"arxiv:{ARXIV_ID}", f"biorxiv:{DOI}"]
    assert rows[0]["paper"]["title"] == "Local Findings"
    assert rows[1]["paper"]["title"] == "Deep Nets <b>Rock</b>"


def test_pdf_url_uses_full_text_and_html_escapes(fake: FakeOpenAI, sources: FixtureServer) -> None:
    out = Path("s.html")
    result = runner.invoke(
        app, ["summarize", sources.url("/paper.pdf"), "--format", "html", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "Deep Nets &lt;b&gt;Rock&lt;/b&gt;" in html and "<b>Rock</b>" not in html
    assert "Based on the full text" in html
    assert "91.5%" in html


@pytest.mark.parametrize("name", ["drawn", *CORPUS_NAMES])
def test_offline_local_pdf_is_labelled_extractive(
    fixture_server: FixtureServer, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # offline: the arXiv API (asked about stamped PDFs) does not answer
    fixture_server.route("/api/query", Reply(status=503, body="down"))
    monkeypatch.setenv("PAPERCAST_ARXIV__API_URL", fixture_server.url("/api/query"))
    monkeypatch.setenv("PAPERCAST_ARXIV__NUM_RETRIES", "0")
    monkeypatch.setenv("PAPERCAST_ARXIV__DELAY_SECONDS", "0")
    if name == "drawn":
        pdf = write_pdf(Path("paper.pdf"))
        title, sentence = "Local Findings", "The effect is 3.25 units."
    else:
        pdf = Path("paper.pdf")
        pdf.write_bytes(corpus_pdf(name))
        title, sentence = corpus_expected(name)["title"], corpus_expected(name)["order"][0]
    result = runner.invoke(app, ["summarize", str(pdf)])
    assert result.exit_code == 0, result.output
    assert f"## {title}" in result.stdout
    assert "**Extractive summary**" in result.stdout
    assert sentence in " ".join(result.stdout.split())
    assert "extractive (no LLM)" in result.stdout
    as_json = runner.invoke(app, ["summarize", str(pdf), "--format", "json"])
    data = json.loads(as_json.stdout)
    assert data["extractive"] is True and data["model"] == "extractive"


def test_unknown_arxiv_id_says_not_found(
    fake: FakeOpenAI, sources: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_errors(monkeypatch)
    result = runner.invoke(app, ["summarize", "2410.99999"])
    assert result.exit_code == 2
    assert "arXiv has no paper 2410.99999" in result.output


def test_malformed_id_and_not_a_pdf(
    tmp_path: Path, sources: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_errors(monkeypatch)
    bad = runner.invoke(app, ["summarize", "not-a-paper"])
    assert bad.exit_code == 2 and "cannot tell what 'not-a-paper' refers to" in bad.output
    fake_pdf = Path("fake.pdf")
    fake_pdf.write_text("hello, I am text")
    notpdf = runner.invoke(app, ["summarize", str(fake_pdf)])
    assert notpdf.exit_code == 2 and "not a PDF" in notpdf.output
    html = runner.invoke(app, ["summarize", sources.url("/page.html")])
    assert html.exit_code == 2 and "is not a PDF" in html.output
    scan = Path("scan.pdf")
    scan.write_bytes(make_image_only_pdf())
    scanned = runner.invoke(app, ["summarize", str(scan)])
    assert scanned.exit_code == 2 and "no text layer" in scanned.output


def test_one_bad_input_among_good_ones_exits_3(
    fake: FakeOpenAI, sources: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_errors(monkeypatch)
    result = runner.invoke(
        app, ["summarize", ARXIV_ID, "2410.99999", "--format", "json", "--no-fulltext"]
    )
    assert result.exit_code == 3
    assert [json.loads(x)["paper"]["id"] for x in result.stdout.splitlines()] == [
        f"arxiv:{ARXIV_ID}"
    ]
    assert "failed 2410.99999" in result.stderr


def test_401_tells_to_check_the_key_and_never_prints_it(
    sources: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_errors(monkeypatch)
    with FakeOpenAI(api_key="sk-other") as server:
        monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
        monkeypatch.setenv("PAPERCAST_LLM__BASE_URL", server.base_url)
        result = runner.invoke(app, ["-v", "summarize", ARXIV_ID, "--no-fulltext"])
    assert result.exit_code == 1
    assert "rejected the API key" in result.output and "OPENAI_API_KEY" in result.output
    assert SENTINEL_KEY not in result.output
    home = Path.cwd().parent / "home"
    for path in home.rglob("*"):
        if path.is_file():
            assert SENTINEL_KEY.encode() not in path.read_bytes(), path


def test_estimate_prints_tokens_and_cost_without_calling(
    fake: FakeOpenAI, sources: FixtureServer
) -> None:
    result = runner.invoke(app, ["summarize", ARXIV_ID, "--estimate", "--no-fulltext"])
    assert result.exit_code == 0, result.output
    assert "1 to summarize with gpt-4o-mini" in result.stdout
    assert "expected tokens:" in result.stdout and "expected cost: $0.0" in result.stdout
    assert fake.completion_calls == []


def test_max_cost_stops_before_spending(
    fake: FakeOpenAI, sources: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_errors(monkeypatch)
    result = runner.invoke(app, ["summarize", ARXIV_ID, "--max-cost", "0.00001", "--no-fulltext"])
    assert result.exit_code == 1
    assert "budget" in result.output
    assert fake.completion_calls == []


def test_model_option_and_refresh(fake: FakeOpenAI, sources: FixtureServer) -> None:
    runner.invoke(app, ["summarize", ARXIV_ID, "--no-fulltext"])
    result = runner.invoke(app, ["summarize", ARXIV_ID, "--no-fulltext", "--model", "gpt-4o"])
    assert result.exit_code == 0
    runner.invoke(app, ["summarize", ARXIV_ID, "--no-fulltext", "--model", "gpt-4o", "--refresh"])
    assert [c.model for c in fake.completion_calls] == ["gpt-4o-mini", "gpt-4o", "gpt-4o"]
    assert "gpt-4o" in result.stdout


def test_ungrounded_numbers_warn_on_stderr(fake: FakeOpenAI, sources: FixtureServer) -> None:
    fake.answer_next(
        {
            "tldr": "It wins.",
            "method": "A method.",
            "results": "Accuracy is 99.9% on everything.",
            "critiques": "None.",
            "implications": "Big.",
            "significance": 9,
            "significance_reason": "Wins.",
            "keywords": ["x"],
        }
    )
    result = runner.invoke(app, ["summarize", ARXIV_ID, "--no-fulltext", "--format", "json"])
    assert json.loads(result.stdout)["ungrounded"] == ["99.9%"]
    assert "numbers not found in the source text: 99.9%" in result.stderr


def test_batch_submit_then_collect(fake: FakeOpenAI, sources: FixtureServer) -> None:
    fake.batch_polls = 1
    submitted = runner.invoke(
        app, ["summarize", ARXIV_ID, f"doi:{DOI}", "--batch", "--no-fulltext"]
    )
    assert submitted.exit_code == 0, submitted.output
    assert "Submitted batch batch-fake" in submitted.stdout
    pending = runner.invoke(app, ["summarize", "--collect"])
    assert pending.exit_code == 0 and "in_progress" in pending.stderr
    done = runner.invoke(app, ["summarize", "--collect", "--format", "json"])
    assert done.exit_code == 0, done.output
    rows = [json.loads(x) for x in done.stdout.splitlines()]
    assert {r["paper"]["id"] for r in rows} == {f"arxiv:{ARXIV_ID}", f"biorxiv:{DOI}"}
    assert runner.invoke(app, ["summarize", "--collect"]).stdout.strip() == "No pending batches."
    cached = runner.invoke(app, ["summarize", ARXIV_ID, "--no-fulltext", "--format", "json"])
    assert json.loads(cached.stdout)["cached"] is True
    assert fake.calls_to("/v1/chat/completions") == []
    db = Database(Path.cwd().parent / "home" / "papercast.db")
    assert {c["purpose"] for c in CallStore(db).calls()} == {"summary-batch"}
