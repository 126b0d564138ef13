"""CalDAV's CPU-heavy work as pure functions, for worker processes (``Work.process``).

Each takes bytes and plain values and returns plain values (an object as
:class:`ObjectBytes`, an answer as :class:`Answer`: named tuples, which cross to a
worker process several times cheaper than dataclasses): parsing a PUT body into
its index, answering a batch of objects of a report (the exact filter, calendar-data,
under the report's instance budget), deciding candidates from the index, a free-busy
answer. Nothing here reads the store or knows the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from typing import NamedTuple

from icalendar import Calendar
from twisted.logger import Logger

from oxdav.caldav.budget import InstanceBudget, TooManyInstances
from oxdav.caldav.calendardata import CalendarDataRequest, render_calendar_data
from oxdav.caldav.errors import CalDAVError
from oxdav.caldav.expand_prepared import (
    expand_prepared,
    indexed_busy,
    prepare_expansion,
    prepare_series_expansion,
)
from oxdav.caldav.filters import CalendarFilter
from oxdav.caldav.freebusy import render_free_busy
from oxdav.caldav.ical import ParsedCalendarObject, load_calendar, parse_calendar_object
from oxdav.caldav.index import DEFAULT_MAX_INSTANCES
from oxdav.caldav.instance_index import Window, instance_spans
from oxdav.caldav.timerange import TimeRange
from oxdav.dav.xmlchars import XMLText, xml_text_of
from oxdav.store.models import Candidate, InstanceSpans, ObjectIndex, StoredObject

log = Logger()


def object_index(parsed: ParsedCalendarObject, expansion: bytes | None,
                 instances: InstanceSpans | None = None) -> ObjectIndex:
    """What the store keeps of a calendar object besides its bytes."""
    return ObjectIndex(parsed.uid, parsed.component_type, parsed.first_start, parsed.last_end,
                       parsed.recurring, exact_spans=parsed.exact_spans,
                       floating_spans=parsed.all_day_spans, derived=expansion,
                       instances=instances)


def series_index(parsed: ParsedCalendarObject, window: Window) -> ObjectIndex | None:
    """The index of a series without exact spans, with its instances over ``window``
    (:mod:`oxdav.caldav.instance_index`) and their prepared expansion; ``None`` when
    the instance index does not take it."""
    if parsed.component_type != "VEVENT" or parsed.exact_spans is not None \
            or not parsed.recurring:
        return None
    try:
        found = instance_spans(parsed.calendar, window)
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        log.debug("No instance index for {uid}: {error}", uid=parsed.uid, error=error)
        return None
    if found is None:
        return None
    spans, instances = found
    return object_index(parsed, prepare_series_expansion(parsed, spans, instances), spans)


def index_for_put(body: bytes, allowed_components: frozenset[str], max_size: int,
                  content_type: str | None, max_instances: int,
                  horizon: datetime | None, window: Window | None = None) -> ObjectIndex:
    """Parse and check a PUT body once (``parse_calendar_object``) and return its index,
    with the rendering CALDAV:expand will read instead of parsing it again, and for a
    series the instances over ``window`` (default: around now, the default days).

    Raises:
        CalendarDataError: a RFC 4791 §5.3.2.1 precondition.
    """
    parsed = parse_calendar_object(body, allowed_components=allowed_components,
                                   max_size=max_size, content_type=content_type,
                                   max_instances=max_instances, horizon=horizon)
    indexed = series_index(parsed, window or Window.around())
    return indexed if indexed is not None else object_index(parsed, prepare_expansion(parsed))


def stored_series_index(data: bytes, window: Window) -> ObjectIndex | None:
    """The index of a stored calendar object with its instances over ``window``, made as
    a PUT makes it (:mod:`oxdav.caldav.horizon`); ``None`` when it no longer parses."""
    try:
        return index_for_put(data, frozenset({"VEVENT", "VTODO", "VJOURNAL"}), len(data),
                             None, DEFAULT_MAX_INSTANCES, None, window)
    except CalDAVError as error:
        log.warn("Not re-indexed, it no longer parses: {error}", error=error)
        return None


class ObjectBytes(NamedTuple):
    """What a task reads of a stored object: its name, data and derived bytes
    (``StoredObject`` without the listing entry, whose dates cost more to pickle than
    the text)."""

    name: str
    data: bytes
    derived: bytes | None = None


def object_bytes(objects: Iterable[StoredObject]) -> list[ObjectBytes]:
    """``objects`` as the tasks take them."""
    return [ObjectBytes(o.meta.name, o.data, o.derived) for o in objects]


def readable(stored: ObjectBytes) -> Calendar | None:
    """The parsed object, or ``None`` (logged) for one stored before PUT checked that
    no longer parses: like an unreadable card in CardDAV's filters, it matches nothing
    and is busy at no time, instead of failing the whole report."""
    try:
        return load_calendar(stored.data)
    except ValueError as error:
        log.warn("{name}: passed over, it does not parse: {error}", name=stored.name,
                 error=error)
        return None


def calendar_data(stored: ObjectBytes, data_request: CalendarDataRequest | None,
                  tz: tzinfo) -> bytes:
    """The calendar-data of one object: an expand from its prepared expansion when it
    has one (:mod:`oxdav.caldav.expand_prepared`), else parsed
    (:func:`~oxdav.caldav.calendardata.render_calendar_data`).

    Raises:
        CalDAVError: a calendar-data request the object cannot answer.
    """
    rng = None if data_request is None else data_request.expand_only
    if rng is not None:
        data = expand_prepared(stored.derived, rng, tz)
        if data is not None:
            return data
    return render_calendar_data(stored.data, data_request, tz)


class Answer(NamedTuple):
    """One object's part of a report answer: its calendar-data (checked for XML), or
    the precondition it cannot meet, or why its stored text cannot be served."""

    name: str
    data: XMLText | None = None
    refused: CalDAVError | None = None
    unreadable: str | None = None
    unwritable: str | None = None


def _answer(stored: ObjectBytes, data_request: CalendarDataRequest | None, wants_data: bool,
            tz: tzinfo) -> Answer:
    if not wants_data:
        return Answer(stored.name)
    try:
        data = calendar_data(stored, data_request, tz)
    except CalDAVError as error:  # this object cannot answer what was asked
        return Answer(stored.name, refused=error)
    except ValueError as error:  # stored before PUT checked, no longer parses
        return Answer(stored.name, unreadable=f"it does not parse: {error}")
    checked = xml_text_of(data)
    if isinstance(checked, str):
        return Answer(stored.name, data=checked)
    return Answer(stored.name, unwritable=checked.where)


def answer_objects(objects: Sequence[ObjectBytes], decided: dict[str, bool | None],
                   flt: CalendarFilter | None, data_request: CalendarDataRequest | None,
                   wants_data: bool, tz: tzinfo, instances: float
                   ) -> tuple[list[Answer], bool, float]:
    """The answers for the objects a report keeps, in order: those ``decided`` True,
    and those it left None (or all, without ``flt``) that match ``flt``. Expansion may
    use ``instances`` recurrence instances (:mod:`oxdav.caldav.budget`).

    Returns:
        The answers, whether the instances ran out on the way (the answers then stop
        there) and how many were used.
    """
    budget = InstanceBudget(max(int(instances), 0))
    answers: list[Answer] = []
    with budget.active():
        try:
            for stored in objects:
                decision = decided.get(stored.name) if flt is not None else True
                if decision is None:
                    calendar = readable(stored)
                    decision = calendar is not None and flt is not None and \
                        flt.matches(calendar, tz)
                if decision:
                    answers.append(_answer(stored, data_request, wants_data, tz))
        except TooManyInstances:
            return answers, True, budget.used
    return answers, False, budget.used


def decide(flt: CalendarFilter, candidates: Sequence[Candidate], tz: tzinfo
           ) -> dict[str, bool | None]:
    """What the index decides of each candidate (None: the object must be parsed)."""
    return {m.name: flt.index_match(m, tz) for m in candidates}


def free_busy(objects: Sequence[ObjectBytes], rng: TimeRange, tz: tzinfo,
              instances: int) -> bytes:
    """The VFREEBUSY of ``objects``, expanding at most ``instances`` instances.

    Raises:
        TooManyInstances: the range holds more.
    """
    with InstanceBudget(instances).active():
        known: list[tuple[str, tuple[datetime, datetime]]] = []
        parsed = []
        for stored in objects:
            periods = indexed_busy(stored.derived, rng, tz)
            if periods is not None:
                known.extend(periods)
            elif (calendar := readable(stored)) is not None:
                parsed.append(calendar)
        return render_free_busy(parsed, rng, tz=tz, known=known)
