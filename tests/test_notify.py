"""Failure notification by email, against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.sample.server import FixtureServer, Reply
from support.fake_openai import FakeOpenAI
from support.pipeline_world import SENTINEL_KEY, World, week_entries
from support.smtp_server import smtp_server

runner = CliRunner()


def test_a_failed_run_emails_the_people_who_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    monkeypatch.setenv("PAPERCAST_EMAIL__PASSWORD", "s3cret-PASSWORD-sentinel")
    with FixtureServer() as server, FakeOpenAI() as fake, smtp_server(tmp_path) as smtp:
        world = World(server=server, fake=fake, entries=week_entries(3, server.url("/pdf/")))
        server.route("/api/query", Reply(status=503))
        world.write_config(
            Path.cwd(),
            arxiv={"num_retries": 0},
            email={
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "security": "starttls",
                "ca_file": str(smtp.ca_file),
                "username": "papercast",
                "from_addr": "bot@lab.example",
                "notify_failures": ["admin@lab.example"],
            },
        )
        result = runner.invoke(app, ["run", "--week", "2024-W41"])
    assert result.exit_code == 1, result.output
    assert "sent a failure notification" in result.output
    [received] = smtp.recorder.messages
    assert received.rcpt_tos == ["admin@lab.example"] and received.tls
    message = email.message_from_bytes(received.content, policy=policy.default)
    assert message["Subject"] == "papercast: the run for 2024-W41 failed"
    body = message.get_content()
    assert "every source failed" in body and "HTTP 503" in body
    assert "Log: " in body
    assert SENTINEL_KEY not in body and "s3cret-PASSWORD-sentinel" not in body


def test_a_good_run_sends_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with (
        FixtureServer() as server,
        FakeOpenAI() as fake,
        smtp_server(tmp_path, login=None, mode="none") as smtp,
    ):
        world = World(server=server, fake=fake, entries=week_entries(3, server.url("/pdf/")))
        world.serve_arxiv()
        world.write_config(
            Path.cwd(),
            audio={"enabled": False},
            email={
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "security": "none",
                "notify_failures": ["admin@lab.example"],
            },
        )
        result = runner.invoke(app, ["run", "--week", "2024-W41"])
    assert result.exit_code == 0, result.output
    assert smtp.recorder.messages == []
