"""The calendar-query filter (RFC 4791 §7.8, §9.7): model, parsing, evaluation.

:func:`parse_filter` turns a ``CALDAV:filter`` element into a typed tree of
:class:`CompFilter`, :class:`PropFilter`, :class:`ParamFilter` and
:class:`~oxdav.caldav.collation.TextMatch`. :meth:`CalendarFilter.narrowing`
gives the coarse component/time-range test the store can run on its index;
:meth:`CalendarFilter.matches` is the exact test, run only on those candidates.

A comp-filter matches when some component of that name satisfies all of its
tests at once; a prop-filter when some property of that name does (so a text
match and a param-filter on ATTENDEE must hold for the same attendee). For a
recurring series, the master answers for the instances no override replaced
and each override for its own instance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from icalendar import Component
from lxml import etree

from oxdav.caldav.alarms import alarm_overlaps
from oxdav.caldav.collation import DEFAULT_COLLATION, TextMatch
from oxdav.caldav.errors import CALDAV_NS, FilterError
from oxdav.caldav.ical import ParsedCalendarObject
from oxdav.caldav.timerange import (
    ONE_DAY,
    TimeRange,
    component_overlaps,
    property_in_range,
    to_utc,
)
from oxdav.store.models import Candidate

#: Components a CALDAV:time-range may apply to (RFC 4791 §9.9, RFC 7953).
TIME_RANGE_COMPONENTS = frozenset(
    {"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VALARM", "VAVAILABILITY", "AVAILABLE"}
)
#: Object types the store indexes by component type.
INDEXED_COMPONENTS = frozenset({"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VAVAILABILITY"})


def _tag(name: str) -> str:
    return f"{{{CALDAV_NS}}}{name}"


@dataclass(frozen=True)
class ParamFilter:
    """CALDAV:param-filter (§9.7.3)."""

    name: str
    is_not_defined: bool = False
    text_match: TextMatch | None = None


@dataclass(frozen=True)
class PropFilter:
    """CALDAV:prop-filter (§9.7.2)."""

    name: str
    is_not_defined: bool = False
    time_range: TimeRange | None = None
    text_match: TextMatch | None = None
    param_filters: tuple[ParamFilter, ...] = ()


@dataclass(frozen=True)
class CompFilter:
    """CALDAV:comp-filter (§9.7.1)."""

    name: str
    is_not_defined: bool = False
    time_range: TimeRange | None = None
    prop_filters: tuple[PropFilter, ...] = ()
    comp_filters: tuple[CompFilter, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Narrowing:
    """What the store can pre-filter on: a superset of the exact matches.

    Attributes:
        component: The object's component type must be this (``None``: any).
        start: UTC epoch seconds; keep objects with ``last_end >= start``.
        end: UTC epoch seconds; keep objects with ``first_start <= end``.
    """

    component: str | None = None
    start: int | None = None
    end: int | None = None


# -- parsing -----------------------------------------------------------------


def _children(element: Any) -> list[Any]:
    """Child elements in the CalDAV namespace; comments and foreign elements are ignored."""
    return [c for c in element if isinstance(c.tag, str) and c.tag.startswith(f"{{{CALDAV_NS}}}")]


def _local(element: Any) -> str:
    return str(etree.QName(element).localname)


def _name(element: Any) -> str:
    name = element.get("name")
    if not name or not name.strip():
        raise FilterError("valid-filter", f"{_local(element)} needs a name attribute")
    return str(name).strip().upper()


def parse_text_match(element: Any) -> TextMatch:
    """Parse CALDAV:text-match (§9.7.5)."""
    negate = (element.get("negate-condition") or "no").strip().lower()
    if negate not in ("yes", "no"):
        raise FilterError("valid-filter", f"negate-condition must be yes or no, not {negate!r}")
    collation = (element.get("collation") or DEFAULT_COLLATION).strip()
    return TextMatch(element.text or "", collation, negate == "yes")


def parse_time_range(element: Any) -> TimeRange:
    """Parse CALDAV:time-range (§9.9): UTC basic-form start and/or end."""
    return TimeRange.from_attributes(element.get("start"), element.get("end"))


def _split(element: Any, allowed: set[str]) -> dict[str, list[Any]]:
    parts: dict[str, list[Any]] = {}
    for child in _children(element):
        local = _local(child)
        if local not in allowed:
            raise FilterError("valid-filter", f"{local} is not allowed in {_local(element)}")
        parts.setdefault(local, []).append(child)
    for single in allowed - {"prop-filter", "comp-filter", "param-filter"}:
        if len(parts.get(single, [])) > 1:
            raise FilterError("valid-filter", f"{_local(element)} has more than one {single}")
    if "is-not-defined" in parts and len(parts) > 1:
        raise FilterError("valid-filter", "is-not-defined excludes other tests")
    return parts


def parse_param_filter(element: Any) -> ParamFilter:
    """Parse CALDAV:param-filter (§9.7.3)."""
    parts = _split(element, {"is-not-defined", "text-match"})
    text = parts.get("text-match")
    return ParamFilter(
        _name(element), "is-not-defined" in parts, parse_text_match(text[0]) if text else None
    )


def parse_prop_filter(element: Any) -> PropFilter:
    """Parse CALDAV:prop-filter (§9.7.2)."""
    parts = _split(element, {"is-not-defined", "time-range", "text-match", "param-filter"})
    if "time-range" in parts and "text-match" in parts:
        raise FilterError("valid-filter", "prop-filter has both time-range and text-match")
    time_range, text = parts.get("time-range"), parts.get("text-match")
    return PropFilter(
        _name(element),
        "is-not-defined" in parts,
        parse_time_range(time_range[0]) if time_range else None,
        parse_text_match(text[0]) if text else None,
        tuple(parse_param_filter(p) for p in parts.get("param-filter", [])),
    )


def parse_comp_filter(element: Any) -> CompFilter:
    """Parse CALDAV:comp-filter (§9.7.1)."""
    parts = _split(element, {"is-not-defined", "time-range", "prop-filter", "comp-filter"})
    name = _name(element)
    time_range = parts.get("time-range")
    if time_range and name not in TIME_RANGE_COMPONENTS:
        raise FilterError("valid-filter", f"time-range is not defined for {name}")
    return CompFilter(
        name,
        "is-not-defined" in parts,
        parse_time_range(time_range[0]) if time_range else None,
        tuple(parse_prop_filter(p) for p in parts.get("prop-filter", [])),
        tuple(parse_comp_filter(c) for c in parts.get("comp-filter", [])),
    )


def parse_filter(element: Any) -> CalendarFilter:
    """Parse a CALDAV:filter element (lxml, Clark names) into a :class:`CalendarFilter`.

    Raises:
        FilterError: ``valid-filter`` for a malformed filter (wrong structure, a
            root other than VCALENDAR, time ranges not in UTC basic form),
            ``supported-collation`` for an unknown collation.
    """
    if element.tag != _tag("filter"):
        raise FilterError("valid-filter", f"expected CALDAV:filter, not {element.tag}")
    roots = _children(element)
    if len(roots) != 1 or _local(roots[0]) != "comp-filter":
        raise FilterError("valid-filter", "filter must hold exactly one comp-filter")
    root = parse_comp_filter(roots[0])
    if root.name != "VCALENDAR" or root.is_not_defined:
        raise FilterError("valid-filter", "the outermost comp-filter must be VCALENDAR")
    return CalendarFilter(root)


# -- evaluation --------------------------------------------------------------


def property_text(value: Any) -> str:
    """The text a text-match sees: unescaped TEXT, else the iCalendar value form."""
    if isinstance(value, str):
        return str(value)
    to_ical = getattr(value, "to_ical", None)
    if to_ical is None:
        return str(value)
    raw = to_ical()
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _param_matches(flt: ParamFilter, prop: Any) -> bool:
    params = getattr(prop, "params", {})
    if flt.name not in params:
        return flt.is_not_defined
    if flt.is_not_defined:
        return False
    if flt.text_match is None:
        return True
    value = params[flt.name]
    text = ",".join(value) if isinstance(value, list | tuple) else str(value)
    return flt.text_match.matches(text)


def _property_satisfies(flt: PropFilter, prop: Any, tz: tzinfo) -> bool:
    if flt.time_range is not None and not property_in_range(prop, flt.time_range, tz):
        return False
    if flt.text_match is not None and not flt.text_match.matches(property_text(prop)):
        return False
    return all(_param_matches(p, prop) for p in flt.param_filters)


def _prop_matches(flt: PropFilter, component: Component, tz: tzinfo) -> bool:
    found = component.get(flt.name)
    props = [] if found is None else found if isinstance(found, list) else [found]
    if flt.is_not_defined:
        return not props
    return any(_property_satisfies(flt, prop, tz) for prop in props)


def _satisfies(
    flt: CompFilter,
    component: Component,
    parent: Component,
    series: list[Component],
    parent_series: list[Component],
    tz: tzinfo,
) -> bool:
    if flt.time_range is not None:
        if component.name == "VALARM":
            in_range = alarm_overlaps(component, parent, flt.time_range, tz, series=parent_series)
        else:
            in_range = component_overlaps(component, flt.time_range, tz, series=series)
        if not in_range:
            return False
    if not all(_prop_matches(p, component, tz) for p in flt.prop_filters):
        return False
    return all(_comp_matches(c, component, series, tz) for c in flt.comp_filters)


def _comp_matches(
    flt: CompFilter, parent: Component, parent_series: list[Component], tz: tzinfo
) -> bool:
    found = [c for c in parent.subcomponents if c.name == flt.name]
    if flt.is_not_defined:
        return not found
    for component in found:
        uid = component.get("UID")
        series = [c for c in found if c.get("UID") == uid] if uid is not None else [component]
        if _satisfies(flt, component, parent, series, parent_series, tz):
            return True
    return False


_WALL_EPOCH = datetime(1970, 1, 1)
_DAY = 86_400


@lru_cache(maxsize=64)
def _epoch_bounds(rng: TimeRange) -> tuple[float | None, float | None]:
    return (None if rng.start is None else rng.start.timestamp(),
            None if rng.end is None else rng.end.timestamp())


def _span_matches(rng: TimeRange, start: int, end: int) -> bool:
    """The §9.9 VEVENT test of one indexed span (:func:`~oxdav.caldav.timerange.event_bounds`):
    :meth:`TimeRange.contains` its start when it has no duration, else
    :meth:`TimeRange.overlaps`, in epoch seconds (a query decides thousands)."""
    low, high = _epoch_bounds(rng)
    if high is not None and start >= high:
        return False
    if low is None:
        return True
    return start >= low if start == end else end > low


def _all_day_matches(rng: TimeRange, start: int, end: int, tz: tzinfo) -> bool:
    """The same for an all-day span: its midnights read in ``tz`` (§7.3, ``event_bounds``)."""
    low, high = _epoch_bounds(rng)
    if (low is None or start > low + _DAY) and (high is None or start < high - _DAY):
        return True  # read in any zone (less than a day off UTC) it starts inside the range
    begin = to_utc(_WALL_EPOCH + timedelta(seconds=start), tz)
    finish = to_utc(_WALL_EPOCH + timedelta(seconds=end), tz)
    if finish <= begin:
        finish = begin + ONE_DAY
    return rng.overlaps(begin, finish)


def span_overlaps(rng: TimeRange, start: int, end: int, all_day: bool, tz: tzinfo) -> bool:
    """Whether one indexed exact span (``Candidate.exact_spans``) meets ``rng`` (§9.9)."""
    if all_day:
        return _all_day_matches(rng, start, end, tz)
    return _span_matches(rng, start, end)


@dataclass(frozen=True)
class CalendarFilter:
    """A parsed CALDAV:filter: one VCALENDAR comp-filter (§9.7)."""

    root: CompFilter

    def matches(self, obj: ParsedCalendarObject | Component, tz: tzinfo = UTC) -> bool:
        """The exact §9.7 test against one calendar object.

        Args:
            obj: A parsed object or a VCALENDAR component.
            tz: Zone for floating times and dates (CALDAV:timezone of the query,
                else the collection's calendar-timezone, else UTC; §7.3).

        Raises:
            FilterError: ``supported-filter`` for a time range on a component
                §9.9 does not define one for.
        """
        calendar = obj.calendar if isinstance(obj, ParsedCalendarObject) else obj
        if calendar.name != self.root.name:
            return False
        return _satisfies(self.root, calendar, calendar, [calendar], [calendar], tz)

    def index_match(self, meta: Candidate, tz: tzinfo = UTC) -> bool | None:
        """The §9.7 answer for one object from its index alone, when that is exact.

        Decided without the data: a filter of VCALENDAR only, or of one
        comp-filter for the object's component type with no test but at most a
        time range (every stored object is one VCALENDAR holding at least one
        component of its type, RFC 4791 §4.1); the time range only for VEVENT
        objects indexed with ``exact_spans``
        (:func:`oxdav.caldav.index.exact_event_spans`: every instance in UTC or
        zoned time), each span tested as §9.9 tests a VEVENT instance
        (:meth:`TimeRange.overlaps`, or :meth:`TimeRange.contains` for a
        zero-duration one); all-day spans (``floating_spans``) start and end
        at midnight in ``tz``, the zone :meth:`matches` would read them in.

        Returns:
            ``True``/``False``, or ``None`` when :meth:`matches` has to decide.
        """
        root = self.root
        if root.prop_filters or root.time_range is not None:
            return None
        if not root.comp_filters:
            return True
        if len(root.comp_filters) != 1:
            return None
        flt = root.comp_filters[0]
        if (flt.name != meta.component or flt.is_not_defined or flt.prop_filters
                or flt.comp_filters):
            return None
        rng = flt.time_range
        if rng is None:
            return True
        if flt.name != "VEVENT" or meta.exact_spans is None:
            return None
        return any(span_overlaps(rng, start, end, meta.floating_spans, tz)
                   for start, end in meta.exact_spans)

    def narrowing(self) -> Narrowing:
        """The coarse test the store can run on its index before :meth:`matches`.

        Uses the top-level comp-filters (children of VCALENDAR) only: they all
        have to hold, so any one of them narrows soundly. One with a time range
        is preferred. Nested time ranges (VALARM) and property time ranges do
        not narrow.
        """
        candidates = [
            c for c in self.root.comp_filters
            if not c.is_not_defined and c.name in INDEXED_COMPONENTS
        ]  # fmt: skip
        if not candidates:
            return Narrowing()
        chosen = next((c for c in candidates if c.time_range is not None), candidates[0])
        rng = chosen.time_range
        if rng is None:
            return Narrowing(chosen.name)
        return Narrowing(
            chosen.name,
            None if rng.start is None else math.floor(rng.start.timestamp()),
            None if rng.end is None else math.ceil(rng.end.timestamp()),
        )
