"""Time-range matching, exactly as RFC 4791 §9.9 specifies it.

A :class:`TimeRange` is ``[start, end)`` in UTC; either end may be open
(``None``): RFC 4791 §9.9 lets a client omit one attribute, and macOS sends
start-only ranges. Floating date-times and DATE values are interpreted in a
time zone the caller passes (the query's CALDAV:timezone or the collection's
calendar-timezone, RFC 4791 §7.3), UTC when none is given.

Recurring components match when any instance does (§9.9, "a recurring
component overlaps if any of its instances does"); instances come from
:mod:`oxdav.caldav.instances`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from icalendar import Component

from oxdav.caldav.errors import CalDAVError, FilterError
from oxdav.caldav.instances import Instance, iter_instances, owned_instances, top_level

ONE_DAY = timedelta(days=1)
_UTC_BASIC = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$")

Time = date | datetime


def parse_utc(
    value: str,
    *,
    error: type[CalDAVError] = FilterError,
    precondition: str | None = "valid-filter",
) -> datetime:
    """Parse an iCalendar "date with UTC time" (``20060104T000000Z``, RFC 4791 §9.9).

    Raises:
        CalDAVError: ``error(precondition, …)`` for anything else (local times,
            dates, extended ISO forms).
    """
    match = _UTC_BASIC.match(value.strip())
    if match is None:
        raise error(precondition, f"not a UTC date-time in basic form: {value!r}")
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise error(precondition, f"not a valid date-time: {value!r}") from exc


@dataclass(frozen=True)
class TimeRange:
    """The half-open range ``[start, end)`` of a CALDAV:time-range (§9.9).

    Attributes:
        start: Aware UTC start, ``None`` for "since forever".
        end: Aware UTC end, ``None`` for "for ever after".
    """

    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def from_attributes(
        cls,
        start: str | None,
        end: str | None,
        *,
        error: type[CalDAVError] = FilterError,
        precondition: str | None = "valid-filter",
        require_both: bool = False,
    ) -> TimeRange:
        """Build a range from ``start``/``end`` attribute values.

        Raises:
            CalDAVError: ``error(precondition, …)`` when neither (or, with
                ``require_both``, not both) is present, a value is not UTC basic
                form, or end is not after start.
        """
        if start is None and end is None:
            raise error(precondition, "time-range needs a start or an end")
        if require_both and (start is None or end is None):
            raise error(precondition, "both start and end are required")
        rng = cls(
            None if start is None else parse_utc(start, error=error, precondition=precondition),
            None if end is None else parse_utc(end, error=error, precondition=precondition),
        )
        if rng.start is not None and rng.end is not None and rng.end <= rng.start:
            raise error(precondition, "time-range end must be after its start")
        return rng

    def starts_at_or_before(self, moment: datetime) -> bool:
        """``start <= moment`` (true when open)."""
        return self.start is None or self.start <= moment

    def starts_before(self, moment: datetime) -> bool:
        """``start < moment``."""
        return self.start is None or self.start < moment

    def ends_after(self, moment: datetime) -> bool:
        """``end > moment``."""
        return self.end is None or self.end > moment

    def ends_at_or_after(self, moment: datetime) -> bool:
        """``end >= moment``."""
        return self.end is None or self.end >= moment

    def contains(self, moment: datetime) -> bool:
        """``start <= moment < end``: the §9.9 test for a point in time."""
        return self.starts_at_or_before(moment) and self.ends_after(moment)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """``start < range.end and end > range.start`` for a period of time."""
        return self.starts_before(end) and self.ends_after(start)


def is_floating(value: Time) -> bool:
    """Whether the value's instant depends on the viewer (a DATE or a local time)."""
    return not isinstance(value, datetime) or value.tzinfo is None


def to_utc(value: Time, tz: tzinfo = UTC) -> datetime:
    """The UTC instant of a DATE, floating or zoned date-time (RFC 4791 §7.3).

    DATE values are midnight and floating times are wall time, both in ``tz``.
    """
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def date_value(component: Component, name: str) -> Time | None:
    """The DATE or DATE-TIME value of a single-valued property, else ``None``."""
    prop = component.get(name)
    if prop is None or isinstance(prop, list):
        return None
    value = getattr(prop, "dt", None)
    return value if isinstance(value, date) else None


def event_bounds(instance: Instance, tz: tzinfo = UTC) -> tuple[datetime, datetime] | None:
    """UTC ``(start, end)`` of a VEVENT/AVAILABLE instance; ``end == start`` marks a moment.

    The §9.9 VEVENT table: DTEND or a positive DURATION make a period, a zero
    DURATION or a DATE-TIME DTSTART without end a moment, a DATE DTSTART without
    end the whole day. A DTEND equal to DTSTART is treated as a moment too (the
    literal table would make such an event match no range at all).
    """
    if instance.start is None or instance.end is None:
        return None
    start = to_utc(instance.start, tz)
    end = to_utc(instance.end, tz)
    if not isinstance(instance.start, datetime) and end <= start:
        end = to_utc(instance.start, tz) + ONE_DAY
    return start, max(start, end)


def _event_overlaps(instance: Instance, rng: TimeRange, tz: tzinfo) -> bool:
    bounds = event_bounds(instance, tz)
    if bounds is None:
        return False
    start, end = bounds
    if end == start:
        return rng.contains(start)
    return rng.overlaps(start, end)


def _todo_overlaps(instance: Instance, rng: TimeRange, tz: tzinfo) -> bool:
    """The §9.9 VTODO table, row by row."""
    todo = instance.component
    has_start = "DTSTART" in todo and instance.start is not None
    has_due = "DUE" in todo and instance.end is not None
    has_duration = "DURATION" in todo and has_start and not has_due
    if has_start and has_duration:
        assert instance.start is not None and instance.end is not None
        start, finish = to_utc(instance.start, tz), to_utc(instance.end, tz)
        return rng.starts_at_or_before(finish) and (
            rng.ends_after(start) or rng.ends_at_or_after(finish)
        )
    if has_start and has_due:
        assert instance.start is not None and instance.end is not None
        start, due = to_utc(instance.start, tz), to_utc(instance.end, tz)
        return (rng.starts_before(due) or rng.starts_at_or_before(start)) and (
            rng.ends_after(start) or rng.ends_at_or_after(due)
        )
    if has_start:
        assert instance.start is not None
        return rng.contains(to_utc(instance.start, tz))
    if has_due:
        assert instance.end is not None
        due = to_utc(instance.end, tz)
        return rng.starts_before(due) and rng.ends_at_or_after(due)
    completed, created = date_value(todo, "COMPLETED"), date_value(todo, "CREATED")
    if completed is not None and created is not None:
        done, made = to_utc(completed, tz), to_utc(created, tz)
        return (rng.starts_at_or_before(made) or rng.starts_at_or_before(done)) and (
            rng.ends_at_or_after(made) or rng.ends_at_or_after(done)
        )
    if completed is not None:
        done = to_utc(completed, tz)
        return rng.starts_at_or_before(done) and rng.ends_at_or_after(done)
    if created is not None:
        return rng.ends_after(to_utc(created, tz))
    return True


def _journal_overlaps(instance: Instance, rng: TimeRange, tz: tzinfo) -> bool:
    """The §9.9 VJOURNAL table: a moment, a whole day, or never without DTSTART."""
    if instance.start is None:
        return False
    start = to_utc(instance.start, tz)
    if not isinstance(instance.start, datetime):
        return rng.overlaps(start, start + ONE_DAY)
    return rng.contains(start)


def freebusy_periods(
    component: Component, tz: tzinfo = UTC
) -> list[tuple[datetime, datetime, str]]:
    """The FREEBUSY periods of a VFREEBUSY as UTC ``(start, end, fbtype)``."""
    props = component.get("FREEBUSY", [])
    periods: list[tuple[datetime, datetime, str]] = []
    for prop in props if isinstance(props, list) else [props]:
        fbtype = str(prop.params.get("FBTYPE", "BUSY")).upper()
        for item in getattr(prop, "dts", [prop]):
            value: Any = getattr(item, "dt", None)
            if not isinstance(value, tuple) or len(value) != 2:
                continue
            start = to_utc(value[0], tz)
            end = start + value[1] if isinstance(value[1], timedelta) else to_utc(value[1], tz)
            periods.append((start, end, fbtype))
    return periods


def _freebusy_overlaps(component: Component, rng: TimeRange, tz: tzinfo) -> bool:
    """The §9.9 VFREEBUSY table."""
    start, end = date_value(component, "DTSTART"), date_value(component, "DTEND")
    if start is not None and end is not None:
        return rng.starts_at_or_before(to_utc(end, tz)) and rng.ends_after(to_utc(start, tz))
    return any(rng.overlaps(s, e) for s, e, _ in freebusy_periods(component, tz))


def _availability_overlaps(component: Component, rng: TimeRange, tz: tzinfo) -> bool:
    """RFC 7953 §3.1: a VAVAILABILITY without DTSTART/DTEND is unbounded that way."""
    start, end = date_value(component, "DTSTART"), date_value(component, "DTEND")
    duration = component.get("DURATION")
    if end is None and start is not None and duration is not None:
        return rng.overlaps(to_utc(start, tz), to_utc(start, tz) + duration.dt)
    return (end is None or rng.starts_before(to_utc(end, tz))) and (
        start is None or rng.ends_after(to_utc(start, tz))
    )


def instance_overlaps(instance: Instance, rng: TimeRange, tz: tzinfo = UTC) -> bool:
    """Whether one instance overlaps ``rng`` by the §9.9 table for its component."""
    name = instance.name
    if name in ("VEVENT", "AVAILABLE"):
        return _event_overlaps(instance, rng, tz)
    if name == "VTODO":
        return _todo_overlaps(instance, rng, tz)
    if name == "VJOURNAL":
        return _journal_overlaps(instance, rng, tz)
    raise ValueError(f"{name} has no instances")


def component_overlaps(
    component: Component, rng: TimeRange, tz: tzinfo = UTC, *, series: list[Component] | None = None
) -> bool:
    """Whether ``component`` (any instance of it) overlaps ``rng`` (§9.9).

    Args:
        component: A VEVENT, VTODO, VJOURNAL, VFREEBUSY or VAVAILABILITY.
        rng: The range.
        tz: Zone for floating times and dates.
        series: The components sharing ``component``'s UID (master and
            overrides), so that a master only answers for the instances that
            are not overridden; defaults to ``[component]``.

    Raises:
        FilterError: ``supported-filter`` for a component §9.9 does not cover.
    """
    name = component.name
    if name == "VFREEBUSY":
        return _freebusy_overlaps(component, rng, tz)
    if name == "VAVAILABILITY":
        return _availability_overlaps(component, rng, tz)
    if name not in ("VEVENT", "VTODO", "VJOURNAL", "AVAILABLE"):
        raise FilterError("supported-filter", f"time-range is not defined for {name}")
    return any(
        instance_overlaps(instance, rng, tz)
        for instance in owned_instances(component, series, rng.start, rng.end)
    )


def instances_overlapping(
    calendar: Component,
    start: datetime | None,
    end: datetime | None,
    *,
    component: str = "VEVENT",
    tz: tzinfo = UTC,
) -> Iterator[Instance]:
    """The instances of ``calendar``'s ``component``s that overlap ``[start, end)``.

    EXDATEs, RDATEs (also PERIOD ones), overridden RECURRENCE-ID instances,
    daylight-saving changes, all-day and floating values are handled by the
    expansion library; the overlap test is §9.9's. With ``end=None`` an infinite
    series yields for ever, in start order: consume lazily.
    """
    rng = TimeRange(start, end)
    for instance in iter_instances(top_level(calendar, component), start, end):
        if instance_overlaps(instance, rng, tz):
            yield instance


def property_in_range(value: Any, rng: TimeRange, tz: tzinfo = UTC) -> bool:
    """The §9.9 property test: a DATE-TIME value ``v`` matches if ``start <= v < end``.

    A DATE matches when its day overlaps the range; list values (EXDATE, RDATE)
    when any element does. Other value types never match.
    """
    for item in getattr(value, "dts", [value]):
        moment = getattr(item, "dt", None)
        if isinstance(moment, tuple):
            moment = moment[0]
        if isinstance(moment, datetime):
            if rng.contains(to_utc(moment, tz)):
                return True
        elif isinstance(moment, date):
            day = to_utc(moment, tz)
            if rng.overlaps(day, day + ONE_DAY):
                return True
    return False


def index_may_overlap(first_start: int | None, last_end: int | None, rng: TimeRange) -> bool:
    """The coarse pre-filter on the stored index (a superset of §9.9 matches).

    The store runs the same test in SQL:
    ``(first_start IS NULL OR :end IS NULL OR first_start <= :end) AND
    (last_end IS NULL OR :start IS NULL OR last_end >= :start)``, with ``:start``
    and ``:end`` as UTC epoch seconds. Both comparisons are inclusive on purpose:
    the index is a closed envelope.
    """
    if rng.end is not None and first_start is not None and first_start > rng.end.timestamp():
        return False
    if rng.start is not None and last_end is not None and last_end < rng.start.timestamp():
        return False
    return True
