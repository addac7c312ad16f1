"""[notify] channels through real Apprise, posting to a JSON webhook on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import apprise
import pytest
from typer.testing import CliRunner

from papercast.cli import app
from papercast.export.channels import Notice, fit
from papercast.sample.server import FixtureServer
from support.fake_openai import FakeOpenAI
from support.pipeline_world import SENTINEL_KEY, World, week_entries
from support.webhook import WebhookServer

runner = CliRunner()
HOOK_SECRET = "hook-SECRET-sentinel-4242"


def _home_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _config(world: World, hook: WebhookServer, urls: list[str], **notify: object) -> None:
    world.write_config(
        Path.cwd(),
        audio={"enabled": False},
        notify={"urls": urls, "retry_backoff": 0, **notify},
        publish={"out_dir": "out", "site_url": "https://papers.example.org/weekly"},
    )


def test_a_run_posts_the_issue_once_and_resend_posts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    monkeypatch.setenv("HOOK_TOKEN", HOOK_SECRET)
    with FixtureServer() as server, FakeOpenAI() as fake, WebhookServer() as hook:
        world = World(server=server, fake=fake, entries=week_entries(4, server.url("/pdf/")))
        world.serve_arxiv()
        _config(world, hook, [hook.apprise_url("/hooks/${HOOK_TOKEN}")])
        first = runner.invoke(app, ["run", "--week", "2024-W41"])
        assert first.exit_code == 0, first.output
        [post] = hook.posts
        assert post.path == f"/hooks/{HOOK_SECRET}"
        assert post.body["title"].startswith("This Week's New Papers")
        lines = post.body["message"].splitlines()
        assert lines[0] == "2 highlights this week:"
        assert sum(1 for ln in lines if ln.startswith("• ")) == 2
        assert all("https://arxiv.org/abs/2410.0500" in ln for ln in lines if ln.startswith("• "))
        assert lines[-1] == "Read: https://papers.example.org/weekly/2024-W41/"
        assert "channel 1 (json): issue notice posted" in first.output
        run_json = json.loads(Path("out/2024-W41/run.json").read_text(encoding="utf-8"))
        assert run_json["channels"] == [
            {
                "channel": "channel 1 (json)",
                "event": "issue",
                "status": "sent",
                "attempts": 1,
                "error": None,
            }
        ]

        again = runner.invoke(app, ["run", "--week", "2024-W41"])
        assert again.exit_code == 0, again.output
        assert len(hook.posts) == 1  # a rerun does not post the same issue twice
        assert "already posted" in again.output

        resent = runner.invoke(app, ["run", "--week", "2024-W41", "--resend"])
        assert resent.exit_code == 0, resent.output
        assert len(hook.posts) == 2
    for path in _home_files(tmp_path):  # the secret reached the channel and nowhere else
        assert HOOK_SECRET.encode() not in path.read_bytes(), path


def test_an_empty_week_posts_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI() as fake, WebhookServer() as hook:
        world = World(server=server, fake=fake, entries=[])
        world.serve_arxiv()
        _config(world, hook, [hook.apprise_url("/heartbeat")])
        result = runner.invoke(app, ["run", "--week", "2024-W41"])
    assert result.exit_code == 0, result.output
    [post] = hook.posts_to("/heartbeat")
    assert post.body["title"] == "Test Papers: no issue for 2024-W41"
    assert post.body["message"].startswith("nothing new because arxiv: ")
    assert post.body["type"] == "info"


def test_a_failing_channel_is_retried_reported_and_blocks_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI() as fake, WebhookServer() as hook:
        world = World(server=server, fake=fake, entries=week_entries(3, server.url("/pdf/")))
        world.serve_arxiv()
        hook.fail("/broken", 500, 500, 500)
        hook.fail("/flaky", 503)
        _config(
            world,
            hook,
            [hook.apprise_url("/broken"), hook.apprise_url("/flaky"), hook.apprise_url("/ok")],
            retries=2,
        )
        result = runner.invoke(app, ["run", "--week", "2024-W41"])
        assert result.exit_code == 3, result.output
        assert len(hook.posts_to("/broken")) == 3  # the first try and two retries
        assert len(hook.posts_to("/flaky")) == 2  # failed once, then got it
        assert len(hook.posts_to("/ok")) == 1
        run_json = json.loads(Path("out/2024-W41/run.json").read_text(encoding="utf-8"))
        by_channel = {c["channel"]: c for c in run_json["channels"]}
        assert by_channel["channel 1 (json)"]["status"] == "failed"
        assert by_channel["channel 1 (json)"]["attempts"] == 3
        assert "500" in by_channel["channel 1 (json)"]["error"]
        assert by_channel["channel 2 (json)"]["status"] == "sent"
        assert by_channel["channel 3 (json)"]["status"] == "sent"
        assert any(
            "channel 1 (json) did not get the issue notice" in w for w in run_json["warnings"]
        )
        # a rerun posts to the channel that missed it, and only to that one
        hook.fail("/broken")
        rerun = runner.invoke(app, ["run", "--week", "2024-W41"])
        assert rerun.exit_code == 0, rerun.output
        assert len(hook.posts_to("/broken")) == 4
        assert len(hook.posts_to("/ok")) == 1


def test_a_failed_run_posts_a_failure_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    from papercast.sample.server import Reply

    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with FixtureServer() as server, FakeOpenAI() as fake, WebhookServer() as hook:
        world = World(server=server, fake=fake, entries=[])
        server.route("/api/query", Reply(status=503))
        _config(world, hook, [hook.apprise_url("/alerts")], events=["failure"])
        world.write_config(
            Path.cwd(),
            arxiv={"num_retries": 0},
            audio={"enabled": False},
            notify={"urls": [hook.apprise_url("/alerts")], "events": ["failure"]},
        )
        result = runner.invoke(app, ["run", "--week", "2024-W41"])
    assert result.exit_code == 1, result.output
    [post] = hook.posts_to("/alerts")
    assert post.body["title"] == "papercast: the run for 2024-W41 failed"
    assert post.body["type"] == "failure"
    assert "every source failed" in post.body["message"]
    assert SENTINEL_KEY not in post.body["message"]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("slakk://xoxb-SECRET-TOKEN-123/channel", "slakk"),
        ("https//SECRET-TOKEN-123", "no scheme"),
    ],
)
def test_a_url_apprise_cannot_use_is_a_config_error_without_the_secret(
    url: str, shown: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    Path("papercast.toml").write_text(
        "[notify]\n" + f'urls = ["json://127.0.0.1:9/ok", {json.dumps(url)}]\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["run", "--week", "2024-W41"])
    assert result.exit_code == 2
    assert f"[notify] urls entry 2 ({shown}) is not a URL Apprise can use" in result.output
    assert "SECRET-TOKEN" not in result.output
    assert "SECRET" not in caplog.text and "slakk://" not in caplog.text


def test_a_missing_secret_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    Path("papercast.toml").write_text(
        '[notify]\nurls = ["tgram://${TELEGRAM_BOT_TOKEN}/12345"]\n', encoding="utf-8"
    )
    result = runner.invoke(app, ["run", "--week", "2024-W41"])
    assert result.exit_code == 2
    assert "uses ${TELEGRAM_BOT_TOKEN}, which is not set" in result.output


def test_a_notice_fits_each_services_limits() -> None:
    items = [
        f"• Paper number {i} with a long title about transformers — "
        f"https://arxiv.org/abs/2410.{i:05d}"
        for i in range(200)
    ]
    notice = Notice(
        "issue",
        "2024-W41",
        "T" * 400,
        head=["200 highlights this week:"],
        items=items,
        tail=["Read: https://papers.example.org/2024-W41/"],
    )
    for url in (
        "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
        "tgram://123456789:abcdefg_hijklmnop/12315544/",
        "ntfy://topic",
    ):
        plugin = apprise.Apprise.instantiate(url)
        assert plugin is not None
        title, body = fit(notice, plugin.title_maxlen, plugin.body_maxlen)
        assert len(body) <= plugin.body_maxlen
        assert len(title) <= max(plugin.title_maxlen, 0)
        assert body.endswith("Read: https://papers.example.org/2024-W41/")
        kept = sum(1 for ln in body.splitlines() if ln.startswith("• "))
        assert 0 < kept < 200
        assert f"… and {200 - kept} more" in body
        assert all(ln in items for ln in body.splitlines() if ln.startswith("• "))
    # Telegram has no titles: the title leads the body instead
    telegram = apprise.Apprise.instantiate("tgram://123456789:abcdefg_hijklmnop/12315544/")
    assert telegram is not None and telegram.title_maxlen == 0
    title, body = fit(notice, telegram.title_maxlen, telegram.body_maxlen)
    assert title == "" and body.startswith("T" * 400 + "\n")
