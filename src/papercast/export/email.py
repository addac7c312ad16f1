"""Email an issue: a MIME multipart/alternative message (text + HTML) per recipient.

Every call writes the .eml files first (``issue.eml`` for manual sending, one per recipient),
then sends one message per recipient over SMTP (STARTTLS, SSL or plain), retrying transient
failures (4xx replies, dropped connections) with backoff. Each address receives an issue
once: sends are recorded in the store and skipped next time unless ``resend``.

A run killed during a send cannot know whether the server took the message (the server's
"250 OK" and the store's record are two steps). Each send is therefore recorded as
``sending``, with its Message-ID, before it starts; the next run sends that address again
**with the same Message-ID**, so a mail client that got the first copy shows one message
(delivery is at least once, and a duplicate is recognisable as one).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Literal

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from papercast.config import Settings
from papercast.errors import ConfigError, ExportError, InputError
from papercast.i18n import get_language
from papercast.layout import Layout, atomic_write_bytes, safe_name
from papercast.logs import redact
from papercast.models import Issue
from papercast.render import make_environment, render_format
from papercast.store.db import Database
from papercast.store.emails import EmailStore
from papercast.text import safe_url

log = logging.getLogger(__name__)


class SendResult(BaseModel):
    """What happened to one recipient."""

    model_config = ConfigDict(extra="forbid")

    address: str
    status: Literal["sent", "failed", "skipped", "written"]
    attempts: int = 0
    message_id: str | None = None
    error: str | None = None
    eml_path: Path


def parse_recipients(value: str | list[str]) -> list[str]:
    """``"a@x.org, b@y.org"`` -> addresses, validated, de-duplicated (case-insensitive)."""
    items = value.split(",") if isinstance(value, str) else value
    result: list[str] = []
    seen: set[str] = set()
    for raw in (i.strip() for i in items):
        if not raw:
            continue
        _, address = parseaddr(raw)
        local, _, domain = address.partition("@")
        bad_chars = any(c in address for c in ' <>,;"') or any(c in raw for c in "\r\n")
        if not local or "." not in domain.strip(".") or bad_chars:
            raise InputError(f"{raw!r} is not an email address", "give addresses like a@x.org")
        if address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def _subject(issue: Issue, settings: Settings) -> str:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    try:
        text = env.from_string(settings.email.subject).render(
            title=issue.title, id=issue.id, date=issue.date
        )
    except TemplateError as exc:
        raise ConfigError(
            f"[email] subject is not a valid template: {exc}",
            "use {{ title }}, {{ id }}, {{ date }}",
        ) from None
    return " ".join(text.split())


def _domain(settings: Settings) -> str:
    _, address = parseaddr(settings.email.from_addr or "")
    return address.rpartition("@")[2] or "papercast.invalid"


def build_message(
    issue: Issue,
    *,
    settings: Settings,
    to: str | None,
    html: str,
    text: str,
) -> EmailMessage:
    """The message for one recipient (``to=None``: undisclosed recipients, for manual use)."""
    from_addr = settings.email.from_addr
    if not from_addr:
        raise ConfigError(
            "no sender address: [email] from_addr is not set",
            'add from_addr = "Papercast <news@example.org>" under [email] in papercast.toml',
        )
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["Subject"] = _subject(issue, settings)
    msg["From"] = from_addr
    msg["To"] = to or "undisclosed-recipients:;"
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(
        idstring=f"papercast.{safe_name(issue.id)}", domain=_domain(settings)
    )
    unsubscribe = settings.email.list_unsubscribe
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
        if unsubscribe.startswith("https://"):
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def render_bodies(issue: Issue, settings: Settings) -> tuple[str, str]:
    """(html, text) of the email, with the unsubscribe link when it is an http(s) URL."""
    env = make_environment(settings)
    unsubscribe = safe_url(settings.email.list_unsubscribe)
    html = render_format(issue, "email", settings=settings, env=env, unsubscribe_url=unsubscribe)
    text = render_format(issue, "txt", settings=settings, env=env)
    if settings.email.list_unsubscribe:
        label = get_language(settings.issue.language).gettext("Unsubscribe")
        text += f"\n{label}: {settings.email.list_unsubscribe}\n"
    return html, text


def write_eml(msg: EmailMessage, path: Path) -> Path:
    atomic_write_bytes(path, msg.as_bytes(policy=SMTP_POLICY), private=True)
    return path


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, (ConnectionError, TimeoutError)) and not isinstance(exc, ssl.SSLError)


class SmtpSession:
    """One SMTP connection, opened lazily and reopened after a failure."""

    def __init__(self, settings: Settings) -> None:
        config = settings.email
        if not config.smtp_host:
            raise ConfigError(
                "no SMTP server: [email] smtp_host is not set",
                "set smtp_host (and smtp_port, security, username) under [email]; "
                "the password comes from PAPERCAST_EMAIL__PASSWORD",
            )
        self.host = config.smtp_host
        self.config = config
        self.password = config.password.get_secret_value() if config.password else None
        self.conn: smtplib.SMTP | None = None
        self.failed_to_connect = False  # the last error happened before a session was up

    def _context(self) -> ssl.SSLContext:
        cafile = str(self.config.ca_file) if self.config.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def open(self) -> smtplib.SMTP:
        if self.conn is not None:
            return self.conn
        self.failed_to_connect = True
        config = self.config
        conn: smtplib.SMTP
        if config.security == "ssl":
            conn = smtplib.SMTP_SSL(
                self.host, config.smtp_port, timeout=config.timeout, context=self._context()
            )
        else:
            conn = smtplib.SMTP(self.host, config.smtp_port, timeout=config.timeout)
        try:
            if config.security == "starttls":
                conn.starttls(context=self._context())
            if config.username:
                if self.password is None:
                    raise ConfigError(
                        f"[email] username is {config.username!r} but no password is set",
                        "set PAPERCAST_EMAIL__PASSWORD in the environment",
                    )
                conn.login(config.username, self.password)
        except BaseException:
            _quiet_close(conn)
            raise
        self.conn = conn
        self.failed_to_connect = False
        return conn

    def send(self, msg: EmailMessage, from_addr: str, to: str) -> None:
        conn = self.open()
        try:
            conn.send_message(msg, from_addr=from_addr, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused:
            try:
                conn.rset()
            except (smtplib.SMTPException, OSError):
                self.close()
            raise
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            conn, self.conn = self.conn, None
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                _quiet_close(conn)


def _quiet_close(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        conn.close()


# Errors no retry or other recipient can fix: (kind, what went wrong, what to change).
_FATAL: tuple[tuple[type[BaseException], str, str], ...] = (
    (
        smtplib.SMTPAuthenticationError,
        "the SMTP server {host} rejected the login for {user!r}",
        "check [email] username and PAPERCAST_EMAIL__PASSWORD",
    ),
    (
        smtplib.SMTPNotSupportedError,
        "the SMTP server {host} does not support {exc}",
        "set [email] security to match the server (starttls, ssl or none)",
    ),
    (
        ssl.SSLError,
        "TLS with the SMTP server {host} failed: {exc}",
        "check [email] security and smtp_port; for a self-signed server set [email] ca_file",
    ),
    (
        smtplib.SMTPSenderRefused,
        "the SMTP server {host} refused the sender {sender}: {code}",
        "check [email] from_addr is an address this server may send from",
    ),
)


def _fatal(exc: BaseException, settings: Settings) -> ExportError | None:
    """An error no retry or other recipient can fix: stop and say what to change."""
    for kind, message, hint in _FATAL:
        if isinstance(exc, kind):
            return ExportError(
                message.format(
                    host=f"{settings.email.smtp_host}:{settings.email.smtp_port}",
                    user=settings.email.username,
                    exc=exc,
                    sender=getattr(exc, "sender", ""),
                    code=getattr(exc, "smtp_code", ""),
                ),
                hint,
            )
    return None


def _describe(exc: BaseException, password: str | None) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{code} {_text(reply)}" for code, reply in exc.recipients.values()]
        text = "refused: " + "; ".join(parts)
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {_text(exc.smtp_error)}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return redact(text, [password] if password else None)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


@dataclass
class _Attempts:
    count: int = 0


def _send_one(
    session: SmtpSession,
    msg: EmailMessage,
    from_addr: str,
    to: str,
    settings: Settings,
    attempts: _Attempts,
) -> None:
    """Send with retries on transient errors, counting attempts (also when it fails)."""
    config = settings.email
    retrying = Retrying(
        retry=retry_if_exception(_is_transient),
        stop=stop_after_attempt(config.retries + 1),
        wait=wait_exponential(multiplier=config.retry_backoff, max=60),
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            attempts.count = attempt.retry_state.attempt_number
            if attempts.count > 1:
                log.info("retrying %s (attempt %d)", to, attempts.count)
            session.send(msg, from_addr, to)


def send_issue(
    issue: Issue,
    recipients: list[str],
    *,
    settings: Settings,
    db: Database,
    layout: Layout,
    resend: bool = False,
    dry_run: bool = False,
) -> list[SendResult]:
    """Write the .eml files and send one message per recipient; see the module docstring."""
    recipients = parse_recipients(recipients)
    html, text = render_bodies(issue, settings)
    folder = layout.issue_email_dir(issue.id)
    general = build_message(issue, settings=settings, to=None, html=html, text=text)
    write_eml(general, folder / "issue.eml")
    store = EmailStore(db)
    messages = {}
    results: dict[str, SendResult] = {}
    for address in recipients:
        msg = build_message(issue, settings=settings, to=address, html=html, text=text)
        interrupted = store.get(issue.id, address)
        if (
            not resend
            and interrupted is not None
            and interrupted.status == "sending"
            and interrupted.message_id
        ):
            log.warning(
                "the last run stopped while sending %s to %s: sending it again with the same "
                "Message-ID, so a mail client that got it shows it once",
                issue.id,
                address,
            )
            msg.replace_header("Message-ID", interrupted.message_id)
        path = write_eml(msg, folder / f"{safe_name(address.lower())}.eml")
        messages[address] = msg
        if dry_run:
            results[address] = SendResult(address=address, status="written", eml_path=path)
        elif store.was_sent(issue.id, address) and not resend:
            previous = store.get(issue.id, address)
            results[address] = SendResult(
                address=address,
                status="skipped",
                message_id=previous.message_id if previous else None,
                error="already sent (use --resend to send again)",
                eml_path=path,
            )
        else:
            results[address] = SendResult(address=address, status="failed", eml_path=path)
    pending = [a for a in recipients if results[a].status == "failed"]
    if pending:
        _deliver(issue, pending, messages, results, settings=settings, store=store)
    return [results[a] for a in recipients]


def _fail_rest(
    issue: Issue,
    rest: list[str],
    results: dict[str, SendResult],
    store: EmailStore,
    error: str,
) -> None:
    """The server cannot be reached: the others fail too, without hammering it."""
    for address in rest:
        detail = f"not attempted: {error}"
        results[address] = results[address].model_copy(update={"error": detail})
        store.record(issue.id, address, status="failed", message_id=None, attempts=0, error=detail)


def _deliver(
    issue: Issue,
    pending: list[str],
    messages: dict[str, EmailMessage],
    results: dict[str, SendResult],
    *,
    settings: Settings,
    store: EmailStore,
) -> None:
    session = SmtpSession(settings)
    from_addr = parseaddr(settings.email.from_addr or "")[1]
    try:
        for address in pending:
            msg = messages[address]
            message_id = str(msg["Message-ID"])
            attempts = _Attempts()
            # Before the send: a run killed mid-send resends with this Message-ID.
            store.record(issue.id, address, status="sending", message_id=message_id, attempts=0)
            try:
                _send_one(session, msg, from_addr, address, settings, attempts)
            except (smtplib.SMTPException, OSError) as exc:
                fatal = _fatal(exc, settings)
                error = fatal.message if fatal is not None else _describe(exc, session.password)
                store.record(  # not sent: no longer "sending"
                    issue.id,
                    address,
                    status="failed",
                    message_id=message_id,
                    attempts=attempts.count,
                    error=error,
                )
                if fatal is not None:  # authentication, TLS...: no other address can go either
                    raise fatal from None
                log.warning("could not send %s to %s: %s", issue.id, address, error)
                results[address] = results[address].model_copy(
                    update={"status": "failed", "error": error, "attempts": attempts.count}
                )
                if session.failed_to_connect:
                    _fail_rest(issue, pending[pending.index(address) + 1 :], results, store, error)
                    return
                continue
            results[address] = results[address].model_copy(
                update={"status": "sent", "attempts": attempts.count, "message_id": message_id}
            )
            store.record(
                issue.id, address, status="sent", message_id=message_id, attempts=attempts.count
            )
            log.info("sent %s to %s", issue.id, address)
    finally:
        session.close()
