"""The free-busy-query report's answer (RFC 4791 §7.10; RFC 5545 §3.6.4; RFC 7953).

Busy time comes from:

* VEVENT instances that are opaque (TRANSP absent or OPAQUE) and not
  CANCELLED: BUSY, or BUSY-TENTATIVE when STATUS is TENTATIVE;
* FREEBUSY periods of stored VFREEBUSY components, with their FBTYPE
  (FREE periods are not busy);
* VAVAILABILITY (simple form): its period, less its AVAILABLE instances, is
  busy with its BUSYTYPE (default BUSY-UNAVAILABLE). PRIORITY between
  overlapping availabilities is not applied.

Periods are clipped to the range, merged per type and given in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import Any

from icalendar import Calendar, Component, FreeBusy
from icalendar.prop import vPeriod

from oxdav.caldav.errors import CalDAVError
from oxdav.caldav.instances import iter_instances, top_level
from oxdav.caldav.timerange import (
    TimeRange,
    date_value,
    event_bounds,
    freebusy_periods,
    instances_overlapping,
    to_utc,
)

#: The object types that can make time busy (§7.10): never a VTODO or VJOURNAL.
BUSY_COMPONENTS = frozenset({"VEVENT", "VFREEBUSY", "VAVAILABILITY"})

#: The PRODID of calendars the server makes up.
PRODID = "-//oxdav//oxdav//EN"

#: Free-busy types in the order they are written.
FBTYPES = ("BUSY-UNAVAILABLE", "BUSY", "BUSY-TENTATIVE")

Period = tuple[datetime, datetime]


def parse_free_busy_query(element: Any) -> TimeRange:
    """The time range of a CALDAV:free-busy-query element (§7.10): start and end, UTC.

    Raises:
        CalDAVError: a plain 400 (precondition ``None``) when it is missing or
            not in UTC basic form.
    """
    for child in element:
        if isinstance(child.tag, str) and child.tag.endswith("}time-range"):
            return TimeRange.from_attributes(
                child.get("start"), child.get("end"), error=CalDAVError, precondition=None,
                require_both=True,
            )  # fmt: skip
    raise CalDAVError(None, "free-busy-query needs a time-range")


def _clip(start: datetime, end: datetime, rng: TimeRange) -> Period | None:
    if rng.start is not None:
        start = max(start, rng.start)
    if rng.end is not None:
        end = min(end, rng.end)
    return (start, end) if start < end else None


def busy_type(event: Component) -> str | None:
    """The FBTYPE an instance of ``event`` makes busy, ``None`` when it makes none."""
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None
    status = str(event.get("STATUS", "CONFIRMED")).upper()
    if status == "CANCELLED":
        return None
    return "BUSY-TENTATIVE" if status == "TENTATIVE" else "BUSY"


def clip(start: datetime, end: datetime, rng: TimeRange) -> Period | None:
    """The part of ``[start, end)`` inside ``rng``, if any."""
    return _clip(start, end, rng)


def _event_periods(calendar: Component, rng: TimeRange, tz: tzinfo) -> list[tuple[str, Period]]:
    found = []
    for instance in instances_overlapping(calendar, rng.start, rng.end, component="VEVENT", tz=tz):
        event = instance.component
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        status = str(event.get("STATUS", "CONFIRMED")).upper()
        if status == "CANCELLED":
            continue
        bounds = event_bounds(instance, tz)
        clipped = bounds and _clip(bounds[0], bounds[1], rng)
        if clipped:
            found.append(("BUSY-TENTATIVE" if status == "TENTATIVE" else "BUSY", clipped))
    return found


def _stored_periods(component: Component, rng: TimeRange, tz: tzinfo) -> list[tuple[str, Period]]:
    found = []
    for start, end, fbtype in freebusy_periods(component, tz):
        clipped = _clip(start, end, rng)
        if clipped and fbtype != "FREE":
            found.append((fbtype if fbtype in FBTYPES else "BUSY", clipped))
    return found


def _subtract(period: Period, holes: list[Period]) -> list[Period]:
    pieces = [period]
    for hole_start, hole_end in sorted(holes):
        rest = []
        for start, end in pieces:
            if hole_end <= start or hole_start >= end:
                rest.append((start, end))
                continue
            if start < hole_start:
                rest.append((start, hole_start))
            if hole_end < end:
                rest.append((hole_end, end))
        pieces = rest
    return pieces


def _availability_periods(
    availability: Component, rng: TimeRange, tz: tzinfo
) -> list[tuple[str, Period]]:
    start, end = date_value(availability, "DTSTART"), date_value(availability, "DTEND")
    low = to_utc(start, tz) if start is not None else rng.start
    high = to_utc(end, tz) if end is not None else rng.end
    if low is None or high is None:
        return []
    window = _clip(low, high, rng)
    if window is None:
        return []
    holes = []
    for instance in iter_instances(top_level(availability, "AVAILABLE"), window[0], window[1]):
        bounds = event_bounds(instance, tz)
        if bounds is not None and bounds[1] > bounds[0]:
            holes.append(bounds)
    busytype = str(availability.get("BUSYTYPE", "BUSY-UNAVAILABLE")).upper()
    busytype = busytype if busytype in FBTYPES else "BUSY-UNAVAILABLE"
    return [(busytype, piece) for piece in _subtract(window, holes)]


def _merge(periods: list[Period]) -> list[Period]:
    merged: list[Period] = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def busy_periods(
    calendars: Iterable[Component], rng: TimeRange, tz: tzinfo = UTC,
    known: Iterable[tuple[str, Period]] = (),
) -> dict[str, list[Period]]:
    """Busy time of ``calendars`` in ``rng``, per FBTYPE, clipped and merged, in UTC.

    Args:
        calendars: VCALENDARs (one per calendar object resource).
        rng: The query range.
        tz: Zone for floating times and all-day events.
        known: Busy periods found without parsing (the instance index), clipped.
    """
    found: list[tuple[str, Period]] = list(known)
    for calendar in calendars:
        found.extend(_event_periods(calendar, rng, tz))
        for component in top_level(calendar, "VFREEBUSY"):
            found.extend(_stored_periods(component, rng, tz))
        for component in top_level(calendar, "VAVAILABILITY"):
            found.extend(_availability_periods(component, rng, tz))
    return {
        fbtype: merged
        for fbtype in FBTYPES
        if (merged := _merge([period for kind, period in found if kind == fbtype]))
    }


def free_busy_calendar(
    calendars: Iterable[Component],
    rng: TimeRange,
    *,
    tz: tzinfo = UTC,
    now: datetime | None = None,
    known: Iterable[tuple[str, Period]] = (),
) -> Calendar:
    """The VCALENDAR with one VFREEBUSY answering a free-busy-query (§7.10).

    Args:
        calendars: The VCALENDARs of the collection's calendar object resources.
        rng: The query range (both ends needed: they become DTSTART/DTEND).
        tz: Zone for floating times and all-day events.
        now: DTSTAMP; defaults to the current time.
    """
    if rng.start is None or rng.end is None:
        raise ValueError("a free-busy range needs a start and an end")
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    freebusy = FreeBusy()
    freebusy.add("DTSTAMP", (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0))
    freebusy.add("DTSTART", rng.start)
    freebusy.add("DTEND", rng.end)
    periods = busy_periods(calendars, rng, tz, known)
    for fbtype in FBTYPES:
        for start, end in periods.get(fbtype, []):
            value = vPeriod((start, end))
            value.params.pop("VALUE", None)  # PERIOD is FREEBUSY's default type
            if fbtype != "BUSY":
                value.params["FBTYPE"] = fbtype
            freebusy.add("FREEBUSY", value)
    calendar.add_component(freebusy)
    return calendar


def render_free_busy(
    calendars: Iterable[Component],
    rng: TimeRange,
    *,
    tz: tzinfo = UTC,
    now: datetime | None = None,
    known: Iterable[tuple[str, Period]] = (),
) -> bytes:
    """:func:`free_busy_calendar` serialised as text/calendar bytes."""
    data: bytes = free_busy_calendar(calendars, rng, tz=tz, now=now, known=known).to_ical()
    return data
