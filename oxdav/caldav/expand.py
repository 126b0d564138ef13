"""Recurrence-set handling for calendar-data: expand, limit-recurrence-set,
limit-freebusy-set (RFC 4791 §9.6.5–§9.6.7).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from icalendar import Calendar, Component
from icalendar.prop import vDDDTypes

from oxdav.caldav.instances import Instance, defines_recurrence, top_level
from oxdav.caldav.timerange import (
    TimeRange,
    component_overlaps,
    instances_overlapping,
    to_utc,
)

#: Components whose recurrence sets expand and limit-recurrence-set act on.
RECURRING_TYPES = ("VEVENT", "VTODO", "VJOURNAL")
#: Properties that define a recurrence set and go away in expanded instances.
RECURRENCE_PROPERTIES = ("RRULE", "RDATE", "EXDATE", "EXRULE")


def _utc_value(old: Any, value: datetime) -> vDDDTypes:
    """A date-time property in UTC, keeping parameters other than TZID and VALUE."""
    new = vDDDTypes(value.astimezone(UTC))
    for key, param in old.params.items():
        if key.upper() not in ("TZID", "VALUE"):
            new.params[key] = param
    return new


def in_utc(prop: Any) -> Any:
    """``prop`` rewritten in UTC if it is a zoned DATE-TIME (§9.6.5), else ``prop``."""
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return _utc_value(prop, value)
    return prop


def to_utc_properties(component: Component) -> None:
    """Rewrite every zoned DATE-TIME property of ``component`` in UTC (§9.6.5).

    Floating date-times and DATE values stay as they are.
    """
    for name in list(component.keys()):
        prop = component[name]
        converted = in_utc(prop)
        if converted is not prop:
            component[name] = converted


def _copy(component: Component) -> Component:
    """A copy of ``component`` with copies of its subcomponents."""
    duplicate = component.copy()
    for sub in component.subcomponents:
        duplicate.add_component(_copy(sub))
    return duplicate


def instance_component(instance: Instance) -> Component:
    """One instance as a standalone component, in UTC (§9.6.5).

    Generated instances get the instance's DTSTART, end and a RECURRENCE-ID
    (:func:`placed_properties`); overrides and non-recurring components keep
    their own times. Recurrence properties are dropped; zoned date-times become
    UTC.
    """
    result = _copy(instance.component)
    for name in RECURRENCE_PROPERTIES:
        result.pop(name, None)
    for name, prop in placed_properties(instance).items():
        result[name] = prop
    to_utc_properties(result)
    return result


def placed_properties(instance: Instance) -> dict[str, Any]:
    """The properties a generated instance of a series has of its own (§9.6.5).

    Its DTSTART, its end (DTEND, DUE, or DURATION when an RDATE period gives it
    another length than the master's) and its RECURRENCE-ID, in UTC, in the
    order :func:`instance_component` sets them; empty for an override or a
    component that does not recur. Every other property of the instance is its
    master's.
    """
    source = instance.component
    start, end = instance.start, instance.end
    generated = defines_recurrence(source) and "RECURRENCE-ID" not in source
    if not generated or start is None or end is None:
        return {}
    placed: dict[str, Any] = {}
    if "DTSTART" in source:
        placed["DTSTART"] = vDDDTypes(start)
    if "DTEND" in source:
        placed["DTEND"] = vDDDTypes(end)
    elif "DUE" in source:
        placed["DUE"] = vDDDTypes(end)
    elif "DURATION" in source and isinstance(start, datetime):
        length: timedelta = end - start
        if length != getattr(source["DURATION"], "dt", None):  # an RDATE period of its own length
            placed["DURATION"] = vDDDTypes(length)
    rid = vDDDTypes(instance.recurrence_id if instance.recurrence_id is not None else start)
    if not isinstance(start, datetime):
        rid.params["VALUE"] = "DATE"
    placed["RECURRENCE-ID"] = rid
    return {name: in_utc(prop) for name, prop in placed.items()}


def start_key(component: Mapping[str, Any]) -> datetime:
    """The order of expanded instances: their DTSTART (else DUE) in UTC, dates at UTC
    midnight (of a component, or of its :func:`placed_properties`)."""
    value = getattr(component.get("DTSTART") or component.get("DUE"), "dt", None)
    return to_utc(value) if value is not None else datetime.min.replace(tzinfo=UTC)


def expansion_frame(calendar: Component) -> Calendar:
    """What an expansion of ``calendar`` holds besides its instances (§9.6.5).

    The VCALENDAR's properties and its components that neither recur nor are a
    VTIMEZONE (dropped, since every zoned time becomes UTC); :func:`expand` adds
    the instances after them.
    """
    result = Calendar()
    for name, value in calendar.items():
        result[name] = value
    for component in calendar.subcomponents:
        if component.name not in RECURRING_TYPES and component.name != "VTIMEZONE":
            result.add_component(_copy(component))
    return result


def expand(calendar: Component, rng: TimeRange, tz: tzinfo = UTC) -> Calendar:
    """The calendar with each recurrence set expanded into instances in ``rng`` (§9.6.5).

    Only instances overlapping the range are returned (non-recurring components
    too), as :func:`instance_component` renders them, in :func:`start_key` order
    per component type; VTIMEZONEs are dropped since every zoned time is now UTC.
    Other components (VFREEBUSY…) are kept unchanged (:func:`expansion_frame`).
    """
    result = expansion_frame(calendar)
    for name in RECURRING_TYPES:
        expanded = [
            instance_component(instance)
            for instance in instances_overlapping(
                calendar, rng.start, rng.end, component=name, tz=tz
            )
        ]
        for component in sorted(expanded, key=start_key):
            result.add_component(component)
    return result


def _override_affects(
    override: Component, rng: TimeRange, tz: tzinfo, series: list[Component]
) -> bool:
    if component_overlaps(override, rng, tz, series=series):
        return True
    rid = override.get("RECURRENCE-ID")
    if rid is None:
        return False
    original = to_utc(rid.dt, tz)
    if str(rid.params.get("RANGE", "")).upper() == "THISANDFUTURE":
        return rng.end is None or original < rng.end
    # The instance moved out of the range: the client still needs to know.
    return rng.contains(original)


def limit_recurrence_set(calendar: Component, rng: TimeRange, tz: tzinfo = UTC) -> Component:
    """The calendar with only the overrides that affect ``rng`` (§9.6.6).

    Masters, non-recurring components and VTIMEZONEs are kept; an override is
    kept when its instance overlaps the range, when its original slot
    (RECURRENCE-ID) lies in the range, or when it is a THISANDFUTURE override
    starting before the range ends.
    """
    result = _copy(calendar)
    for name in RECURRING_TYPES:
        components = top_level(result, name)
        for override in (c for c in components if "RECURRENCE-ID" in c):
            series = [c for c in components if c.get("UID") == override.get("UID")]
            has_master = any("RECURRENCE-ID" not in c for c in series)
            if has_master and not _override_affects(override, rng, tz, series):
                result.subcomponents.remove(override)
    return result


def limit_freebusy_set(calendar: Component, rng: TimeRange) -> Component:
    """The calendar with only the FREEBUSY periods that overlap ``rng`` (§9.6.7)."""
    result = _copy(calendar)
    for freebusy in top_level(result, "VFREEBUSY"):
        found = freebusy.get("FREEBUSY")
        if found is None:
            continue
        periods = found if isinstance(found, list) else [found]
        kept = [p for p in periods if _period_overlaps(p, rng)]
        del freebusy["FREEBUSY"]
        for period in kept:
            freebusy.add("FREEBUSY", period)
    return result


def _period_overlaps(period: Any, rng: TimeRange) -> bool:
    value = getattr(period, "dt", None)
    if not isinstance(value, tuple):
        return False
    start = to_utc(value[0])
    end = start + value[1] if isinstance(value[1], timedelta) else to_utc(value[1])
    return rng.overlaps(start, end)
