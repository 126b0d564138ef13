"""Recurrence instances of calendar components, through ``recurring-ical-events``.

RFC 4791 §9.9 evaluates time ranges against every instance of a recurring
component; RFC 5545 §3.8.5 defines the set (RRULE, RDATE, EXDATE, overridden
RECURRENCE-ID instances). The expansion itself is ``recurring-ical-events``'
job; this module only asks it for candidate instances in a window and keeps,
for each, the component whose data applies (the master, or the override that
replaced that instance), so the exact §9.9 tests and ``expand`` can use the
component's own properties.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import recurring_ical_events
from icalendar import Calendar, Component
from recurring_ical_events import (
    ComponentsWithName,
    EventAdapter,
    JournalAdapter,
    Occurrence,
    TodoAdapter,
)

from oxdav.caldav.budget import charge, estimated_instances

#: Components whose instances this module computes (RFC 4791 §9.9).
RECURRING_COMPONENTS = frozenset({"VEVENT", "VTODO", "VJOURNAL", "AVAILABLE"})

#: Earliest time asked of the expansion library for an open range start.
EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
#: Latest time asked of the expansion library when enumerating a bounded series.
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
#: Widening of every window handed to the library: floating times and dates
#: are off from UTC by at most 14 hours, all-day instances last a day.
WINDOW_PADDING = timedelta(days=2)

Time = date | datetime


@dataclass(frozen=True, eq=False)
class Instance:
    """One instance of a (possibly recurring) calendar component.

    Attributes:
        component: The component whose properties apply to this instance: the
            master for generated instances, the override for overridden ones,
            the component itself when it does not recur.
        start: The instance's DTSTART (for a VTODO without DTSTART: its DUE), in
            the value type and time zone of the component; ``None`` when the
            component has neither (a VTODO without dates, a VJOURNAL without
            DTSTART).
        end: The instance's end as RFC 5545 defines it (DTEND, DTSTART+DURATION,
            DUE, the next day for an all-day VEVENT without end, else ``start``);
            ``None`` when ``start`` is.
        recurrence_id: The RECURRENCE-ID identifying this instance in its
            series; ``None`` for a component that is not part of a series.
    """

    component: Component
    start: Time | None
    end: Time | None
    recurrence_id: Time | None

    @property
    def name(self) -> str:
        """The component name (``VEVENT``, ``VTODO``…)."""
        return str(self.component.name)


class _SourceAdapter:
    """Mixin giving the library's adapters access to the adapted component."""

    _component: Component

    @property
    def source(self) -> Component:
        return self._component


class _Event(_SourceAdapter, EventAdapter):  # type: ignore[misc]
    pass


class _Todo(_SourceAdapter, TodoAdapter):  # type: ignore[misc]
    pass


class _Journal(_SourceAdapter, JournalAdapter):  # type: ignore[misc]
    pass


class _Available(_Event):
    """RFC 7953 AVAILABLE has VEVENT's DTSTART/DTEND/DURATION/RRULE shape."""

    @staticmethod
    def component_name() -> str:
        return "AVAILABLE"


_ADAPTERS: dict[str, type[EventAdapter] | type[TodoAdapter] | type[JournalAdapter]] = {
    "VEVENT": _Event,
    "VTODO": _Todo,
    "VJOURNAL": _Journal,
    "AVAILABLE": _Available,
}


class _InstanceOccurrence(Occurrence):  # type: ignore[misc]
    """An occurrence that turns into an :class:`Instance` instead of a copied component."""

    def as_component(self, keep_recurrence_attributes: bool) -> Instance:  # noqa: ARG002
        adapter = cast(Any, self._adapter)
        source: Component = adapter.source
        recurrence_id: Time | None
        rid_property = source.get("RECURRENCE-ID")
        if rid_property is not None and self.start == adapter.start:
            recurrence_id = rid_property.dt
        else:
            recurrence_id = self.start - adapter.move_recurrences_by
        return _bounded(source, self.start, self.end, recurrence_id)


def _bounded(component: Component, start: Time, end: Time, rid: Time | None) -> Instance:
    """Drop the library's placeholder dates for components without any."""
    if component.name == "VTODO" and "DTSTART" not in component and "DUE" not in component:
        return Instance(component, None, None, rid)
    if component.name == "VJOURNAL" and "DTSTART" not in component:
        return Instance(component, None, None, rid)
    return Instance(component, start, end, rid)


def defines_recurrence(component: Component) -> bool:
    """Whether the component generates a recurrence set (RFC 5545 §3.8.5)."""
    return "RRULE" in component or "RDATE" in component


def top_level(calendar: Component, name: str) -> list[Component]:
    """The direct subcomponents of ``calendar`` called ``name``."""
    return [c for c in calendar.subcomponents if c.name == name]


def _series_groups(components: Iterable[Component]) -> list[list[Component]]:
    """Components grouped by UID, in first-seen order."""
    groups: dict[str, list[Component]] = defaultdict(list)
    for component in components:
        groups[str(component.get("UID", id(component)))].append(component)
    return list(groups.values())


def _is_recurring_group(group: list[Component]) -> bool:
    return any(defines_recurrence(c) and "RECURRENCE-ID" not in c for c in group)


#: What walking past an instance before the range costs, against making one inside it
#: (the library steps through earlier ones without building them).
SKIP_COST = 0.05


def _charge_series(group: list[Component], since: datetime | None, until: datetime) -> None:
    """Charge the active budget (:mod:`oxdav.caldav.budget`) with what expanding the
    series for ``[since, until)`` costs: every instance made, and every step from the
    series' first instance to ``since`` at :data:`SKIP_COST`."""
    total = 0.0
    for component in group:
        if "RECURRENCE-ID" in component:
            total += 1
            continue
        steps = estimated_instances(component, until)
        skipped = 0.0 if since is None else min(estimated_instances(component, since), steps)
        total += steps - skipped + skipped * SKIP_COST
    charge(total)


def _charged(instances: Iterator[Instance]) -> Iterator[Instance]:
    """An open-ended expansion, charged one instance at a time as it is consumed."""
    for instance in instances:
        charge(1)
        yield instance


def single_instance(component: Component) -> Instance:
    """A component's own instance: its DTSTART and end, ignoring any recurrence."""
    adapter = cast(Any, _ADAPTERS[str(component.name)](component))
    rid = component.get("RECURRENCE-ID")
    return _bounded(component, adapter.start, adapter.end, rid.dt if rid is not None else None)


def _query(group: list[Component], name: str) -> recurring_ical_events.CalendarQuery:
    holder = Calendar()
    for component in group:
        holder.add_component(component)
    selection = ComponentsWithName(name, _ADAPTERS[name], occurrence=_InstanceOccurrence)
    return recurring_ical_events.of(holder, keep_recurrence_attributes=True, components=[selection])


def iter_instances(
    components: Iterable[Component],
    start: datetime | None = None,
    end: datetime | None = None,
) -> Iterator[Instance]:
    """Candidate instances of ``components`` that may overlap ``[start, end)``.

    The components must share one name (one of :data:`RECURRING_COMPONENTS`);
    masters and overrides are told apart by RECURRENCE-ID, series by UID.
    Non-recurring components always yield their one instance; recurring series
    yield the instances the library finds in the window widened by
    :data:`WINDOW_PADDING`. Callers apply the exact §9.9 test.

    Args:
        components: The components, e.g. ``top_level(calendar, "VEVENT")``.
        start: Aware start of the range, ``None`` for unbounded.
        end: Aware end of the range, ``None`` for unbounded. With ``None`` an
            infinite series yields forever (in start order): consume lazily.

    Raises:
        recurring_ical_events.InvalidCalendar: (and ``ValueError``) for a series
            the library cannot expand.
    """
    for group in _series_groups(components):
        if not _is_recurring_group(group):
            yield from (single_instance(c) for c in group)
            continue
        query = _query(group, str(group[0].name))
        if start is not None:
            low = start - WINDOW_PADDING
        else:  # nothing starts before the earliest DTSTART/RDATE
            low = max(EARLIEST, (_earliest_date(group) or EARLIEST) - WINDOW_PADDING)
        if end is None:
            yield from _charged(cast(Iterator[Instance], query.after(low)))
        elif low < end + WINDOW_PADDING:  # else the series starts after the range
            _charge_series(group, low, end + WINDOW_PADDING)
            yield from cast(list[Instance], query.between(low, end + WINDOW_PADDING))


def owned_instances(
    component: Component,
    series: list[Component] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Iterator[Instance]:
    """Candidate instances that ``component`` itself defines (see :func:`iter_instances`).

    A recurring master owns the instances of its set that no override
    replaced; any other component owns exactly its one instance.

    Args:
        component: A VEVENT, VTODO, VJOURNAL or AVAILABLE.
        series: Master and overrides sharing its UID; defaults to ``[component]``.
        start: Aware range start, ``None`` for unbounded.
        end: Aware range end, ``None`` for unbounded (an infinite master then
            yields for ever, in start order).
    """
    if not defines_recurrence(component) or "RECURRENCE-ID" in component:
        yield single_instance(component)
        return
    for instance in iter_instances(series or [component], start, end):
        if instance.component is component:
            yield instance


def series_instances(group: list[Component], limit: int) -> list[Instance] | None:
    """All instances of one bounded series, or ``None`` if more than ``limit``.

    Args:
        group: Master and overrides of one UID.
        limit: Most instances worth enumerating.
    """
    if not _is_recurring_group(group):
        return [single_instance(c) for c in group]
    query = _query(group, str(group[0].name))
    _charge_series(group, None, LATEST)
    found = cast(list[Instance], query.between(EARLIEST, LATEST))
    return found if len(found) <= limit else None


def _earliest_date(group: list[Component]) -> datetime | None:
    """The earliest DTSTART, DUE or RDATE of a series, as UTC (floating read as UTC)."""
    found: list[datetime] = []
    for component in group:
        for name in ("DTSTART", "DUE"):
            value = getattr(component.get(name), "dt", None)
            if isinstance(value, date):
                found.append(_as_utc(value))
        rdates = component.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            for item in rdate.dts:
                value = item.dt[0] if isinstance(item.dt, tuple) else item.dt
                found.append(_as_utc(value))
    return min(found) if found else None


def _as_utc(value: Time) -> datetime:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def first_instances(group: list[Component]) -> list[Instance]:
    """The instances of a series in the year after its earliest date (start order).

    No instance of a series starts before its earliest DTSTART or RDATE, so the
    first of these is the series' first instance, unless EXDATEs remove a whole
    year of it (then the list is empty).
    """
    if not _is_recurring_group(group):
        return [single_instance(c) for c in group]
    earliest = _earliest_date(group)
    if earliest is None:
        return []
    query = _query(group, str(group[0].name))
    found = cast(
        list[Instance],
        query.between(earliest - WINDOW_PADDING, earliest + timedelta(days=366)),
    )
    return sorted(found, key=lambda i: _as_utc(i.start) if i.start is not None else earliest)


def series_groups(calendar: Component, name: str) -> list[list[Component]]:
    """The top-level ``name`` components of ``calendar``, grouped by UID."""
    return _series_groups(top_level(calendar, name))
