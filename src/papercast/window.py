"""Date windows: ISO weeks, the last complete week, explicit --since/--until ranges."""

from __future__ import annotations

import re
from datetime import date, timedelta

from papercast.errors import InputError
from papercast.i18n import N_
from papercast.models import DateWindow

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def parse_week(text: str) -> DateWindow:
    """'2024-W41' -> Monday 2024-10-07 .. Sunday 2024-10-13."""
    match = _WEEK.match(text.strip())
    if not match:
        raise InputError(
            N_("%(week)r is not an ISO week"), N_("write it like 2024-W41"), values={"week": text}
        )
    year, week = int(match.group(1)), int(match.group(2))
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InputError(
            N_("%(week)r is not a week of %(year)s"),
            N_("weeks run from W01 to W52/W53"),
            values={"week": text, "year": year},
        ) from None
    return DateWindow(since=monday, until=monday + timedelta(days=6), label=week_id(monday))


def week_id(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(today: date) -> DateWindow:
    """The Monday..Sunday week before the one containing ``today``."""
    this_monday = today - timedelta(days=today.weekday())
    return parse_week(week_id(this_monday - timedelta(days=7)))


def check_begun(window: DateWindow, today: date) -> None:
    """A window that has not begun has no papers: asking for it is a mistake (2099-W10)."""
    if window.since > today:
        raise InputError(
            f"{window.label} has not begun (it starts on {window.since}; today is {today})",
            "choose a week that is over; without --week, papercast takes the last complete week",
        )


def unfinished(window: DateWindow, today: date) -> bool:
    """Whether the window is still going on: papers for it are still being announced."""
    return window.since <= today <= window.until


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{what} {text!r} is not a date", "use YYYY-MM-DD") from None


def resolve_window(
    *,
    week: str | None = None,
    since: str | None = None,
    until: str | None = None,
    today: date | None = None,
) -> DateWindow:
    """Turn CLI options into a window; the default is the last complete ISO week."""
    today = today or date.today()
    if week and (since or until):
        raise InputError("--week cannot be combined with --since/--until", "use one or the other")
    if week:
        window = parse_week(week)
        check_begun(window, today)
        return window
    if since or until:
        start = parse_date(since, "--since") if since else None
        end = parse_date(until, "--until") if until else today
        if start is None:
            start = end - timedelta(days=6)
        window = DateWindow(since=start, until=end)
        check_begun(window, today)
        return window
    return last_complete_week(today)
