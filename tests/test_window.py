from __future__ import annotations

from datetime import date

import pytest

from papercast.errors import InputError
from papercast.window import last_complete_week, parse_week, resolve_window


def test_iso_week() -> None:
    window = parse_week("2024-W41")
    assert (window.since, window.until, window.label) == (
        date(2024, 10, 7),
        date(2024, 10, 13),
        "2024-W41",
    )
    assert parse_week("2020-W53").until == date(2021, 1, 3)


def test_bad_weeks() -> None:
    for text in ("2024-41", "2024-W54", "last week"):
        with pytest.raises(InputError):
            parse_week(text)


def test_last_complete_week_and_ranges() -> None:
    assert last_complete_week(date(2024, 10, 16)).label == "2024-W41"
    assert last_complete_week(date(2024, 10, 14)).label == "2024-W41"
    assert resolve_window(today=date(2024, 10, 16)).label == "2024-W41"
    window = resolve_window(since="2024-10-01", until="2024-10-03")
    assert window.days == 3


def test_until_before_since_is_an_error() -> None:
    with pytest.raises(InputError, match=r"ends .* before it starts"):
        resolve_window(since="2024-10-10", until="2024-10-01")
    with pytest.raises(InputError, match="cannot be combined"):
        resolve_window(week="2024-W41", since="2024-10-01")
    with pytest.raises(InputError, match="not a date"):
        resolve_window(since="10/01/2024")
