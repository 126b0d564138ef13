"""Parse-once validation of calendar object resources (RFC 4791 §4.1, §5.3.2.1).

:func:`parse_calendar_object` runs once per PUT/COPY/MOVE: it checks the media
type, size, iCalendar syntax and the calendar object resource rules, resolves
every TZID, and computes the time-range index the store keeps. Read paths never
call it; they hand stored bytes back unchanged, or use :func:`load_calendar` on
the few candidates a query has to inspect.

Tolerant where real clients are sloppy (missing PRODID or VERSION, a broken
DTSTAMP or X- property, DTEND equal to DTSTART), strict where data would be lost or
misread (unknown TZIDs, broken dates or rules, an end before the start, truncated or
absurdly nested bodies).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Component
from icalendar.parser import Contentlines
from icalendar.timezone import tzp
from twisted.logger import Logger

from oxdav.caldav.budget import estimated_instances, recurrence_dates
from oxdav.caldav.errors import CalendarDataError
from oxdav.caldav.index import DEFAULT_MAX_INSTANCES, compute_index
from oxdav.caldav.instances import defines_recurrence, owned_instances
from oxdav.caldav.timerange import date_value, is_floating, to_utc
from oxdav.dav.xmlchars import non_xml_character

log = Logger()

#: Properties whose loss or misreading would change what an object means or
#: when it happens; a parse error in one of them rejects the object.
ESSENTIAL_PROPERTIES = frozenset(
    {
        "UID", "DTSTART", "DTEND", "DUE", "DURATION", "RRULE", "RDATE", "EXDATE",
        "RECURRENCE-ID", "COMPLETED", "CREATED", "TRIGGER", "REPEAT", "FREEBUSY",
        "STATUS", "TRANSP", "SEQUENCE", "TZOFFSETFROM", "TZOFFSETTO", "TZID",
    }
)  # fmt: skip

#: Recurrence frequencies that are only accepted for small, bounded series.
_DENSE_FREQUENCIES = frozenset({"SECONDLY", "MINUTELY"})

#: Deepest component nesting accepted, VCALENDAR counted: RFC 5545 and its extensions
#: go no deeper than four (VCALENDAR, VEVENT, PARTICIPANT, VLOCATION; RFC 9073), and
#: the parser and every later walk of the object recurse once per level.
MAX_COMPONENT_DEPTH = 8

#: The property that ends each component type, and the RFC 5545 rule for it.
_ENDS = {"VEVENT": ("DTEND", "§3.8.2.2"), "VTODO": ("DUE", "§3.8.2.3")}


@dataclass(frozen=True, eq=False)
class ParsedCalendarObject:
    """A validated calendar object resource and its index.

    Attributes:
        uid: The UID shared by all its components.
        component_type: ``VEVENT``, ``VTODO``… (the one type besides VTIMEZONE).
        calendar: The parsed VCALENDAR.
        data: The request body, to be stored unchanged.
        first_start: Index: UTC epoch seconds, ``None`` = unbounded (see
            :mod:`oxdav.caldav.index`).
        last_end: Index: UTC epoch seconds, ``None`` = unbounded (e.g. an
            infinite RRULE).
        recurring: Index: the object defines a recurrence set or overrides.
        exact_spans: Index: the exact §9.9 spans of its instances, if known
            (:func:`oxdav.caldav.index.exact_event_spans`).
        all_day_spans: Index: ``exact_spans`` are all-day instances.
    """

    uid: str
    component_type: str
    calendar: Calendar
    data: bytes
    first_start: int | None
    last_end: int | None
    recurring: bool
    exact_spans: tuple[tuple[int, int], ...] | None = None
    all_day_spans: bool = False


def check_content_type(content_type: str | None) -> None:
    """Accept ``text/calendar`` with charset UTF-8 or none (RFC 4791 §5.3.2.1).

    An absent Content-Type is taken as text/calendar.

    Raises:
        CalendarDataError: ``supported-calendar-data`` otherwise.
    """
    if content_type is None:
        return
    header = Message()
    header["Content-Type"] = content_type
    media_type = header.get_content_type()
    charset = header.get_content_charset()
    if media_type != "text/calendar":
        raise CalendarDataError(
            "supported-calendar-data", f"media type {media_type} is not text/calendar"
        )
    if charset not in (None, "utf-8"):
        raise CalendarDataError("supported-calendar-data", f"charset {charset} is not UTF-8")


def _invalid(message: str) -> CalendarDataError:
    return CalendarDataError("valid-calendar-data", message)


def _not_an_object(message: str) -> CalendarDataError:
    return CalendarDataError("valid-calendar-object-resource", message)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _invalid(f"not UTF-8 at byte {exc.start}") from exc


def _check_characters(text: str) -> None:
    """Refuse characters XML cannot carry: they could never be served in a REPORT.

    RFC 5545 §3.1 allows no control characters but HTAB in values (§3.3.11 TEXT).
    """
    where = non_xml_character(text)
    if where is not None:
        raise _invalid(f"character {where} is not allowed in iCalendar (RFC 5545 §3.1)")


def _check_nesting(text: str) -> None:
    """Reject truncated or crossed BEGIN/END pairs, which the parser would forgive."""
    stack: list[str] = []
    closed = 0
    try:
        for line in Contentlines.from_ical(text):  # type: ignore[no-untyped-call]
            head = line[:6].upper()
            if not (head.startswith("BEGIN:") or head.startswith("END:")):
                continue
            name, _, value = line.parts()
            value = value.upper()
            if name.upper() == "BEGIN":
                if not stack and closed:
                    raise _invalid("more than one VCALENDAR")
                stack.append(value)
                if len(stack) > MAX_COMPONENT_DEPTH:
                    raise _invalid(f"components nested deeper than {MAX_COMPONENT_DEPTH}")
            elif not stack or stack.pop() != value:
                raise _invalid(f"END:{value} does not close the open component")
            elif not stack:
                closed += 1
    except ValueError as exc:
        raise _invalid(f"not iCalendar: {exc}") from exc
    if stack:
        raise _invalid(f"BEGIN:{stack[-1]} is never ended (truncated data?)")
    if not closed:
        raise _invalid("no VCALENDAR")


def _parse(text: str) -> Calendar:
    try:
        parsed = Calendar.from_ical(text, multiple=True)
    except ValueError as exc:
        raise _invalid(f"not iCalendar: {exc}") from exc
    if len(parsed) != 1 or parsed[0].name != "VCALENDAR":
        raise _invalid("the body must be exactly one VCALENDAR")
    calendar: Calendar = parsed[0]
    version = calendar.get("VERSION")
    if version is not None and str(version).strip() != "2.0":
        raise _invalid(f"iCalendar version {version} is not supported, only 2.0")
    for component in calendar.walk():
        for prop, message in component.errors:
            if prop is None or prop.upper() in ESSENTIAL_PROPERTIES:
                where = f"{component.name} {prop}" if prop else str(component.name)
                raise _invalid(f"{where}: {message}")
    bind_own_timezones(calendar)
    return calendar


def _rebind(value: Any, zones: dict[str, tzinfo]) -> None:
    """Give a parsed DATE-TIME (or PERIOD) the zone of its own calendar's VTIMEZONE."""
    for item in getattr(value, "dts", [value]):
        zone = zones.get(str(getattr(item, "params", {}).get("TZID", "")))
        moment = getattr(item, "dt", None)
        if zone is None or moment is None:
            continue
        if isinstance(moment, tuple):
            item.dt = tuple(
                m.replace(tzinfo=zone) if isinstance(m, datetime) else m for m in moment
            )
        elif isinstance(moment, datetime):
            item.dt = moment.replace(tzinfo=zone)


def bind_own_timezones(calendar: Calendar) -> None:
    """Read custom TZIDs with the VTIMEZONE of this very calendar.

    icalendar caches the first VTIMEZONE it meets for a TZID the tz database
    does not know, process-wide, and reads every later calendar's times in that
    TZID with it: one user's "Custom/Zone" would define another's. Names the tz
    database knows keep its (real) rules whatever VTIMEZONE came along.
    """
    zones: dict[str, tzinfo] = {}
    for timezone in calendar.timezones:
        tzid = str(timezone.get("TZID", ""))
        if tzid and not isinstance(tzp.timezone(tzid), ZoneInfo):
            zones[tzid] = timezone.to_tz(tzp, lookup_tzid=False)
    if not zones:
        return
    for component in calendar.walk():
        if component.name == "VTIMEZONE":
            continue
        for found in component.values():
            for value in found if isinstance(found, list) else [found]:
                _rebind(value, zones)


def _content_components(calendar: Calendar) -> list[Component]:
    return [
        c for c in calendar.subcomponents
        if c.name != "VTIMEZONE" and not str(c.name).upper().startswith("X-")
    ]  # fmt: skip


def _check_object_resource(calendar: Calendar) -> tuple[str, str]:
    """RFC 4791 §4.1: one component type, one UID, overrides with RECURRENCE-ID."""
    if "METHOD" in calendar:
        raise _not_an_object("a calendar object resource must not have a METHOD property")
    components = _content_components(calendar)
    if not components:
        raise _not_an_object("no calendar component besides VTIMEZONE")
    names = sorted({str(c.name) for c in components})
    if len(names) > 1:
        raise _not_an_object(f"more than one component type: {', '.join(names)}")
    uids = {str(c.get("UID", "")) for c in components}
    if "" in uids:
        raise _not_an_object(f"a {names[0]} has no UID")
    if len(uids) > 1:
        raise _not_an_object("all components must share one UID")
    masters = [c for c in components if "RECURRENCE-ID" not in c]
    if len(masters) > 1:
        raise _not_an_object("several components without RECURRENCE-ID share a UID")
    seen: set[str] = set()
    for component in components:
        rid = component.get("RECURRENCE-ID")
        if rid is not None:
            key = rid.to_ical().decode()
            if key in seen:
                raise _not_an_object(f"RECURRENCE-ID {key} occurs twice")
            seen.add(key)
    return names[0], uids.pop()


def _check_components(components: list[Component], max_instances: int) -> None:
    for component in components:
        name = component.name
        if name == "VEVENT" and "DTSTART" not in component:
            raise _invalid("VEVENT without DTSTART")
        if "DURATION" in component and ("DTEND" in component or "DUE" in component):
            raise _invalid(f"{name} has both DURATION and {'DTEND' if name == 'VEVENT' else 'DUE'}")
        for rule in _rules(component):
            freq = str(rule.get("FREQ", [""])[0]).upper()
            bounded = "COUNT" in rule or "UNTIL" in rule
            if freq in _DENSE_FREQUENCIES and (
                not bounded or estimated_instances(component) > max_instances
            ):
                raise _invalid(f"RRULE FREQ={freq} is too dense; at most {max_instances} instances")


def _count_up_to(master: Component, horizon: datetime | None, limit: int) -> int:
    """Instances of ``master``'s own recurrence set, counted only up to ``limit + 1``;
    those of a series without end only before ``horizon``."""
    open_ended = any("COUNT" not in r and "UNTIL" not in r for r in _rules(master))
    until = horizon if open_ended else None
    count = 0
    for instance in owned_instances(master, None, None, None):
        if until is not None and isinstance(instance.start, date) and \
                to_utc(instance.start) >= until:
            break
        count += 1
        if count > limit:
            break
    return count


def _rules(component: Component) -> list[Any]:
    rules = component.get("RRULE", [])
    return rules if isinstance(rules, list) else [rules]


def _check_instances(components: list[Component], max_instances: int,
                     horizon: datetime | None) -> None:
    """CALDAV:max-instances (RFC 4791 §5.2.8, §5.3.2.1): a series, its RDATE and EXDATE
    values and its overrides each count; a series without end counts up to ``horizon``
    (not at all without one). The estimate decides when it is clear, else a count."""
    def refuse(what: str) -> CalendarDataError:
        return CalendarDataError("max-instances", f"{what}; at most {max_instances} allowed")

    if len(components) > max_instances:
        raise refuse(f"{len(components)} components")
    for component in components:
        if not defines_recurrence(component) or "RECURRENCE-ID" in component:
            continue
        dates = recurrence_dates(component)
        if dates > max_instances:
            raise refuse(f"{dates} RDATE and EXDATE values")
        # A series with an end counts whole; one without up to the horizon.
        open_ended = any("COUNT" not in r and "UNTIL" not in r for r in _rules(component))
        estimate = estimated_instances(component, horizon if open_ended else None)
        if estimate <= max_instances or math.isinf(estimate):  # inf: no end, no horizon
            continue
        if _count_up_to(component, horizon, max_instances) > max_instances:
            raise refuse("the recurrence set has more instances")


def _check_end_after_start(components: list[Component]) -> None:
    """An end before the start is refused: RFC 5545 §3.8.2.2 wants DTEND later than
    DTSTART (equal is tolerated: clients write zero-length events so, and §9.9 of RFC
    4791 reads them as a moment), §3.8.2.3 DUE equal to or after it. Values of
    different types (DATE against DATE-TIME, floating against zoned) are not compared."""
    for component in components:
        name, section = _ENDS.get(str(component.name), ("", ""))
        start = date_value(component, "DTSTART")
        end = date_value(component, name) if name else None
        if start is None or end is None or is_floating(start) != is_floating(end) or (
                isinstance(start, datetime) != isinstance(end, datetime)):
            continue
        if to_utc(end) < to_utc(start):
            raise _invalid(f"{component.name} {name} is before DTSTART (RFC 5545 {section})")


def _check_timezones(calendar: Calendar) -> None:
    """Every TZID needs a VTIMEZONE or a name the tz database knows (RFC 5545 §3.2.19)."""
    for tzid in sorted(calendar.get_missing_tzids()):
        if tzp.timezone(tzid) is None:
            raise _invalid(f"TZID {tzid!r} has no VTIMEZONE and is not a known time zone")


def parse_calendar_object(
    data: bytes,
    *,
    allowed_components: frozenset[str],
    max_size: int,
    content_type: str | None = "text/calendar; charset=utf-8",
    max_instances: int = DEFAULT_MAX_INSTANCES,
    horizon: datetime | None = None,
) -> ParsedCalendarObject:
    """Validate a PUT body and compute its index (RFC 4791 §4.1, §5.3.2.1).

    Args:
        data: The request body.
        allowed_components: Component types the target collection takes
            (its CALDAV:supported-calendar-component-set).
        max_size: Largest accepted body in bytes (CALDAV:max-resource-size).
        content_type: The request's Content-Type header, ``None`` if absent.
        max_instances: CALDAV:max-instances.
        horizon: Until when a series without end is counted against
            ``max_instances`` (the end of the sync window); ``None``: not counted.

    Returns:
        The parsed object; ``data`` is kept byte for byte.

    Raises:
        CalendarDataError: with precondition ``supported-calendar-data``,
            ``max-resource-size``, ``max-instances``, ``valid-calendar-data``,
            ``valid-calendar-object-resource`` or ``supported-calendar-component``.
    """
    check_content_type(content_type)
    if len(data) > max_size:
        raise CalendarDataError(
            "max-resource-size", f"{len(data)} bytes exceed the limit of {max_size}"
        )
    text = _decode(data)
    _check_characters(text)
    _check_nesting(text)
    calendar = _parse(text)
    component_type, uid = _check_object_resource(calendar)
    if component_type not in allowed_components:
        allowed = ", ".join(sorted(allowed_components))
        raise CalendarDataError(
            "supported-calendar-component",
            f"{component_type} is not accepted here, only {allowed}",
        )
    _check_components(_content_components(calendar), max_instances)
    _check_instances(_content_components(calendar), max_instances, horizon)
    _check_end_after_start(_content_components(calendar))
    _check_timezones(calendar)
    try:
        index = compute_index(calendar, component_type)
    except (recurring_ical_events.InvalidCalendar, ValueError, TypeError, OverflowError) as exc:
        log.debug("Cannot expand {uid}: {error}", uid=uid, error=exc)
        raise _invalid(f"the recurrence set cannot be computed: {exc}") from exc
    return ParsedCalendarObject(
        uid=uid,
        component_type=component_type,
        calendar=calendar,
        data=data,
        first_start=index.first_start,
        last_end=index.last_end,
        recurring=index.recurring,
        exact_spans=index.exact_spans,
        all_day_spans=index.all_day_spans,
    )


def load_calendar(data: bytes) -> Calendar:
    """Parse stored, already validated calendar data (no checks, no index).

    For the read paths that must look inside an object: exact filter matching
    of index candidates, partial retrieval, expand, free-busy.
    """
    calendar: Calendar = Calendar.from_ical(data.decode("utf-8-sig"))
    bind_own_timezones(calendar)
    return calendar

