"""Building the reader's profile: past picks, imported history and stated interests."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from papercast.config import Settings
from papercast.models import HistoryRecord
from papercast.rank.models import Profile, ProfileItem
from papercast.store.db import Database
from papercast.store.feedback import ORIGIN as FEEDBACK
from papercast.store.history import HistoryRow, HistoryStore
from papercast.store.picks import PickRow, PickStore

log = logging.getLogger(__name__)


def _item(row: PickRow | HistoryRow, when: datetime | None, origin: str) -> ProfileItem:
    return ProfileItem(
        title=row.title,
        abstract=row.abstract,
        paper_id=row.paper_id,
        picked=row.picked,
        when=when,
        origin=origin,
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
    feedback = [row for row in history if row.origin == FEEDBACK]
    for row in feedback:  # newest first: the reader's latest word on a paper
        if not row.paper_id or row.paper_id in seen:
            continue
        seen.add(row.paper_id)
        if not row.title:
            missing += 1
            continue
        items.append(_item(row, row.added_at or row.imported_at, f"history:{FEEDBACK}"))
    for pick in reversed(PickStore(db).rows()):  # newest first, so the latest label wins
        if pick.paper_id in seen or pick.issue_id == exclude_issue:
            continue
        seen.add(pick.paper_id)
        if not pick.title:
            missing += 1
            continue
        items.append(_item(pick, pick.created_at, f"pick:{pick.issue_id}"))
    for row in history:
        if row.origin == FEEDBACK or (row.paper_id and row.paper_id in seen):
            continue
        if not row.title:
            missing += 1
            continue
        items.append(_item(row, row.added_at or row.imported_at, f"history:{row.origin}"))
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
