"""After a weekly run: tell people. Unattended runs need someone to hear about every week.

- ``[email] notify_failures``: an email when a run fails (or half-fails);
- ``[notify] urls``: chat and push channels through Apprise (``papercast.export.channels``):
  the issue's highlights, an empty week's reason (silence looks like breakage), a failure.

Messages say what happened and where the log is; they never carry secrets.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from papercast.config import Settings
from papercast.errors import EXIT_OK, EXIT_PARTIAL, PapercastError
from papercast.export.channels import Notice, build_channels, deliver
from papercast.export.podcast_feed import public_url
from papercast.i18n import get_language
from papercast.layout import Layout, safe_name
from papercast.logs import redact
from papercast.models import ChannelDelivery, Issue
from papercast.pipeline import RunReport, write_run_json
from papercast.store import Database
from papercast.store.issues import IssueStore
from papercast.text import paper_url, plain, safe_url

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
    lines += _failure_details(report)
    lines += ["", "Rerun `papercast run` to continue where it stopped."]
    msg.set_content(redact("\n".join(lines)))
    return msg


def _failure_details(report: RunReport) -> list[str]:
    lines: list[str] = []
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
    return lines


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


# --- channels ----------------------------------------------------------------------------


def _verdict(report: RunReport) -> str:
    return "failed" if report.status == "failed" else "finished with problems"


def issue_notice(issue: Issue, settings: Settings) -> Notice:
    """The issue: its title, one line per highlight with its link, the web page and episode,
    in ``[issue] language`` (the failure notice is for whoever runs papercast: English)."""
    lang = get_language(settings.issue.language)
    _ = lang.gettext
    items = []
    for entry in issue.highlights:
        url = paper_url(entry.paper)
        items.append(f"• {plain(entry.paper.title)}" + (f" — {url}" if url else ""))
    count = len(issue.highlights)
    head = (
        [
            lang.ngettext(
                "%(count)s highlight this week:", "%(count)s highlights this week:", count
            )
            % {"count": lang.number(count)}
        ]
        if items
        else []
    )
    tail = []
    site = safe_url(settings.publish.site_url)
    if site:
        tail.append(_("Read: %(url)s") % {"url": f"{site.rstrip('/')}/{safe_name(issue.id)}/"})
    base = safe_url(settings.podcast.base_url)
    if base and issue.audio_file:
        tail.append(_("Listen: %(url)s") % {"url": public_url(base, issue, issue.audio_file)})
    return Notice(
        "issue",
        issue.id,
        plain(issue.title),
        head=head,
        items=items,
        tail=tail,
        more=_("and %(count)s more"),
    )


def empty_notice(report: RunReport, settings: Settings) -> Notice:
    _ = get_language(settings.issue.language).gettext
    reason = report.nothing_new or _("nothing new this week")
    return Notice(
        "empty",
        report.issue_id,
        _("%(show)s: no issue for %(issue)s")
        % {"show": plain(settings.issue.show_name), "issue": report.issue_id},
        head=[plain(reason)],
    )


def failure_notice(report: RunReport) -> Notice:
    details = [line for line in _failure_details(report) if line]
    fingerprint = hashlib.sha256("\n".join(details).encode("utf-8")).hexdigest()[:12]
    head = [
        f"The papercast run for {report.issue_id} {_verdict(report)} "
        f"(exit code {report.exit_code})."
    ]
    return Notice(
        "failure",
        report.issue_id,
        f"papercast: the run for {report.issue_id} {_verdict(report)}",
        head=[redact(line) for line in head + details[:1]],
        items=[redact(line) for line in details[1:]],
        tail=["Rerun `papercast run` to continue where it stopped."],
        key=f"failure:{fingerprint}",
    )


def _notices(report: RunReport, settings: Settings, db: Database) -> list[Notice]:
    events = set(settings.notify.events)
    notices = []
    if "issue" in events and report.status in ("done", "partial") and report.highlights:
        issue = IssueStore(db).get(report.issue_id)
        if issue is not None:
            notices.append(issue_notice(issue, settings))
    if "empty" in events and report.status == "empty":
        notices.append(empty_notice(report, settings))
    if "failure" in events and report.exit_code != EXIT_OK:
        notices.append(failure_notice(report))
    return notices


def notify_channels(
    report: RunReport, settings: Settings, layout: Layout, *, resend: bool = False
) -> list[ChannelDelivery]:
    """Post the run's notices to ``[notify] urls``; a failed channel makes the exit code 3,
    is named in the report (and run.json) and never stops the other channels."""
    if not settings.notify.urls or report.status in ("dry-run", "waiting-for-picks"):
        return []
    channels = build_channels(settings)
    with Database(layout.db_path) as db:
        results = [
            delivery
            for notice in _notices(report, settings, db)
            for delivery in deliver(notice, channels, settings=settings, db=db, resend=resend)
        ]
    report.channels = results
    for result in results:
        if result.status == "failed":
            report.warnings.append(
                f"{result.channel} did not get the {result.event} notice after "
                f"{result.attempts} attempts: {result.error}"
            )
            if report.exit_code == EXIT_OK:
                report.exit_code = EXIT_PARTIAL
    if results and (layout.issue_dir(report.issue_id) / "run.json").is_file():
        write_run_json(layout, report)
    return results
