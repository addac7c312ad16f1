"""Exports, one way: the weekly run and the ``feed``, ``site``, ``notes`` and ``email`` commands
all go through ``Exporter``, so where each export goes is decided here and nowhere else:

- podcast feed: ``OUT_DIR/feed.xml``, with a copy in the issue's folder (the week just made, or
  the newest one) so an uploaded issue folder carries it; or the command's ``--out``;
- site: ``[publish] site_dir``, else ``OUT_DIR/site`` (the weekly run builds it only when
  ``site_dir`` is set); or ``--out``;
- notes: ``[publish] notes_dir`` (or ``--dir``);
- email: the .eml files in the issue's ``email/`` folder, then one message per recipient of
  ``[email] to`` (or ``--to``).

``Exporter.weekly`` runs the exports ``[publish]`` asks for; one failing never stops the others,
and each failure comes back as one line for the run report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from papercast.config import Settings
from papercast.errors import ConfigError, failure_reason
from papercast.export.email import SendResult, send_issue
from papercast.export.notes import write_notes
from papercast.export.podcast_feed import build_podcast_feed
from papercast.export.site import build_site
from papercast.layout import Layout, atomic_write_text
from papercast.models import Issue
from papercast.store.db import Database

log = logging.getLogger(__name__)


@dataclass
class ExportReport:
    """What the weekly exports wrote, what failed (one line each) and what was left out."""

    written: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Exporter:
    settings: Settings
    layout: Layout
    db: Database

    @property
    def site_dir(self) -> Path:
        return self.settings.publish.site_dir or self.layout.site_dir

    def feed(
        self, issues: list[Issue], *, out: Path | None = None, issue: Issue | None = None
    ) -> list[Path]:
        """The podcast feed of every issue with audio; with no ``out``, also a copy in
        ``issue``'s folder (default: the newest issue's)."""
        root = build_podcast_feed(
            issues,
            settings=self.settings,
            out_path=out or self.layout.podcast_feed_path,
            audio_root=self.layout.out_dir,
        )
        home = issue or max(issues, key=lambda i: (i.date, i.id), default=None)
        if out is not None or home is None:
            return [root]
        copy = self.layout.issue_dir(home.id) / self.layout.podcast_feed_path.name
        atomic_write_text(copy, root.read_text(encoding="utf-8"))
        return [root, copy]

    def site(self, issues: list[Issue], *, out: Path | None = None) -> Path:
        """The archive site of every issue; returns its index page."""
        return build_site(
            issues,
            settings=self.settings,
            site_dir=out or self.site_dir,
            audio_root=self.layout.out_dir,
        )

    def notes(self, issue: Issue, *, folder: Path | None = None) -> list[Path]:
        """One Markdown note per summarized paper of ``issue``."""
        target = folder or self.settings.publish.notes_dir
        if target is None:
            raise ConfigError("no notes folder", "pass --dir or set [publish] notes_dir")
        return write_notes(issue, target.expanduser())

    def email(
        self,
        issue: Issue,
        recipients: list[str] | None = None,
        *,
        resend: bool = False,
        dry_run: bool = False,
    ) -> list[SendResult]:
        """The .eml files, then one message per recipient (default: ``[email] to``)."""
        return send_issue(
            issue,
            list(self.settings.email.to) if recipients is None else recipients,
            settings=self.settings,
            db=self.db,
            layout=self.layout,
            resend=resend,
            dry_run=dry_run,
        )

    def weekly(self, issue: Issue, issues: list[Issue]) -> ExportReport:
        """Feed, notes, site, email — each as ``[publish]`` asks; one failing never stops the
        others."""
        publish = self.settings.publish
        report = ExportReport()
        steps: list[tuple[str, Callable[[], list[Path]]]] = []
        if publish.feed and self.settings.podcast.base_url:
            steps.append(("podcast feed", lambda: self.feed(issues, issue=issue)))
        elif publish.feed:
            report.skipped.append("no podcast feed: set [podcast] base_url to publish one")
        if publish.notes_dir is not None:
            steps.append(("notes", lambda: self.notes(issue)))
        if publish.site_dir is not None:
            steps.append(("site", lambda: [self.site(issues)]))
        if publish.email and self.settings.email.to:
            steps.append(("email", lambda: self._weekly_email(issue, report)))
        for name, step in steps:
            try:
                report.written += step()
            except Exception as exc:  # a failed export is that export's failure, not the run's
                report.failures.append(f"{name} failed: {failure_reason(exc, log)}")
        return report

    def _weekly_email(self, issue: Issue, report: ExportReport) -> list[Path]:
        failed = [r for r in self.email(issue) if r.status == "failed"]
        if failed:
            report.failures.append(
                "email not delivered to " + ", ".join(f"{r.address} ({r.error})" for r in failed)
            )
        return [self.layout.issue_email_dir(issue.id) / "issue.eml"]
