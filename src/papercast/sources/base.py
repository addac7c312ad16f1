"""The Source protocol, what a source reports about its fetch, and the limits every record
must keep. The registry of sources by name is ``papercast.sources.registry``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from papercast.models import DateWindow, Paper


@dataclass
class SourceResult:
    """What a source says about its own fetch, beside the papers it yields."""

    name: str
    requests: int = 0
    total_reported: int | None = None  # what the API said it had, when it says
    out_of_window: int = 0  # records dated outside the window that the source dropped itself
    empty_reason: str | None = None
    notes: list[str] = field(default_factory=list)


class Source(Protocol):
    """A place papers come from. ``fetch`` pages, retries and stays polite by itself.

    Papers dated outside the window (plus ``lookback_days`` before it) are dropped by the fetch
    stage whatever the server sends, and counted.
    """

    name: str
    lookback_days: int  # how far before the window this source's papers may be dated

    def fetch(self, window: DateWindow, result: SourceResult) -> Iterator[Paper]:
        """Yield the window's papers; fill ``result`` (requests, why empty)."""
        ...

    def close(self) -> None: ...


# No real paper comes near these (arXiv caps abstracts at 1,920 characters; the longest
# author lists are ~5,000 names): a record beyond them is a broken or hostile server's.
MAX_TITLE_CHARS = 2_000
MAX_ABSTRACT_CHARS = 100_000
MAX_AUTHORS = 20_000
MAX_AUTHOR_CHARS = 1_000


def oversized(paper: Paper) -> str | None:
    """Why ``paper`` is too large to be a real record (a rule name for the report), if it is."""
    if len(paper.title) > MAX_TITLE_CHARS:
        return f"malformed: title over {MAX_TITLE_CHARS:,} characters"
    if len(paper.abstract) > MAX_ABSTRACT_CHARS:
        return f"malformed: abstract over {MAX_ABSTRACT_CHARS:,} characters"
    if len(paper.authors) > MAX_AUTHORS:
        return f"malformed: over {MAX_AUTHORS:,} authors"
    if any(len(a.name) > MAX_AUTHOR_CHARS for a in paper.authors):
        return f"malformed: an author name over {MAX_AUTHOR_CHARS:,} characters"
    return None


def accepted_window(window: DateWindow, lookback_days: int = 0) -> DateWindow:
    """The dates a source's papers may carry for ``window``."""
    return DateWindow(
        since=window.since - timedelta(days=lookback_days), until=window.until, label=window.label
    )


def explain_empty_window(window: DateWindow, today: date | None = None) -> str | None:
    """A reason an empty result is expected for this window, if there is an obvious one."""
    today = today or date.today()
    if window.since > today:
        return f"the window starts in the future ({window.since}); nothing is published yet"
    return None
