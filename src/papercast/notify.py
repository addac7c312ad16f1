"""Failure notification: when a weekly run fails (or half-fails), email the configured people.

Unattended runs need someone to hear about a bad week; ``[email] notify_failures`` lists who.
The message says what failed and where the log is; it never carries secrets.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from papercast.config import Settings
from papercast.errors import PapercastError
from papercast.logs import redact
from papercast.pipeline import RunReport

log = logging.getLogger(__name__)


def failure_message(report: RunReport, settings: Settings) -> EmailMessage:
    sender = settings.email.from_addr or "papercast@localhost"
    msg = EmailMessage()
    verdict = "failed" if report.status == "failed" else "finished with problems"
    msg["Subject"] = f"papercast: the run for {report.issue_id} {verdict}"
    msg["From"] = sender
    msg["To"] = ", ".join(settings.email.notify_failures)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "papercast")
    lines = [f"The papercast run for {report.issue_id} {verdict} (exit code {report.exit_code})."]
    if report.error:
        lines += ["", f"Error: {report.error}"]
    if report.failed:
        lines += ["", "Papers that failed:"] + [
            f"  {pid}: {why}" for pid, why in report.failed.items()
        ]
    if report.warnings:
        lines += ["", "Warnings:"] + [f"  {w}" for w in report.warnings]
    if report.log_file:
        lines += ["", f"Log: {report.log_file}"]
    lines += ["", "Rerun `papercast run` to continue where it stopped."]
    msg.set_content(redact("\n".join(lines)))
    return msg


def notify_failure(report: RunReport, settings: Settings) -> bool:
    """Send the notification if the run went wrong and someone wants to know; True if sent."""
    if report.exit_code == 0 or not settings.email.notify_failures:
        return False
    from papercast.export.email import SmtpSession

    try:
        session = SmtpSession(settings)
        msg = failure_message(report, settings)
        try:
            for address in settings.email.notify_failures:
                session.send(msg, msg["From"], address)
        finally:
            session.close()
    except (PapercastError, smtplib.SMTPException, OSError) as exc:
        log.warning("could not send the failure notification: %s", redact(str(exc)))
        return False
    return True
