"""Alarm trigger times and the VALARM time-range test (RFC 4791 §9.9, RFC 5545 §3.6.6).

An alarm overlaps a range when any of its trigger times ``t`` (the first and
each REPEAT, DURATION apart) satisfies ``start <= t < end``. A relative trigger
counts from the start (RELATED=START, the default) or the end (RELATED=END) of
each instance of its parent; alarms are evaluated per instance of a recurring
parent, as §9.9 requires.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from icalendar import Component

from oxdav.caldav.instances import Instance, owned_instances
from oxdav.caldav.timerange import TimeRange, to_utc

#: Most repetitions of one alarm that are considered.
MAX_REPEAT = 1000


def _offsets(alarm: Component) -> tuple[timedelta | datetime, list[timedelta]] | None:
    """The first trigger (an offset or an absolute time) and the repeat offsets."""
    trigger = alarm.get("TRIGGER")
    value = getattr(trigger, "dt", None)
    if not isinstance(value, timedelta | datetime):
        return None
    repeats = [timedelta(0)]
    duration = getattr(alarm.get("DURATION"), "dt", None)
    try:
        repeat = min(int(alarm.get("REPEAT", 0)), MAX_REPEAT)
    except (TypeError, ValueError):
        repeat = 0
    if isinstance(duration, timedelta) and repeat > 0:
        repeats.extend(duration * n for n in range(1, repeat + 1))
    return value, repeats


def _related_to_end(alarm: Component) -> bool:
    trigger = alarm.get("TRIGGER")
    return str(trigger.params.get("RELATED", "START")).upper() == "END"


def alarm_triggers(alarm: Component, instance: Instance, tz: tzinfo = UTC) -> list[datetime]:
    """The UTC trigger times of ``alarm`` for one instance of its parent.

    A VTODO without DTSTART counts RELATED=START triggers from its DUE (as the
    RFC 4791 Appendix B example abcd5.ics needs); a relative trigger on a parent
    without dates has no time.
    """
    parsed = _offsets(alarm)
    if parsed is None:
        return []
    trigger, repeats = parsed
    if isinstance(trigger, datetime):
        first = to_utc(trigger, tz)
    else:
        anchor = instance.end if _related_to_end(alarm) else instance.start
        if anchor is None:
            return []
        first = to_utc(anchor, tz) + trigger
    return [first + offset for offset in repeats]


def alarm_overlaps(
    alarm: Component,
    parent: Component,
    rng: TimeRange,
    tz: tzinfo = UTC,
    *,
    series: list[Component] | None = None,
) -> bool:
    """Whether any trigger of ``alarm`` (in ``parent``) falls in ``rng`` (§9.9).

    Args:
        alarm: The VALARM.
        parent: The VEVENT or VTODO holding it.
        rng: The range.
        tz: Zone for floating times and dates.
        series: Master and overrides sharing ``parent``'s UID; only the
            instances ``parent`` owns count. Defaults to ``[parent]``.
    """
    parsed = _offsets(alarm)
    if parsed is None:
        return False
    trigger, repeats = parsed
    if isinstance(trigger, datetime):
        first = to_utc(trigger, tz)
        return any(rng.contains(first + offset) for offset in repeats)
    # anchor + offset in [start, end)  <=>  anchor in [start - offset, end - offset)
    low = None if rng.start is None else rng.start - trigger - max(repeats)
    high = None if rng.end is None else rng.end - trigger - min(repeats)
    return any(
        rng.contains(moment)
        for instance in owned_instances(parent, series, low, high)
        for moment in alarm_triggers(alarm, instance, tz)
    )
