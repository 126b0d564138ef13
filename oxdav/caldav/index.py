"""The time-range index the store keeps per calendar object (DESIGN.md §7).

``first_start``/``last_end`` are UTC epoch seconds bounding, as a closed
envelope, every instant at which the object can satisfy a §9.9 time-range test
of its top-level component: a range ``[s, e)`` can only match when
``first_start <= e`` and ``last_end >= s`` (:func:`~oxdav.caldav.timerange.index_may_overlap`).
``None`` is unbounded: an infinite RRULE has no ``last_end``, a VTODO without
dates matches every range. Floating times and dates are widened by
:data:`FLOATING_SLACK` on both sides, since their instant depends on the time
zone of the query. Alarm time ranges are not covered by the index.

``exact_spans`` lists, for VEVENT objects whose instances all have UTC or
zoned times, the exact §9.9 interval of every instance (:func:`exact_event_spans`):
a range ``[s, e)`` then matches exactly when one has ``start < e`` and
``end > s``, or ``s <= start < e`` when the two are equal (a moment), so a
time-range query can decide it from the index alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Component

from oxdav.caldav.budget import estimated_instances
from oxdav.caldav.instances import (
    Instance,
    defines_recurrence,
    first_instances,
    series_groups,
    series_instances,
    single_instance,
)
from oxdav.caldav.timerange import (
    date_value,
    event_bounds,
    freebusy_periods,
    is_floating,
    to_utc,
)

#: Widening of floating times and dates: UTC offsets run from -12:00 to +14:00.
FLOATING_SLACK = timedelta(hours=14)

#: Most instances of a bounded series enumerated to find its real last end.
DEFAULT_MAX_INSTANCES = 20_000

Bound = datetime | None


@dataclass(frozen=True)
class CalendarIndex:
    """What the store indexes for one calendar object.

    Attributes:
        first_start: UTC epoch seconds, ``None`` when unbounded in the past.
        last_end: UTC epoch seconds, ``None`` when unbounded in the future.
        recurring: Whether the object defines a recurrence set (RRULE/RDATE) or
            holds overridden instances (RECURRENCE-ID).
        exact_spans: The exact §9.9 spans of the object's instances, UTC epoch
            seconds, ``None`` when not known (see :func:`exact_event_spans`).
        all_day_spans: ``exact_spans`` are all-day instances, as if in UTC.
    """

    first_start: int | None
    last_end: int | None
    recurring: bool
    exact_spans: tuple[tuple[int, int], ...] | None = None
    all_day_spans: bool = False


def _widen(value: datetime, floating: bool, sign: int) -> datetime:
    return value + sign * FLOATING_SLACK if floating else value


def _span(values: list[tuple[datetime, bool]]) -> tuple[datetime, datetime]:
    """Closed envelope of UTC moments, each widened when it came from a floating value."""
    low = min(_widen(v, f, -1) for v, f in values)
    high = max(_widen(v, f, +1) for v, f in values)
    return low, high


def _todo_envelope(instance: Instance) -> tuple[Bound, Bound]:
    todo = instance.component
    moments = []
    if "DTSTART" in todo and instance.start is not None:
        moments.append(instance.start)
        if ("DUE" in todo or "DURATION" in todo) and instance.end is not None:
            moments.append(instance.end)
    elif "DUE" in todo and instance.end is not None:
        moments.append(instance.end)
    else:
        completed, created = date_value(todo, "COMPLETED"), date_value(todo, "CREATED")
        moments.extend(v for v in (completed, created) if v is not None)
        if completed is None and created is not None:
            return _span([(to_utc(created), is_floating(created))])[0], None
        if not moments:
            return None, None
    return _span([(to_utc(m), is_floating(m)) for m in moments])


def instance_envelope(instance: Instance) -> tuple[Bound, Bound]:
    """Closed UTC envelope of the moments at which ``instance`` can match a range."""
    if instance.name in ("VEVENT", "AVAILABLE"):
        bounds = event_bounds(instance)
        if bounds is None:
            return None, None
        assert instance.start is not None
        floating = is_floating(instance.start)
        return _span([(bounds[0], floating), (bounds[1], floating)])
    if instance.name == "VTODO":
        return _todo_envelope(instance)
    if instance.start is None:  # VJOURNAL without DTSTART never matches
        return None, None
    start = to_utc(instance.start)
    end = start if isinstance(instance.start, datetime) else start + timedelta(days=1)
    floating = is_floating(instance.start)
    return _span([(start, floating), (end, floating)])


def component_envelope(component: Component) -> tuple[Bound, Bound]:
    """Envelope of a VFREEBUSY or VAVAILABILITY (§9.9, RFC 7953)."""
    start, end = date_value(component, "DTSTART"), date_value(component, "DTEND")
    if component.name == "VFREEBUSY" and (start is None or end is None):
        periods = freebusy_periods(component)
        if not periods:
            return None, None
        return min(p[0] for p in periods), max(p[1] for p in periods)
    low = None if start is None else _widen(to_utc(start), is_floating(start), -1)
    high = None if end is None else _widen(to_utc(end), is_floating(end), +1)
    return low, high


def _unbounded(master: Component) -> bool:
    rules = master.get("RRULE", [])
    for rule in rules if isinstance(rules, list) else [rules]:
        if "COUNT" not in rule and "UNTIL" not in rule:
            return True
    return False


def _merge(envelopes: list[tuple[Bound, Bound]]) -> tuple[Bound, Bound]:
    lows = [low for low, _ in envelopes]
    highs = [high for _, high in envelopes]
    low = None if not lows or None in lows else min(v for v in lows if v is not None)
    high = None if not highs or None in highs else max(v for v in highs if v is not None)
    return low, high


def _series_envelope(group: list[Component], max_instances: int) -> tuple[Bound, Bound]:
    masters = [c for c in group if defines_recurrence(c) and "RECURRENCE-ID" not in c]
    if not masters:
        return _merge([instance_envelope(i) for i in series_instances(group, max_instances) or []])
    master = masters[0]
    if not _unbounded(master) and estimated_instances(master) <= max_instances:
        instances = series_instances(group, max_instances)
        if instances is not None:
            return _merge([instance_envelope(i) for i in instances])
    overrides = [c for c in group if "RECURRENCE-ID" in c]
    heads = first_instances([master, *overrides])[:1]
    first, _ = _merge([instance_envelope(i) for i in heads]) if heads else (None, None)
    if not heads:  # a year of EXDATEs: DTSTART is still a lower bound
        first, _ = instance_envelope(single_instance(master))
    for override in overrides:
        low, _ = instance_envelope(single_instance(override))
        first = None if first is None or low is None else min(first, low)
    return first, None


#: Most instances of a series whose spans are indexed for exact time-range answers.
MAX_EXACT_SPANS = 64

Spans = tuple[tuple[int, int], ...]


def _zoned(value: object) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None


def _owned_instances(events: list[Component], max_spans: int) -> list[Instance] | None:
    """Every instance §9.9 tests for these VEVENTs of one UID, as the filter finds them.

    A recurring master owns the instances of its set that no override replaced,
    every other component its one instance
    (:func:`~oxdav.caldav.instances.owned_instances`); ``None`` for an unbounded
    or large series.
    """
    masters = [e for e in events if "RECURRENCE-ID" not in e]
    if len(masters) > 1 or len({str(e.get("UID")) for e in events}) != 1:
        return None
    if not masters or not defines_recurrence(masters[0]):
        return [single_instance(e) for e in events]
    master = masters[0]
    if _unbounded(master) or estimated_instances(master) > max_spans:
        return None
    instances = series_instances(events, max_spans)
    if instances is None:
        return None
    owned = [i for i in instances if i.component is master]
    return owned + [single_instance(e) for e in events if e is not master]


def is_all_day(instance: Instance) -> bool:
    """Whether an instance is all-day: a DATE start and a DATE end after it."""
    start, end = instance.start, instance.end
    return (isinstance(start, date) and not isinstance(start, datetime)
            and isinstance(end, date) and not isinstance(end, datetime) and end > start)


def _epoch(moment: datetime) -> int | None:
    value = moment.timestamp()
    return int(value) if value == math.floor(value) else None


def exact_span(instance: Instance, all_day: bool) -> tuple[int, int] | None:
    """One VEVENT instance's span as :func:`exact_event_spans` indexes it, if exact.

    Args:
        instance: The instance.
        all_day: Read it as an all-day instance (its midnights as if in UTC);
            else it must start and end at zoned or UTC DATE-TIMEs.

    Returns:
        UTC epoch seconds ``(start, end)``, or ``None`` when the instance is not
        of that kind or its times are not whole seconds.
    """
    if all_day:
        if not is_all_day(instance):
            return None
        assert instance.start is not None and instance.end is not None
        bounds = (to_utc(instance.start), to_utc(instance.end))
    else:
        if not _zoned(instance.start) or not _zoned(instance.end):
            return None
        found = event_bounds(instance)
        if found is None:
            return None
        bounds = found
    start, end = _epoch(bounds[0]), _epoch(bounds[1])
    return None if start is None or end is None else (start, end)


def exact_event_spans(calendar: Component,
                      max_spans: int = MAX_EXACT_SPANS) -> tuple[Spans, bool] | None:
    """The exact §9.9 spans of a VEVENT object, and whether they are all-day ones.

    Known when the object's instances (of single events, or of a bounded series
    of at most ``max_spans``, EXDATEs and overrides applied) either all start
    and end at UTC or zoned DATE-TIMEs, or are all all-day (DATE start, DATE
    end after it). Each zoned span is the instance's :func:`event_bounds` in
    UTC epoch seconds, and §9.9 matches a range ``[s, e)`` when some span has
    ``start < e and end > s``, or ``s <= start < e`` when ``start == end``
    (zero duration, or no DTEND and no DURATION). All-day spans are the
    midnights of their first and end day as if in UTC; their instants depend on
    the query's time zone (RFC 4791 §7.3), which
    :meth:`oxdav.caldav.filters.CalendarFilter.index_match` applies. Floating
    DATE-TIMEs keep the exact test.

    Returns:
        ``(spans, all_day)``, or ``None`` when the object needs the exact test
        on its parsed data.
    """
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    if not events:
        return None
    instances = _owned_instances(events, max_spans)
    if not instances:
        return None
    all_day = is_all_day(instances[0])
    spans = []
    for instance in instances:
        span = exact_span(instance, all_day)
        if span is None:
            return None
        spans.append(span)
    return tuple(spans), all_day


def compute_index(
    calendar: Component, component_type: str, *, max_instances: int = DEFAULT_MAX_INSTANCES
) -> CalendarIndex:
    """The index of a validated calendar object whose components are ``component_type``.

    Args:
        calendar: The VCALENDAR.
        component_type: ``VEVENT``, ``VTODO``, ``VJOURNAL``, ``VFREEBUSY`` or
            ``VAVAILABILITY``.
        max_instances: Bounded series estimated or found larger than this are
            indexed as unbounded (``last_end=None``) rather than enumerated.

    Raises:
        recurring_ical_events.InvalidCalendar: (or ``ValueError``) when the
            recurrence set cannot be expanded.
    """
    recurring = False
    envelopes: list[tuple[Bound, Bound]] = []
    for group in series_groups(calendar, component_type):
        recurring = recurring or any(
            defines_recurrence(c) or "RECURRENCE-ID" in c for c in group
        )
        if component_type in ("VFREEBUSY", "VAVAILABILITY"):
            envelopes.extend(component_envelope(c) for c in group)
        else:
            envelopes.append(_series_envelope(group, max_instances))
    low, high = _merge(envelopes) if envelopes else (None, None)
    first_start = None if low is None else math.floor(low.astimezone(UTC).timestamp())
    last_end = None if high is None else math.ceil(high.astimezone(UTC).timestamp())
    exact = exact_event_spans(calendar) if component_type == "VEVENT" else None
    spans, all_day = exact if exact is not None else (None, False)
    slack = int(FLOATING_SLACK.total_seconds()) if all_day else 0
    if spans is not None and (first_start is None or last_end is None or any(
            start - slack < first_start or end + slack > last_end for start, end in spans)):
        spans = None  # outside the envelope the store narrows by: not for the index
    return CalendarIndex(first_start, last_end, recurring, exact_spans=spans,
                         all_day_spans=spans is not None and all_day)
