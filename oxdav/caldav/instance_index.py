"""The instance index of a recurring VEVENT object (DESIGN.md §7).

Exact spans (:func:`oxdav.caldav.index.exact_event_spans`) cover single events and
short bounded series. Every other series of one UID — open-ended weekly and daily
rules, yearly birthdays, long series with EXDATEs, RDATEs and overrides — has its
instances expanded once, on write, inside a window around the time of writing
(``[now - past, now + future]``, settings :data:`PAST_DAYS` and :data:`FUTURE_DAYS`):
the store keeps one row per instance span and answers a time range inside that
window from them (``ObjectIndex.instances``), so the read path never parses or
steps a series from its DTSTART. A range reaching outside the window goes to the
parsing path until the object is indexed again (``oxdav-admin object reindex``).

Spans are §9.9's (:func:`oxdav.caldav.index.exact_span`): zoned and UTC instances
in UTC epoch seconds, time zones resolved here once; all-day instances, and
floating DATE-TIME ones with an end after their start, as wall-clock times written
as if UTC (``floating``), read in the query's zone (RFC 4791 §7.3) by
:func:`oxdav.caldav.filters.span_overlaps`. An object mixing kinds, with EXRULE,
RANGE overrides, RDATE periods, or more than :data:`MAX_INDEXED` instances in the
window is not indexed (parsing path).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Component

from oxdav.caldav.index import FLOATING_SLACK, exact_span, is_all_day
from oxdav.caldav.instances import Instance, defines_recurrence, single_instance, top_level
from oxdav.caldav.timerange import instances_overlapping
from oxdav.store.models import InstanceSpans

#: Settings: days before and after the time of writing that a series is expanded for.
PAST_DAYS = "oxdav.caldav.instanceIndex.pastDays"
FUTURE_DAYS = "oxdav.caldav.instanceIndex.futureDays"
DEFAULT_PAST_DAYS = 180
DEFAULT_FUTURE_DAYS = 400

#: Most instances of one object kept in the index; a series with more in the window
#: (a minutely rule) is left to the parsing path.
MAX_INDEXED = 5000

_WALL_EPOCH = datetime(1970, 1, 1)
_DAY = 86_400


@dataclass(frozen=True)
class Window:
    """UTC epoch seconds ``[start, end]`` a series is expanded for."""

    start: int
    end: int

    @classmethod
    def around(cls, now: float | None = None, past_days: int = DEFAULT_PAST_DAYS,
               future_days: int = DEFAULT_FUTURE_DAYS) -> Window:
        """The window around ``now`` (default: the clock), whole UTC days."""
        today = int(time.time() if now is None else now) // _DAY * _DAY
        return cls(today - past_days * _DAY, today + (future_days + 1) * _DAY)


def unusual(events: list[Component]) -> bool:
    """Recurrence constructs left to the parsing path: EXRULE, RANGE, RDATE periods."""
    for event in events:
        if "EXRULE" in event:
            return True
        rid = event.get("RECURRENCE-ID")
        if rid is not None and "RANGE" in rid.params:
            return True
        rdates = event.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            if str(rdate.params.get("VALUE", "")).upper() == "PERIOD" or any(
                    isinstance(item.dt, tuple) for item in rdate.dts):
                return True
    return False


def orphans(calendar: Component, master: Component) -> list[Instance]:
    """The overrides of instances the master's EXDATE removes. The expansion drops
    them, but the §9.9 filter tests every component on its own (RFC 4791 §9.7.1), so
    the query finds them, as the bounded series' exact spans do."""
    excluded: set[object] = set()
    values = master.get("EXDATE", [])
    for entry in values if isinstance(values, list) else [values]:
        excluded.update(_moment(item.dt) for item in entry.dts)
    return [single_instance(event) for event in top_level(calendar, "VEVENT")
            if "RECURRENCE-ID" in event and _moment(event["RECURRENCE-ID"].dt) in excluded]


def _moment(value: object) -> object:
    """A DATE-TIME as a UTC instant (zoned) or as written (floating, DATE)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def _wall(moment: datetime | date) -> int:
    value = moment if isinstance(moment, datetime) else datetime(*moment.timetuple()[:3])
    return int((value.replace(tzinfo=None) - _WALL_EPOCH).total_seconds())


def floating_span(instance: Instance) -> tuple[int, int] | None:
    """A floating DATE-TIME instance as wall-clock seconds, if it ends after it starts."""
    start, end = instance.start, instance.end
    if not (isinstance(start, datetime) and isinstance(end, datetime)
            and start.tzinfo is None and end.tzinfo is None and end > start):
        return None
    if start.microsecond or end.microsecond:
        return None
    return _wall(start), _wall(end)


def _kind(instance: Instance) -> str:
    if is_all_day(instance):
        return "all-day"
    start = instance.start
    if isinstance(start, datetime) and start.tzinfo is None:
        return "floating"
    return "zoned"


def span_of(instance: Instance, kind: str) -> tuple[int, int] | None:
    """The indexed span of one instance of a series of ``kind``, or ``None``."""
    if kind == "floating":
        return floating_span(instance)
    return exact_span(instance, kind == "all-day")


def series_master(calendar: Component) -> Component | None:
    """The one master of a recurring VEVENT object of one UID that the index takes."""
    events = top_level(calendar, "VEVENT")
    masters = [e for e in events if "RECURRENCE-ID" not in e]
    if (len(masters) != 1 or not defines_recurrence(masters[0])
            or len({str(e.get("UID")) for e in events}) != 1 or unusual(events)):
        return None
    return masters[0]


def window_instances(calendar: Component, window: Window) -> list[Instance] | None:
    """The instances of the object that may meet a range inside ``window``."""
    slack = FLOATING_SLACK + timedelta(days=1)
    low = datetime.fromtimestamp(window.start, UTC) - slack
    high = datetime.fromtimestamp(window.end, UTC) + slack
    found: list[Instance] = []
    for instance in instances_overlapping(calendar, low, high, component="VEVENT"):
        found.append(instance)
        if len(found) > MAX_INDEXED:
            return None
    return found


def instance_spans(calendar: Component, window: Window
                   ) -> tuple[InstanceSpans, list[Instance]] | None:
    """The instance index of a recurring VEVENT object over ``window``, with the
    instances of the expansion it was made of (in expansion order; the spans also hold
    the :func:`orphans`), or ``None`` when it takes none."""
    master = series_master(calendar)
    if master is None:
        return None
    instances = window_instances(calendar, window)
    if instances is None:
        return None
    tested = [*instances, *orphans(calendar, master)]
    kind = _kind(tested[0]) if tested else "zoned"
    spans = []
    for instance in tested:
        if _kind(instance) != kind:
            return None
        span = span_of(instance, kind)
        if span is None:
            return None
        spans.append(span)
    return InstanceSpans(window.start, window.end, tuple(sorted(set(spans))),
                         floating=kind != "zoned"), instances
