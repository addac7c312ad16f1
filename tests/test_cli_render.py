"""The publishing commands end to end: a stored week -> render, email, site, feed, notes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.config import Settings
from papercast.layout import Layout, safe_name
from papercast.store import Database
from papercast.store.issues import IssueStore
from support.html_checks import Tags, assert_inert
from support.issue_builders import sample_issue
from support.smtp_server import smtp_server

runner = CliRunner()
COMMANDS = ("render", "email", "site", "feed", "notes", "issues")


def _store_week(*weeks: str) -> None:
    settings = Settings()
    with Database(Layout.from_settings(settings).db_path) as db:
        for week in weeks:
            IssueStore(db).save(sample_issue(settings, issue_id=week))


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_render_writes_the_requested_formats(tmp_path: Path) -> None:
    _store_week("2024-W40", "2024-W41")
    target = tmp_path / "rendered"
    code, out = _run("render", "2024-W41", "--format", "md,html,email,txt", "--out", str(target))
    assert code == 0, out
    assert sorted(p.name for p in target.iterdir()) == [
        "email.html", "issue.html", "issue.md", "issue.txt"
    ]  # fmt: skip
    for name in ("email.html", "issue.html", "issue.md", "issue.txt"):
        text = (target / name).read_text(encoding="utf-8")
        assert "IMPLICATIONS-5" in text and "TLDR-7" in text, name
    # default: latest issue, [publish] formats, into the issue's folder under out_dir
    code, out = _run("render")
    assert code == 0, out
    folder = Path.cwd() / "papercast-out" / "2024-W41"
    assert sorted(p.name for p in folder.iterdir()) == [
        "email.html", "issue.bib", "issue.html", "issue.md", "issue.txt", "substack.html"
    ]  # fmt: skip


def test_unknown_issue_and_format_are_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    _store_week("2024-W41")
    code, out = _run("render", "2024-W40")
    assert code == 2 and "issue 2024-W40 is not in the store (stored: 2024-W41)" in out
    code, out = _run("render", "2024-W41", "--format", "md,pdf")
    assert code == 2 and "unknown format 'pdf'" in out
    code, out = _run("render", "week41")
    assert code == 2 and "ISO weeks like 2024-W41" in out
    assert "Traceback" not in out


def test_email_sends_once_per_address_and_reports_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    _store_week("2024-W41")
    with smtp_server(tmp_path) as server:
        server.recorder.reject.add("nobody@y.org")
        env = {
            "PAPERCAST_EMAIL__SMTP_HOST": "127.0.0.1",
            "PAPERCAST_EMAIL__SMTP_PORT": str(server.port),
            "PAPERCAST_EMAIL__USERNAME": "papercast",
            "PAPERCAST_EMAIL__PASSWORD": "s3cret-PASSWORD-sentinel",
            "PAPERCAST_EMAIL__FROM_ADDR": "news@papercast.example",
            "PAPERCAST_EMAIL__CA_FILE": str(server.ca_file),
            "PAPERCAST_EMAIL__RETRY_BACKOFF": "0",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        code, out = _run("email", "2024-W41", "--to", "a@x.org,nobody@y.org")
        assert code == 1, out
        assert "a@x.org" in out and "sent" in out and "failed" in out and "550" in out
        assert "s3cret-PASSWORD-sentinel" not in out
        assert [m.rcpt_tos for m in server.recorder.messages] == [["a@x.org"]]
        code, out = _run("email", "2024-W41", "--to", "a@x.org")
        assert code == 0 and "skipped" in out
        code, out = _run("email", "2024-W41", "--to", "a@x.org", "--resend")
        assert code == 0 and "sent" in out
        assert len(server.recorder.messages) == 2
    eml = Path.cwd() / "papercast-out" / "2024-W41" / "email"
    assert {p.name for p in eml.iterdir()} == {
        "issue.eml",
        f"{safe_name('a@x.org')}.eml",
        f"{safe_name('nobody@y.org')}.eml",
    }
    assert safe_name("a@x.org").startswith("a-x.org-")
    code, out = _run("email", "2024-W41")
    assert code == 2 and "no recipients" in out


def test_site_feed_notes_and_issues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _store_week("2024-W40", "2024-W41")
    code, out = _run("site", "--out", str(tmp_path / "site"))
    assert code == 0, out
    site = tmp_path / "site"
    index = Tags.of((site / "index.html").read_text(encoding="utf-8"))
    links = [h for h in index.hrefs() if h.startswith("2024-W")]
    assert [h.split("/")[0] for h in links][:2] == ["2024-W41", "2024-W40"]  # newest first
    for link in links:
        assert (site / link.rstrip("/")).exists() or (site / link / "index.html").exists(), link
    for week in ("2024-W40", "2024-W41"):
        html = (site / week / "index.html").read_text(encoding="utf-8")
        assert_inert(html, relative_ok=True)  # paper 2's title and summary are hostile
        text = Tags.of(html).all_text
        assert "TLDR-1: thing 1 beats the baseline." in text and "IMPLICATIONS-3" in text
        assert "<script>alert('x')</script>" in text  # the hostile text is shown, as text

    monkeypatch.setenv("PAPERCAST_PODCAST__BASE_URL", "https://cdn.example/pc")
    code, out = _run("feed", "--out", str(tmp_path / "podcast.xml"))
    assert code == 0, out
    assert b"<rss" in (tmp_path / "podcast.xml").read_bytes()

    code, out = _run("notes", "2024-W41", "--dir", str(tmp_path / "vault"))
    assert code == 0 and "Wrote 7 note(s)" in out
    assert len(list((tmp_path / "vault").glob("*.md"))) == 7

    code, out = _run("issues")
    assert code == 0 and out.index("2024-W41") < out.index("2024-W40")


def test_every_publishing_command_has_help_with_an_example() -> None:
    for command in COMMANDS:
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200", **os.environ})
        assert result.exit_code == 0, command
        assert "Example: papercast " + command in result.output, command
