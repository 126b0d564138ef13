"""The OX sync window (DESIGN.md §4): which part of a calendar clients see.

``com.openexchange.caldav.interval.start``: ``one_month`` = the 1st of the previous
month, ``six_months`` = the 1st of the month six months back, ``one_year`` = January 1
of the previous year, an integer N = N days back (midnight UTC), 0 = no lower bound.
``com.openexchange.caldav.interval.end``: ``one_year`` = January 1 of the current
year + 2, ``two_years`` = + 3. Both are published as CALDAV:min-date-time and
max-date-time (RFC 4791 §5.2.6, §5.2.7) and, with ``interval.strict``, enforced on PUT.

The window bounds what clients list in bulk: Depth 1, sync-collection and
calendar-queries without a time-range. A calendar-query with a time-range, a
free-busy-query and a multiget answer for the range and the hrefs asked, also
outside it (an iOS user scrolling back a year, a search for last year's meeting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from oxdav.caldav.timerange import TimeRange

START = "com.openexchange.caldav.interval.start"
END = "com.openexchange.caldav.interval.end"
STRICT = "com.openexchange.caldav.interval.strict"


def _months_back(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def window_start(setting: str | int, now: datetime) -> datetime | None:
    """The window's first instant for an ``interval.start`` value (``None``: unbounded)."""
    if setting == "one_month":
        return _months_back(now, 1)
    if setting == "six_months":
        return _months_back(now, 6)
    if setting == "one_year":
        return datetime(now.year - 1, 1, 1, tzinfo=UTC)
    days = int(setting)
    if days <= 0:
        return None
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC)
    return midnight - timedelta(days=days)


def window_end(setting: str, now: datetime) -> datetime:
    """The window's end for an ``interval.end`` value."""
    return datetime(now.year + (3 if setting == "two_years" else 2), 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SyncWindow:
    """The resolved window of one user.

    Attributes:
        start: first instant shown (``None``: unbounded).
        end: end of the window (exclusive).
        strict: PUTs entirely outside are refused.
    """

    start: datetime | None
    end: datetime
    strict: bool = False

    @classmethod
    def from_settings(cls, settings: Any, now: datetime | None = None) -> SyncWindow:
        """Resolve the window from the user's configuration view (``get(name)``)."""
        moment = now or datetime.now(UTC)
        return cls(window_start(settings.get(START), moment),
                   window_end(settings.get(END), moment), bool(settings.get(STRICT)))

    @property
    def time_range(self) -> TimeRange:
        """The window as a CalDAV time range."""
        return TimeRange(self.start, self.end)

    def store_range(self) -> tuple[int | None, int | None]:
        """The window as the store's closed epoch-seconds range."""
        return (None if self.start is None else int(self.start.timestamp()),
                int(self.end.timestamp()))

    def query_range(self, start: int | None, end: int | None) -> tuple[int | None, int | None]:
        """The epoch-seconds range a calendar-query reads, given the bounds of its
        time-range (DESIGN.md §4): a query naming a time is answered for that time,
        inside the window or not (an open side stays open); one naming none lists in
        bulk, like Depth 1 and sync-collection, and stays inside the window."""
        if start is None and end is None:
            return self.store_range()
        return start, end

    def violation(self, first_start: int | None, last_end: int | None) -> str | None:
        """The precondition an object with this index breaks, if it lies wholly outside
        (RFC 4791 §5.3.2.1 ``min-date-time`` / ``max-date-time``), else ``None``."""
        low, high = self.store_range()
        if low is not None and last_end is not None and last_end < low:
            return "min-date-time"
        if high is not None and first_start is not None and first_start > high:
            return "max-date-time"
        return None


def utc_basic(moment: datetime) -> str:
    """``20260101T000000Z`` (RFC 5545 §3.3.5 UTC form, used by min/max-date-time)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
