"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the email tests: STARTTLS or implicit TLS
with a throwaway CA (trustme), AUTH, recipients it rejects (550) or defers (451)."""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: str | None


@dataclass
class Recorder:
    """The handler: records every accepted message and scripted refusals."""

    reject: set[str] = field(default_factory=set)
    defer: dict[str, int] = field(default_factory=dict)  # address -> 451 replies still to give
    messages: list[Received] = field(default_factory=list)
    rcpt_attempts: dict[str, int] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:  # fmt: skip
        self.rcpt_attempts[address] = self.rcpt_attempts.get(address, 0) + 1
        if address in self.reject:
            return "550 5.1.1 no such mailbox here"
        if self.defer.get(address, 0) > 0:
            self.defer[address] -= 1
            return "451 4.3.0 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        tls = session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None
        login = session.auth_data.login.decode() if session.authenticated else None
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, tls, login)
        )
        return "250 Message accepted for delivery"


class _Authenticator:
    def __init__(self, login: str, password: str) -> None:
        self.login, self.password = login.encode(), password.encode()

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:  # fmt: skip
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login == self.login and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class _EphemeralController(Controller):  # type: ignore[misc]
    """Binds port 0 and learns the real port before aiosmtpd's self-check connects."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpServer:
    port: int
    recorder: Recorder
    ca_file: Path


@contextmanager
def smtp_server(
    tmp_path: Path,
    *,
    mode: str = "starttls",  # "starttls" | "ssl" | "none"
    login: str | None = "papercast",
    password: str = "s3cret-PASSWORD-sentinel",
    recorder: Recorder | None = None,
) -> Iterator[SmtpServer]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    recorder = recorder if recorder is not None else Recorder()
    kwargs: dict[str, Any] = {}
    if mode == "starttls":
        kwargs.update(tls_context=server_ctx, require_starttls=True)
    elif mode == "ssl":
        kwargs.update(ssl_context=server_ctx)
    if login is not None:
        kwargs.update(
            authenticator=_Authenticator(login, password),
            auth_required=True,
            # aiosmtpd only counts STARTTLS as TLS; implicit-TLS connections are TLS anyway
            auth_require_tls=mode == "starttls",
        )
    with warnings.catch_warnings():
        # implicit TLS: aiosmtpd warns that AUTH does not "require TLS" (it is TLS already)
        warnings.simplefilter("ignore", UserWarning)
        controller = _EphemeralController(recorder, hostname="127.0.0.1", port=0, **kwargs)
    controller.start()
    try:
        yield SmtpServer(port=controller.port, recorder=recorder, ca_file=ca_file)
    finally:
        controller.stop()
