"""Small things a user trips on (issue 12, item 9), each as the user meets it: through the CLI.

Errors are one line saying what is wrong and what to do, with exit code 2 for bad input, and
they come before any work is done (a bad --out is refused before anything is summarized).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.config import Settings, load_settings
from papercast.issue import assemble_issue
from papercast.models import IssueEntry
from papercast.render import render_format
from papercast.sample.server import FixtureServer, Reply
from papercast.text import MAX_URL_CHARS
from support.issue_builders import paper, sample_issue, summary
from support.pdfs import make_pdf, sample_paper_pages

runner = CliRunner()


@pytest.fixture(autouse=True)
def as_a_user_sees_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS", raising=False)


def one_line_error(result: object, code: int = 2) -> str:
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == code, output  # type: ignore[attr-defined]
    assert "Traceback" not in output and "Unexpected error" not in output
    assert "pydantic" not in output and "validation error" not in output
    return " ".join(output.split())


def a_pdf(name: str = "paper.pdf") -> Path:
    path = Path(name)
    path.write_bytes(make_pdf(sample_paper_pages("Local Findings", "The effect is 3.25 units.")))
    return path


def test_a_config_file_with_a_utf8_bom_loads() -> None:
    Path("papercast.toml").write_bytes(b"\xef\xbb\xbf[issue]\nhighlights = 3\n")
    assert load_settings().issue.highlights == 3
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output


def test_a_folder_given_as_config_says_so() -> None:
    Path("conf").mkdir()
    (Path("conf") / "papercast.toml").write_text("[issue]\nhighlights = 3\n")
    message = one_line_error(runner.invoke(app, ["--config", "conf", "status"]))
    assert "--config conf is a folder, not a config file" in message
    assert "--config conf/papercast.toml" in message  # the file it probably meant


@pytest.mark.parametrize("name", ["papers", "papers.pdf"])
def test_a_folder_given_as_a_pdf_says_so(name: str) -> None:
    Path(name).mkdir()
    message = one_line_error(runner.invoke(app, ["summarize", name]))
    assert f"{name} is a folder, not a PDF" in message
    assert "does not exist" not in message and "cannot tell" not in message


@pytest.mark.parametrize("url", ["ftp://example.org/paper.pdf", "file:///etc/passwd"])
def test_other_url_schemes_are_named_as_given(url: str) -> None:
    message = one_line_error(runner.invoke(app, ["summarize", url]))
    assert f"cannot fetch '{url}': only http:// and https:// links are supported" in message
    assert "no such file" not in message  # it was 'no such file: ftp:/example.org/paper.pdf'


@pytest.mark.parametrize("value", ["-5", "0", "257"])
def test_concurrency_out_of_range_is_a_usage_error(value: str) -> None:
    message = one_line_error(runner.invoke(app, ["summarize", "x.pdf", "--concurrency", value]))
    assert "Invalid value for '--concurrency'" in message


def test_concurrency_of_one_is_used() -> None:
    result = runner.invoke(app, ["summarize", str(a_pdf()), "--concurrency", "1"])
    assert result.exit_code == 0, result.output
    assert "## Local Findings" in result.stdout


@pytest.mark.parametrize("value", ["-1", "inf", "nan"])
def test_a_negative_or_infinite_budget_is_a_usage_error(value: str) -> None:
    message = one_line_error(runner.invoke(app, ["summarize", "x.pdf", "--max-cost", value]))
    assert "Invalid value for '--max-cost'" in message


def test_out_naming_a_folder_is_refused_before_any_work() -> None:
    pdf = a_pdf()
    Path("week").mkdir()
    message = one_line_error(runner.invoke(app, ["summarize", str(pdf), "--out", "week"]))
    assert "--out week is a folder" in message
    assert not list(Path("week").iterdir())
    assert not (Path.cwd().parent / "home" / "cache" / "pdf").exists()  # nothing was read


def test_out_into_a_missing_folder_creates_it_and_says_so() -> None:
    pdf = a_pdf()
    written = runner.invoke(app, ["summarize", str(pdf), "--out", "new/week/w.md"])
    assert written.exit_code == 0, written.output
    assert "Created the folder new/week for --out" in " ".join(written.stderr.split())
    assert "## Local Findings" in Path("new/week/w.md").read_text()
    again = runner.invoke(app, ["summarize", str(pdf), "--out", "new/week/w.md"])
    assert again.exit_code == 0 and "Created" not in again.stderr
    Path("afile").write_text("x")
    message = one_line_error(runner.invoke(app, ["summarize", str(pdf), "--out", "afile/w.md"]))
    assert "--out afile/w.md: afile is a file, not a folder" in message


@pytest.mark.parametrize(
    "args",
    [
        ["rank", "--candidates", "c.jsonl", "--out", "a-folder"],
        ["feed", "--out", "a-folder"],
        ["speak", "hello", "--out", "a-file/x.mp3"],
    ],
)
def test_every_file_out_option_is_checked(args: list[str]) -> None:
    Path("a-folder").mkdir()
    Path("a-file").write_text("x")
    Path("c.jsonl").write_text('{"id": "2410.05258", "title": "A title"}\n')
    message = one_line_error(runner.invoke(app, args))
    assert "a-folder is a folder" in message or "a-file is a file, not a folder" in message


def test_a_folder_out_option_naming_a_file_is_refused() -> None:
    Path("site").write_text("a file\n")
    message = one_line_error(runner.invoke(app, ["site", "--out", "site"]))
    assert "--out site is a file, not a folder" in message


def test_a_pdf_link_over_the_size_limit_is_an_input_error(
    fixture_server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERCAST_LLM__MAX_PDF_MB", "1")
    big = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)
    fixture_server.route("/big.pdf", Reply(body=big, content_type="application/pdf"))
    url = fixture_server.url("/big.pdf")
    result = runner.invoke(app, ["summarize", url])  # was exit 1
    # (the output also holds the fixture server's own BrokenPipe traceback, from its thread:
    # papercast hangs up once the limit is passed)
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert f"{url} is larger than 1 MB" in message and "max_pdf_mb" in message
    local = Path("big.pdf")
    local.write_bytes(big)
    same = one_line_error(runner.invoke(app, ["summarize", str(local)]))
    assert "big.pdf is larger than 1 MB" in same


def test_an_api_key_written_in_the_config_file_is_warned_about() -> None:
    key = "sk-written-in-the-FILE-0123456789"
    Path("papercast.toml").write_text(
        f'[llm]\napi_key = "{key}"\n[email]\npassword = "hunter2-in-the-file"\n'
    )
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "[llm] api_key is written in" in said and "OPENAI_API_KEY" in said
    assert "[email] password is written in" in said and "PAPERCAST_EMAIL__PASSWORD" in said
    # the log handler folds a long path at the terminal width and indents the rest
    assert "papercast.toml" in "".join(result.output.split())
    assert key not in result.output and "hunter2" not in result.output
    Path("papercast.toml").write_text("[llm]\nmodel = 'gpt-4o-mini'\n")
    quiet = runner.invoke(app, ["status"])
    assert "api_key" not in quiet.output


def test_no_line_of_issue_txt_runs_to_thousands_of_characters() -> None:
    settings = Settings(issue={"highlights": 1, "show_name": "S" * 300})
    long_url = "https://example.org/" + "a" * 3000
    wordless = "基于大规模语言模型的研究" * 200  # Chinese: no spaces between words
    entries = [
        IssueEntry(paper=paper(1, title="T" * 5000, abs_url=long_url), score=0.9),
        IssueEntry(paper=paper(2, title="Fine", abstract=wordless), score=0.8),
    ]
    records = {
        "arxiv:2410.00001": summary(1, 9, tldr=wordless),
        "arxiv:2410.00002": summary(2, 3, tldr=wordless),
    }
    issue = assemble_issue("2024-W41", ranked=entries, summaries=records, settings=settings)
    text = render_format(issue, "txt", settings=settings)
    longest = max(text.splitlines(), key=len)
    assert len(longest) <= 78, (len(longest), longest[:100])
    assert "T" * 70 in text and wordless[:70] in text.replace("\n", "").replace(" ", "")
    ordinary = render_format(sample_issue(), "txt", settings=Settings())
    urls = [line.strip() for line in ordinary.splitlines() if "https://" in line]
    assert urls and all(u.startswith("https://") for u in urls)  # URLs kept whole
    assert MAX_URL_CHARS >= 200
