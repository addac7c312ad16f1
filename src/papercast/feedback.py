"""The reader's thumbs up or down on any paper, in any week or issue.

Feedback is history (``store/feedback.py``): the next ranking learns from it like from picks,
and it wins over a pick or an import of the same paper. Taking it back is one call with None.
"""

from __future__ import annotations

import logging

from papercast.errors import NotFoundError
from papercast.store import Database, PaperStore
from papercast.store.feedback import FeedbackStore

log = logging.getLogger(__name__)

Verdict = bool | None  # True: thumbs up, False: thumbs down, None: no feedback


def parse_verdict(text: str) -> Verdict:
    """'up' / 'down' / 'none' (as the app's forms send them)."""
    verdicts: dict[str, Verdict] = {"up": True, "down": False, "none": None}
    if text not in verdicts:
        from papercast.errors import InputError

        raise InputError(f"unknown feedback {text!r}", "use up, down or none")
    return verdicts[text]


def verdict_name(verdict: Verdict) -> str:
    return "none" if verdict is None else "up" if verdict else "down"


def record_feedback(db: Database, paper_id: str, verdict: Verdict) -> Verdict:
    """Record the reader's verdict on a stored paper; returns the one it replaces (for undo)."""
    canonical = PaperStore(db).resolve(paper_id)
    if canonical is None:
        raise NotFoundError(f"no paper {paper_id} in the store", "search for it first")
    previous = FeedbackStore(db).set(canonical, verdict)
    log.info(
        "feedback on %s: %s (was %s)", canonical, verdict_name(verdict), verdict_name(previous)
    )
    return previous
