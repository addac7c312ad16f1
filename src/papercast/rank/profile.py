"""Building the reader's profile: past picks, imported history and stated interests."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from papercast.config import Settings
from papercast.models import HistoryRecord
from papercast.rank.models import Profile, ProfileItem
from papercast.store.db import Database
from papercast.store.feedback import ORIGIN as FEEDBACK
from papercast.store.history import HistoryRow, HistoryStore
from papercast.store.picks import PickStore

log = logging.getLogger(__name__)


def screening(
    paper_date: datetime | None, screened_on: datetime | None, shown_on: datetime | None
) -> dict[str, Any]:
    """The batch fields of a history entry: its screening day is its batch."""
    day = screened_on.date() if screened_on else None
    return {
        "paper_date": paper_date,
        "batch": f"screened:{day.isoformat()}" if day else None,
        "shown_before": bool(day and shown_on and shown_on.date() < day),
    }


def _history_item(row: HistoryRow) -> ProfileItem:
    return ProfileItem(
        title=row.title,
        abstract=row.abstract,
        paper_id=row.paper_id,
        picked=row.picked,
        when=row.added_at or row.imported_at,
        origin=f"history:{row.origin}",
        **screening(row.paper_date, row.screened_on, row.shown_on),
    )


def load_profile(db: Database, settings: Settings, *, exclude_issue: str | None = None) -> Profile:
    """Picks from past issues, then imported history, then [rank] interests and boosts.

    The reader's thumbs up/down (history with origin ``feedback``) come first and win over a
    pick or an import of the same paper; a paper labelled in both picks and history keeps its
    most recent pick. Entries whose text papercast does
    not know yet (an imported arXiv id never fetched) are left out, and counted in the log.
    ``exclude_issue`` leaves out the picks of one issue (to re-rank that issue's own
    candidates without training on their labels).
    """
    items: list[ProfileItem] = []
    seen: set[str] = set()
    missing = 0
    history = HistoryStore(db).rows()
    for row in (r for r in history if r.origin == FEEDBACK):  # newest first: latest word wins
        if not row.paper_id or row.paper_id in seen:
            continue
        seen.add(row.paper_id)
        if not row.title:
            missing += 1
            continue
        items.append(_history_item(row))
    picks = [p for p in PickStore(db).rows() if p.issue_id != exclude_issue]
    first_issue: dict[str, str] = {}
    for pick in picks:  # oldest first
        first_issue.setdefault(pick.paper_id, pick.issue_id)
    for pick in reversed(picks):  # newest first, so the latest label wins
        if pick.paper_id in seen:
            continue
        seen.add(pick.paper_id)
        if not pick.title:
            missing += 1
            continue
        items.append(
            ProfileItem(
                title=pick.title,
                abstract=pick.abstract,
                paper_id=pick.paper_id,
                picked=pick.picked,
                when=pick.created_at,
                origin=f"pick:{pick.issue_id}",
                paper_date=pick.published,
                batch=f"issue:{pick.issue_id}",
                shown_before=first_issue[pick.paper_id] != pick.issue_id,
            )
        )
    for row in history:
        if row.origin == FEEDBACK or (row.paper_id and row.paper_id in seen):
            continue
        if not row.title:
            missing += 1
            continue
        items.append(_history_item(row))
    if missing:
        log.info("%d picked or imported papers have no title or abstract yet; skipped", missing)
    return Profile(items=items, interests=settings.rank.interests, boosts=settings.rank.boosts)


def profile_from_records(records: Sequence[HistoryRecord], settings: Settings) -> Profile:
    """A profile straight from a history file (``papercast rank --history``), no database."""
    items = [
        ProfileItem(
            title=r.title,
            abstract=r.abstract,
            paper_id=r.paper_id,
            picked=r.picked,
            when=r.added,
            origin="history",
            **screening(r.paper_date, r.screened_on, r.shown_on),
        )
        for r in records
        if r.title
    ]
    return Profile(items=items, interests=settings.rank.interests, boosts=settings.rank.boosts)


def record_picks(
    db: Database,
    issue_id: str,
    picked: Iterable[str],
    shown: Iterable[str],
    origin: str = "pick",
) -> tuple[int, int]:
    """Remember an issue's picks (positives) and shown-but-not-picked papers (negatives)."""
    positives, negatives = PickStore(db).record(issue_id, picked, shown, origin)
    log.info("issue %s: %d picked, %d passed over", issue_id, positives, negatives)
    return positives, negatives
