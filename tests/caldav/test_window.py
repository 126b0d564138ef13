"""The OX sync window (DESIGN.md §4): resolution, clamping, strict checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oxdav.caldav.window import SyncWindow, utc_basic, window_end, window_start

NOW = datetime(2026, 1, 15, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize(("setting", "expected"), [
    ("one_month", datetime(2025, 12, 1, tzinfo=UTC)),
    ("six_months", datetime(2025, 7, 1, tzinfo=UTC)),
    ("one_year", datetime(2025, 1, 1, tzinfo=UTC)),
    (10, datetime(2026, 1, 5, tzinfo=UTC)),
    (0, None),
])
def test_window_start(setting: str | int, expected: datetime | None) -> None:
    assert window_start(setting, NOW) == expected


def test_one_month_in_january_reaches_into_the_previous_year() -> None:
    assert window_start("one_month", datetime(2026, 1, 1, tzinfo=UTC)) == \
        datetime(2025, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(("setting", "year"), [("one_year", 2028), ("two_years", 2029)])
def test_window_end(setting: str, year: int) -> None:
    assert window_end(setting, NOW) == datetime(year, 1, 1, tzinfo=UTC)


class Settings(dict):
    """A settings view: ``get(name)``."""


def test_window_from_settings() -> None:
    settings = Settings({"com.openexchange.caldav.interval.start": "one_year",
                         "com.openexchange.caldav.interval.end": "two_years",
                         "com.openexchange.caldav.interval.strict": True})
    window = SyncWindow.from_settings(settings, NOW)
    assert window == SyncWindow(datetime(2025, 1, 1, tzinfo=UTC),
                                datetime(2029, 1, 1, tzinfo=UTC), True)


def test_a_query_without_a_time_range_reads_the_window() -> None:
    window = SyncWindow(datetime(2025, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))
    assert window.query_range(None, None) == window.store_range()
    unbounded = SyncWindow(None, datetime(2029, 1, 1, tzinfo=UTC))
    assert unbounded.query_range(None, None) == (None, unbounded.store_range()[1])


def test_a_query_with_a_time_range_reads_that_range_outside_the_window() -> None:
    """DESIGN.md §4: the window limits bulk listing, not a question about a time."""
    window = SyncWindow(datetime(2025, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))
    low, high = window.store_range()
    year_before = low - 365 * 86_400
    assert window.query_range(year_before, year_before + 30 * 86_400) == \
        (year_before, year_before + 30 * 86_400)
    assert window.query_range(low - 5, None) == (low - 5, None)  # an open side stays open
    assert window.query_range(None, high + 5) == (None, high + 5)


def test_violation_names_the_broken_bound() -> None:
    window = SyncWindow(datetime(2025, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))
    low, high = window.store_range()
    assert window.violation(low - 100, low - 10) == "min-date-time"
    assert window.violation(high + 10, high + 100) == "max-date-time"
    assert window.violation(low - 100, low + 10) is None
    assert window.violation(None, None) is None


def test_utc_basic_format() -> None:
    assert utc_basic(datetime(2026, 3, 1, tzinfo=UTC)) == "20260301T000000Z"
