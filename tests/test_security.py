"""Security through a whole weekly run with faults (issue 8).

One run, in a subprocess with ``--debug`` (the most talkative it gets), against servers that
misbehave: LLM 429/500/401, a TTS failure, an SMTP server that refuses a reader, arXiv
metadata whose titles carry markup and whose PDF links point at ``file://`` (directly and by
redirect). Afterwards:

- the sentinel API key and SMTP password (also base64, as SMTP AUTH sends it) appear nowhere:
  not in stdout/stderr, logs, the SQLite files, run.json, outputs, notes, site or .eml files;
- every HTML output is inert (no script/img/iframe, no on* handlers, only http(s) links);
- no local file was read through a metadata link, and nothing was written outside the
  configured folders.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from papercast.config import Settings
from papercast.export.notes import write_notes
from papercast.export.site import build_site
from papercast.issue import assemble_issue
from papercast.layout import Layout
from papercast.models import IssueEntry
from papercast.render import render_issue
from papercast.sample.server import FixtureServer, Reply
from papercast.summarize.fulltext import FullTextFetcher
from support.fake_openai import FakeOpenAI
from support.html_checks import Tags
from support.issue_builders import paper, summary
from support.pipeline_world import SENTINEL_KEY, World, serve_pdfs, week_entries
from support.smtp_server import Recorder, smtp_server

WEEK = "2024-W41"
PASSWORD = "s3cret-PASSWORD-sentinel"
ATOM = "{http://www.w3.org/2005/Atom}"
LOCAL_SECRET = "LOCAL-FILE-SECRET-7f3a9c"
HOSTILE_TITLE = "Attention <script>alert('t')</script> ../../../../tmp/papercast-evil Is Enough"
HOSTILE_ABSTRACT = (
    'We <img src=x onerror=alert(1)> study things. <a href="javascript:alert(2)">click</a>'
)
HOSTILE_SUMMARY = {
    "tldr": "A model <script>alert('llm')</script> beats baselines [x](javascript:alert(3)).",
    "method": 'We train "><svg onload=alert(4)> a transformer.',
    "results": "Accuracy improves by 10.5% <iframe src=//evil.example></iframe>.",
    "critiques": "Only one dataset.",
    "implications": "Practitioners can adopt it.",
    "significance": 9,
    "significance_reason": "<b onmouseover=alert(5)>big</b>",
    "keywords": ["<script>", "transformers", "javascript:alert(6)"],
}


def encodings(secret: str, login: str = "papercast") -> list[bytes]:
    """The secret as it could leak: raw, and as SMTP AUTH LOGIN/PLAIN put it on the wire."""
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.b64encode(b"\0" + login.encode() + b"\0" + raw)]


def leaks(data: bytes) -> list[bytes]:
    return [s for s in encodings(SENTINEL_KEY) + encodings(PASSWORD) if s in data]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    monkeypatch.setenv("PAPERCAST_EMAIL__PASSWORD", PASSWORD)
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(LOCAL_SECRET)
    with FixtureServer() as server, FakeOpenAI() as fake:
        entries = week_entries(8, server.url("/pdf/"))
        entries[0].find(f"{ATOM}title").text = HOSTILE_TITLE
        entries[3].find(f"{ATOM}summary").text = HOSTILE_ABSTRACT
        pdf_links = [
            next(link for link in e.findall(f"{ATOM}link") if link.get("title") == "pdf")
            for e in entries
        ]
        pdf_links[1].set("href", f"file://{secret_file}")
        pdf_links[2].set("href", server.url("/redirect-to-file"))
        server.route(
            "/redirect-to-file", Reply(status=302, headers={"Location": f"file://{secret_file}"})
        )
        w = World(server=server, fake=fake, entries=entries)
        w.serve_arxiv()
        serve_pdfs(server, 8)
        yield w


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_faulty_debug_run_leaks_no_secret_injects_nothing_and_reads_no_local_file(
    world: World, tmp_path: Path
) -> None:
    home, folder = tmp_path / "home", tmp_path / "proj"
    folder.mkdir()
    recorder = Recorder(reject={"refused@example.org"})
    with smtp_server(tmp_path, recorder=recorder) as smtp:
        world.write_config(
            folder,
            llm={"timeout": 2, "max_retries": 2},
            issue={"highlights": 4, "noteworthy": 4, "highlight_pool": 2},
            audio={"workers": 1, "openai_max_retries": 1},
            email={
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "username": "papercast",
                "from_addr": "Papercast <news@papercast.example>",
                "ca_file": str(smtp.ca_file),
                "to": ["reader@example.org", "refused@example.org"],
                "retry_backoff": 0,
            },
            publish={
                "email": True,
                "notes_dir": str(folder / "notes"),
                "site_dir": str(folder / "site"),
            },
        )
        world.fake.answer_next(HOSTILE_SUMMARY, match="2410.05004")
        world.fake.fail_next("429", times=2, path="/v1/chat/completions")
        world.fake.fail_next("500", path="/v1/chat/completions")
        world.fake.fail_next("401", path="/v1/chat/completions", match="2410.05006")
        world.fake.fail_next("500", path="/v1/audio/speech")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERCAST_RAISE")}
        env["PAPERCAST_HOME"] = str(home)
        result = subprocess.run(
            [sys.executable, "-m", "papercast", "--debug", "run", "--week", WEEK],
            cwd=folder,
            env=env,
            capture_output=True,
            timeout=150,
        )
    output = result.stdout + result.stderr
    # the issue is made, but one paper's summary and one recipient failed: exit code 3
    assert result.returncode == 3, output.decode()[-3000:]
    assert b"DEBUG" in output or b"debug" in output.lower()  # it really was talkative

    # the secrets were used...
    assert any(c.headers.get("authorization") == f"Bearer {SENTINEL_KEY}" for c in world.fake.calls)
    assert [m.login for m in recorder.messages] == ["papercast"]
    # ...and leaked nowhere
    assert leaks(output) == []
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "secret.txt"]
    assert any(p.suffix == ".db" for p in files)
    # the run's log file is among the files scanned, and it says what failed
    logged = (home / "logs" / f"{WEEK}-run1.log").read_text()
    assert "failed arxiv:2410.05006: the LLM server at" in logged
    assert "refused@example.org" in logged
    for path in files:
        assert leaks(path.read_bytes()) == [], path

    # HTML outputs are inert; the hostile text is still there, as text
    out = folder / "out" / WEEK
    pages = [
        out / "issue.html",
        out / "email.html",
        out / "substack.html",
        *(folder / "site").rglob("*.html"),
    ]
    assert len(pages) >= 5
    for page in pages:
        html = page.read_text()
        doc = Tags.of(html)
        names = {tag for tag, _ in doc.tags}
        assert not names & {"script", "img", "svg", "iframe"}, (page, names)
        for tag, attrs in doc.tags:
            assert not [a for a in attrs if a.startswith("on")], (page, tag, attrs)
            link = attrs.get("href") if tag != "audio" else None
            assert (
                link is None
                or link.startswith(("https://", "http://", "mailto:", "#"))
                or ("://" not in link and not link.startswith(("javascript:", "data:")))
            ), (page, link)
    issue_text = Tags.of((out / "issue.html").read_text()).all_text
    assert "<script>alert('t')</script>" in issue_text

    # no local file was read through a metadata link, directly or by redirect
    assert world.server.requests_to("/redirect-to-file")
    warnings = json.loads((out / "run.json").read_text())["warnings"]
    for paper_id in ("arxiv:2410.05001", "arxiv:2410.05002"):  # file:// link, redirect to file://
        assert any(w.startswith(f"{paper_id}: summary from the abstract only") for w in warnings), (
            warnings
        )
    for call in world.fake.calls:
        assert LOCAL_SECRET.encode() not in call.raw
    for path in files:
        assert LOCAL_SECRET.encode() not in path.read_bytes(), path

    # nothing written outside the configured folders, whatever the titles said
    assert not list(Path("/tmp").glob("papercast-evil*"))
    roots = [home, folder]
    for path in files:
        assert (
            any(path.resolve().is_relative_to(r.resolve()) for r in roots)
            or path.parent == tmp_path
        ), path


@pytest.mark.parametrize(
    "paper_id",
    [
        "biorxiv:10.1101/../../../../tmp/papercast-evil",
        "biorxiv:10.1101/..",
        "feed:/etc/passwd",
        "arxiv:..\\..\\evil",
        "local:" + "a/" * 200,
    ],
)
def test_hostile_paper_ids_never_escape_their_folders(tmp_path: Path, paper_id: str) -> None:
    source = paper_id.split(":", 1)[0]
    settings = Settings(publish={"out_dir": tmp_path / "out"}, home=tmp_path / "home")
    layout = Layout.from_settings(settings)
    hostile = paper(1, id=paper_id, source=source, title="../../../../tmp/papercast-evil")
    record = summary(1, 9).model_copy(update={"paper_id": paper_id})
    issue = assemble_issue(
        "2024-W41",
        ranked=[IssueEntry(paper=hostile, score=1.0)],
        summaries={paper_id: record},
        settings=settings,
    )
    written = [
        *render_issue(
            issue, settings=settings, out_dir=layout.issue_dir(issue.id), formats=["md", "html"]
        ).values(),
        *write_notes(issue, tmp_path / "notes"),
        build_site([issue], settings=settings, site_dir=tmp_path / "site"),
        FullTextFetcher(settings, layout).cache_path(hostile),
    ]
    for path in written:
        assert path.resolve().is_relative_to(tmp_path.resolve()), path
        assert ".." not in path.relative_to(tmp_path).parts, path
    created = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert created and all(p.name not in (".", "..") and len(p.name) < 120 for p in created)
    assert not list(Path("/tmp").glob("papercast-evil*"))


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("failure", ["every LLM call 401", "SMTP login refused"])
def test_failing_runs_name_the_problem_without_the_secret(
    world: World, tmp_path: Path, failure: str
) -> None:
    home, folder = tmp_path / "home", tmp_path / "proj"
    folder.mkdir()
    with smtp_server(tmp_path, password="the-server-wants-another-password") as smtp:
        world.write_config(
            folder,
            llm={"fulltext": False},
            audio={"enabled": False},
            email={
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "username": "papercast",
                "from_addr": "Papercast <news@papercast.example>",
                "ca_file": str(smtp.ca_file),
                "to": ["reader@example.org"],
                "retry_backoff": 0,
            },
            publish={"email": True},
        )
        if failure == "every LLM call 401":
            world.fake.fail_randomly("401", 1.0, path="/v1/chat/completions")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERCAST_RAISE")}
        env["PAPERCAST_HOME"] = str(home)
        result = subprocess.run(
            [sys.executable, "-m", "papercast", "run", "--week", WEEK],
            cwd=folder,
            env=env,
            capture_output=True,
            timeout=100,
        )
    output = (result.stdout + result.stderr).decode()
    if failure == "every LLM call 401":
        assert result.returncode == 1, output
        assert "no paper could be summarized" in output and "401" in output
    else:
        assert result.returncode == 3, output
        assert (
            "email failed: the SMTP server 127.0.0.1" in output.replace("\n", " ")
            or "rejected the login" in output
        )
    assert leaks(output.encode()) == []
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert leaks(path.read_bytes()) == [], path
