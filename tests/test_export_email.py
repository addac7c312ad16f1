"""Email export against a real SMTP server on 127.0.0.1: TLS, auth, one message per
recipient, retries on 4xx, rejected recipients, never twice, .eml always written."""

from __future__ import annotations

import email
import logging
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from papercast.config import Settings
from papercast.errors import ConfigError, ExportError, InputError
from papercast.export.email import parse_recipients, send_issue
from papercast.layout import Layout, safe_name
from papercast.store import Database
from papercast.store.emails import EmailStore
from support.issue_builders import sample_issue
from support.smtp_server import SmtpServer, smtp_server

PASSWORD = "s3cret-PASSWORD-sentinel"


def _settings(monkeypatch: pytest.MonkeyPatch, server: SmtpServer, **email: object) -> Settings:
    monkeypatch.setenv("PAPERCAST_EMAIL__PASSWORD", PASSWORD)
    config: dict[str, object] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": server.port,
        "username": "papercast",
        "from_addr": "Papercast <news@papercast.example>",
        "security": "starttls",
        "ca_file": server.ca_file,
        "retry_backoff": 0,
        "timeout": 10,
        "list_unsubscribe": "https://papercast.example/unsubscribe",
    }
    config.update(email)
    return Settings(email=config, publish={"out_dir": Path.cwd() / "out"})


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _send(settings: Settings, db: Database, to: list[str], **kw: object):  # type: ignore[no-untyped-def]
    layout = Layout.from_settings(settings)
    return send_issue(sample_issue(settings), to, settings=settings, db=db, layout=layout, **kw)


def test_starttls_auth_one_message_per_recipient_and_a_rejected_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with smtp_server(tmp_path) as server, Database(tmp_path / "db.sqlite") as db:
        server.recorder.reject.add("nobody@y.org")
        settings = _settings(monkeypatch, server)
        results = _send(settings, db, ["a@x.org", "nobody@y.org", "B@y.org"])
        assert [(r.address, r.status) for r in results] == [
            ("a@x.org", "sent"), ("nobody@y.org", "failed"), ("B@y.org", "sent"),
        ]  # fmt: skip
        assert "550" in (results[1].error or "") and "no such mailbox" in (results[1].error or "")
        assert results[1].attempts == 1, "a permanent refusal is not retried"

        got = server.recorder.messages
        assert [m.rcpt_tos for m in got] == [["a@x.org"], ["B@y.org"]]
        assert all(m.tls and m.login == "papercast" for m in got)
        for received, address in zip(got, ["a@x.org", "B@y.org"], strict=True):
            msg = _parse(received.content)
            assert msg["To"] == address, "no recipient sees another"
            assert "nobody" not in received.content.decode()
            assert msg["Subject"] == "This Week's New Papers - Oct 13, 2024"
            assert msg["From"] == "Papercast <news@papercast.example>"
            assert msg["Message-ID"].endswith("@papercast.example>")
            assert msg["Date"]
            assert msg["List-Unsubscribe"] == "<https://papercast.example/unsubscribe>"
            assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert msg.get_content_type() == "multipart/alternative"
            text = msg.get_body(("plain",))
            html = msg.get_body(("html",))
            assert text is not None and html is not None
            assert "METHOD-1" in text.get_content() and "<" not in text.get_content()[:20]
            assert "METHOD-1" in html.get_content() and "&lt;script&gt;" in html.get_content()
            assert "https://papercast.example/unsubscribe" in html.get_content()

        # the .eml files: one for manual use, one per recipient, all parseable
        folder = Layout.from_settings(settings).issue_email_dir("2024-W41")
        assert sorted(p.name for p in folder.iterdir()) == [
            f"{safe_name('a@x.org')}.eml", f"{safe_name('b@y.org')}.eml", "issue.eml", f"{safe_name('nobody@y.org')}.eml",
        ]  # fmt: skip
        manual = _parse((folder / "issue.eml").read_bytes())
        assert manual["To"] == "undisclosed-recipients:;"
        assert results[0].eml_path == folder / f"{safe_name('a@x.org')}.eml"

        records = {r.address: r for r in EmailStore(db).for_issue("2024-W41")}
        assert records["a@x.org"].status == "sent" and records["b@y.org"].status == "sent"
        assert records["nobody@y.org"].status == "failed"
        # the password is nowhere: not in the store, the .eml files, the logs
        dump = "\n".join(db.conn.iterdump())
        assert PASSWORD not in dump
        assert all(PASSWORD.encode() not in p.read_bytes() for p in folder.iterdir())
        assert PASSWORD not in caplog.text


def test_never_twice_to_the_same_address_unless_resend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path) as server, Database(tmp_path / "db.sqlite") as db:
        settings = _settings(monkeypatch, server)
        _send(settings, db, ["a@x.org"])
        again = _send(settings, db, ["A@X.org", "c@x.org"])
        assert [(r.address, r.status) for r in again] == [
            ("A@X.org", "skipped"),
            ("c@x.org", "sent"),
        ]
        assert "--resend" in (again[0].error or "")
        assert [m.rcpt_tos for m in server.recorder.messages] == [["a@x.org"], ["c@x.org"]]
        forced = _send(settings, db, ["a@x.org"], resend=True)
        assert forced[0].status == "sent"
        assert len(server.recorder.messages) == 3


def test_a_send_cut_short_is_sent_again_with_the_same_message_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # What a run killed between the server's "250 OK" and the store's record leaves behind:
    # the address marked "sending" with the Message-ID it was being sent with.
    with smtp_server(tmp_path) as server, Database(tmp_path / "db.sqlite") as db:
        settings = _settings(monkeypatch, server)
        _send(settings, db, ["a@x.org"])
        [first] = server.recorder.messages
        first_id = _parse(first.content)["Message-ID"]
        assert EmailStore(db).get("2024-W41", "a@x.org").status == "sent"  # type: ignore[union-attr]

        EmailStore(db).record(
            "2024-W41", "b@x.org", status="sending", message_id="<cut.short@x.org>", attempts=0
        )
        with caplog.at_level(logging.WARNING):
            again = _send(settings, db, ["a@x.org", "b@x.org"])
        assert [(r.address, r.status) for r in again] == [
            ("a@x.org", "skipped"),
            ("b@x.org", "sent"),
        ]
        resent = server.recorder.messages[-1]
        assert resent.rcpt_tos == ["b@x.org"]
        assert _parse(resent.content)["Message-ID"] == "<cut.short@x.org>"  # clients fold it
        assert "stopped while sending" in caplog.text and "b@x.org" in caplog.text
        record = EmailStore(db).get("2024-W41", "b@x.org")
        assert record is not None and record.status == "sent"
        assert record.message_id == "<cut.short@x.org>"

        # --resend is a new message on purpose: a new Message-ID
        forced = _send(settings, db, ["b@x.org"], resend=True)
        assert forced[0].status == "sent"
        assert _parse(server.recorder.messages[-1].content)["Message-ID"] not in (
            "<cut.short@x.org>",
            first_id,
        )


def test_transient_refusals_are_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_server(tmp_path) as server, Database(tmp_path / "db.sqlite") as db:
        server.recorder.defer["slow@x.org"] = 2
        server.recorder.defer["stuck@x.org"] = 99
        settings = _settings(monkeypatch, server, retries=2)
        results = _send(settings, db, ["slow@x.org", "stuck@x.org", "ok@x.org"])
        assert [(r.status, r.attempts) for r in results] == [
            ("sent", 3),
            ("failed", 3),
            ("sent", 1),
        ]
        assert "451" in (results[1].error or "")
        assert server.recorder.rcpt_attempts["slow@x.org"] == 3
        assert [m.rcpt_tos for m in server.recorder.messages] == [["slow@x.org"], ["ok@x.org"]]
        # a later run retries only the failed address
        server.recorder.defer.clear()
        rerun = _send(settings, db, ["slow@x.org", "stuck@x.org", "ok@x.org"])
        assert [r.status for r in rerun] == ["skipped", "sent", "skipped"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_and_plain_smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_server(tmp_path, mode="ssl") as server, Database(tmp_path / "db.sqlite") as db:
        settings = _settings(monkeypatch, server, security="ssl")
        assert _send(settings, db, ["a@x.org"])[0].status == "sent"
        assert server.recorder.messages[0].tls and server.recorder.messages[0].login == "papercast"
    with smtp_server(tmp_path, mode="none", login=None) as server, Database(":memory:") as db:
        settings = _settings(monkeypatch, server, security="none", username=None)
        assert _send(settings, db, ["a@x.org"])[0].status == "sent"
        assert not server.recorder.messages[0].tls


def test_wrong_password_untrusted_cert_and_missing_host_are_clear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path, password="other") as server, Database(":memory:") as db:
        settings = _settings(monkeypatch, server)
        with pytest.raises(ExportError, match="rejected the login for 'papercast'") as info:
            _send(settings, db, ["a@x.org"])
        assert "PAPERCAST_EMAIL__PASSWORD" in str(info.value) and PASSWORD not in str(info.value)
        untrusted = _settings(monkeypatch, server, ca_file=None)
        with pytest.raises(ExportError, match=r"TLS with the SMTP server .* failed.*ca_file"):
            _send(untrusted, db, ["a@x.org"])
        assert server.recorder.messages == []
    with Database(":memory:") as db:
        settings = Settings(email={"from_addr": "n@x.org"}, publish={"out_dir": tmp_path / "o"})
        with pytest.raises(ConfigError, match="smtp_host"):
            _send(settings, db, ["a@x.org"])
        assert (tmp_path / "o" / "2024-W41" / "email" / f"{safe_name('a@x.org')}.eml").is_file(), (
            "eml written"
        )
        dry = _send(settings, db, ["a@x.org"], dry_run=True)
        assert dry[0].status == "written"
        with pytest.raises(ConfigError, match="from_addr"):
            _send(Settings(publish={"out_dir": tmp_path / "o"}), db, ["a@x.org"])


def test_recipients_are_validated_and_deduplicated() -> None:
    assert parse_recipients("a@x.org, b@y.org,A@x.org,,") == ["a@x.org", "b@y.org"]
    assert parse_recipients(["Ann <ann@x.org>"]) == ["ann@x.org"]
    for bad in ("not-an-address", "a@b", "a@x.org\r\nBcc: evil@x.org"):
        with pytest.raises(InputError, match="is not an email address"):
            parse_recipients(bad)


def test_an_unreachable_server_fails_everyone_fast_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("PAPERCAST_EMAIL__PASSWORD", PASSWORD)
    settings = Settings(
        email={"smtp_host": "127.0.0.1", "smtp_port": port, "from_addr": "n@x.org",
               "retries": 1, "retry_backoff": 0, "security": "none"},
        publish={"out_dir": tmp_path / "out"},
    )  # fmt: skip
    with Database(":memory:") as db:
        results = _send(settings, db, ["a@x.org", "b@x.org", "c@x.org"])
    assert [(r.status, r.attempts) for r in results] == [
        ("failed", 2),
        ("failed", 0),
        ("failed", 0),
    ]
    assert "ConnectionRefusedError" in (results[0].error or "")
    assert (results[2].error or "").startswith("not attempted: ConnectionRefusedError")
    assert (tmp_path / "out" / "2024-W41" / "email" / f"{safe_name('c@x.org')}.eml").is_file()
