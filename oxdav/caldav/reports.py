"""The CalDAV REPORTs (RFC 4791 §7): calendar-multiget, calendar-query, free-busy-query.

calendar-query lets the store's index narrow the candidates (component and time
range; the sync window only for a query that names no time range, DESIGN.md §4),
decides from the index what it exactly can
(:meth:`oxdav.caldav.filters.CalendarFilter.index_match`: objects with
``exact_spans`` under the common VEVENT time-range filter), reads only the rest and
the matches, and parses only the rest to match them exactly in Python
(:class:`oxdav.caldav.filters.CalendarFilter`). ``calendar-data`` in the property
list is filled per object: as stored for a bare element, else with partial
retrieval, expand (from the rendering prepared on write when there is one,
:mod:`oxdav.caldav.expand_prepared`) or limit-recurrence-set
(:mod:`oxdav.caldav.calendardata`). Answers stream through the multistatus writer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, tzinfo

from icalendar import Calendar
from icalendar.timezone import tzp
from lxml import etree
from twisted.logger import Logger

from oxdav.caldav.budget import InstanceBudget, TooManyInstances
from oxdav.caldav.calendardata import (
    CalendarDataRequest,
    parse_calendar_data_request,
)
from oxdav.caldav.collection import CalendarCollection
from oxdav.caldav.errors import refused_request
from oxdav.caldav.filters import CalendarFilter, parse_filter
from oxdav.caldav.freebusy import BUSY_COMPONENTS, parse_free_busy_query
from oxdav.caldav.tasks import Answer, answer_objects, decide, free_busy, object_bytes
from oxdav.dav.errors import DAVError
from oxdav.dav.limits import NUMBER_OF_MATCHES_WITHIN_LIMITS
from oxdav.dav.multiget import read_multiget
from oxdav.dav.multistatus import ResponseEntry, ResponseItem, multistatus_answer
from oxdav.dav.namespaces import CALDAV_NS, DAV_NS, clark
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.property_results import (
    NOT_READABLE,
    PropFindRequest,
    PropFindType,
    parse_property_selection,
)
from oxdav.dav.reports import Report
from oxdav.dav.resource import DAVResource, Depth, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import child_elements
from oxdav.store.models import Candidate, StoredObject

log = Logger()

CALENDAR_DATA = clark(CALDAV_NS, "calendar-data")
_PROP = clark(DAV_NS, "prop")


def query_timezone(text: str | None) -> tzinfo:
    """The zone of a CALDAV:timezone / calendar-timezone VCALENDAR (§7.3), else UTC."""
    if not text:
        return UTC
    try:
        for component in Calendar.from_ical(text).walk("VTIMEZONE"):
            zone: tzinfo = component.to_tz(tzp, lookup_tzid=False)
            return zone
    except (ValueError, KeyError, IndexError) as error:
        raise DAVError(403, clark(CALDAV_NS, "valid-calendar-data"),
                       f"the time zone cannot be read: {error}") from None
    return UTC


def wants_derived(data_request: CalendarDataRequest | None) -> bool:
    """Whether the objects' prepared expansions are worth reading (``get_many``)."""
    return data_request is not None and data_request.expand_only is not None


#: Objects read and answered per store call and per hop to the work pool.
BATCH = 200
#: Bytes of iCalendar a batch may parse inline (a few milliseconds); more go to a
#: worker process, which costs a millisecond or two to reach.
INLINE_PARSE_BYTES = 64 * 1024
#: Bytes of stored text a batch may check for XML inline when it parses nothing.
INLINE_CHECK_BYTES = 1024 * 1024
#: Indexed spans a calendar-query tests inline (about half a microsecond each, five for
#: a floating one read in the query's zone: one pacing slice, ``oxdav.work``), below
#: which the hop to the work pool costs more than it saves (the candidates pickled both
#: ways): the store hands out one span per series that decides.
INLINE_SPAN_TESTS = 10_000
#: The server-level setting bounding the recurrence instances of one report.
MAX_REPORT_INSTANCES = "oxdav.caldav.maxReportInstances"


def span_tests(candidates: Sequence[Candidate]) -> int:
    """What deciding ``candidates`` from the index costs, in :data:`INLINE_SPAN_TESTS`."""
    return sum(1 if m.exact_spans is None else len(m.exact_spans) * (5 if m.floating_spans else 1)
               for m in candidates)


def report_budget(resource: CalendarCollection) -> InstanceBudget:
    """The recurrence instances one report on ``resource`` may expand."""
    return InstanceBudget(int(resource.tree.settings.get(MAX_REPORT_INSTANCES)))


def truncated(ctx: RequestContext, resource: CalendarCollection) -> ResponseEntry:
    """The response ending an answer cut short by the instance budget: 507 for the
    request URI with ``DAV:number-of-matches-within-limits`` (as RFC 6352 §8.6.1 and
    RFC 6578 §3.6 say for answers cut short)."""
    return ResponseEntry(ctx.href(resource.path, collection=True), status=507,
                         error=NUMBER_OF_MATCHES_WITHIN_LIMITS,
                         description="the answer needs more recurrence instances than a "
                                     "report may expand; ask for a shorter time range")


class _ObjectReport(Report):
    """A report on a calendar collection answering with properties of its objects.

    Objects are read :data:`BATCH` at a time; what needs parsing (the exact filter,
    calendar-data other than the stored text) runs in a worker process
    (:func:`oxdav.caldav.tasks.answer_objects`) under the report's instance budget.
    """

    def __init__(self, properties: PropertyRegistry) -> None:
        self._properties = properties

    def supported_by(self, resource: DAVResource) -> bool:
        return isinstance(resource, CalendarCollection)

    @staticmethod
    def selection(body: etree._Element) -> tuple[PropFindRequest, CalendarDataRequest | None,
                                                 bool]:
        """The properties wanted (calendar-data among them or not), the calendar-data
        request, whether calendar-data is wanted.

        Raises:
            CalDAVError: a malformed calendar-data element (§9.6).
        """
        request = parse_property_selection(body) or PropFindRequest.allprop()
        if request.type is not PropFindType.PROP or CALENDAR_DATA not in request.names:
            return request, None, False
        element = next(e for p in child_elements(body) if p.tag == _PROP
                       for e in child_elements(p) if e.tag == CALENDAR_DATA)
        return request, parse_calendar_data_request(element), True

    async def answer_batch(self, resource: CalendarCollection, names: Sequence[str],
                           decided: dict[str, bool | None], flt: CalendarFilter | None,
                           data_request: CalendarDataRequest | None, wants_data: bool,
                           tz: tzinfo, budget: InstanceBudget
                           ) -> tuple[list[tuple[StoredObject, Answer]], bool]:
        """Read ``names`` and answer those the report keeps, in a worker process when
        anything must be parsed (:func:`~oxdav.caldav.tasks.answer_objects`), charging
        ``budget``; whether it ran out."""
        stored = await resource.store_collection.get_many(
            names, derived=wants_derived(data_request))
        transforms = wants_data and data_request is not None and not data_request.whole
        total = sum(len(s.data) for s in stored)
        if transforms:
            parsed = total
        elif flt is None:
            parsed = 0
        else:
            parsed = sum(len(s.data) for s in stored if decided.get(s.meta.name) is None)
        checked = total if wants_data else 0
        args = (object_bytes(stored), decided, flt, data_request, wants_data, tz,
                budget.limit - budget.used)
        if parsed <= INLINE_PARSE_BYTES and checked <= INLINE_CHECK_BYTES:
            answers, cut, used = answer_objects(*args)
        else:
            answers, cut, used = await resource.tree.work.process(answer_objects, *args)
        budget.used += used
        by_name = {s.name: s for s in stored}
        return [(by_name[a.name], a) for a in answers], cut

    async def entry(self, ctx: RequestContext, resource: CalendarCollection,
                    stored: StoredObject, answer: Answer, request: PropFindRequest
                    ) -> ResponseItem:
        """One object's response, calendar-data included when asked for: written from
        the template of its shape when every value is text
        (:meth:`PropertyRegistry.respond`)."""
        member = resource.member(stored.meta)
        if answer.data is not None:
            return await self._properties.respond(ctx, member, request,
                                                  known={CALENDAR_DATA: answer.data})
        if CALENDAR_DATA not in request.names:
            return await self._properties.respond(ctx, member, request)
        rest = PropFindRequest.prop([n for n in request.names if n != CALENDAR_DATA])
        result = await self._properties.evaluate(ctx, member, rest)
        if answer.refused is not None:
            error = refused_request(answer.refused)
            result.set_status(CALENDAR_DATA, error.status, error.precondition_name)
        elif answer.unreadable is not None:
            result.set_failed(CALENDAR_DATA, answer.unreadable, NOT_READABLE)
        elif answer.unwritable is not None:
            result.set_unwritable(CALENDAR_DATA, answer.unwritable)
        return result.to_entry()


class CalendarMultigetReport(_ObjectReport):
    """CALDAV:calendar-multiget (RFC 4791 §7.9): the named objects, inside the sync
    window or not (DESIGN.md §4); unknown ones 404."""

    name = clark(CALDAV_NS, "calendar-multiget")
    default_depth = Depth.ZERO

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        assert isinstance(resource, CalendarCollection)
        request, data_request, wants_data = self.selection(body)
        multiget = await read_multiget(resource.tree.work, ctx.limits, ctx.paths,
                                       resource.path, body)
        hrefs, names = multiget.hrefs, multiget.names
        tz = query_timezone(await resource.timezone_text())
        budget = report_budget(resource)

        async def entries() -> AsyncIterator[ResponseItem]:
            for first in range(0, len(hrefs), BATCH):
                batch = hrefs[first:first + BATCH]
                wanted = list(dict.fromkeys(names[h] for h in batch if h in names))
                answers, cut = await self.answer_batch(resource, wanted, {}, None,
                                                       data_request, wants_data, tz, budget)
                found = {stored.name: (stored, answer) for stored, answer in answers}
                for href in batch:
                    pair = found.get(names.get(href, ""))
                    if pair is not None:
                        yield await self.entry(ctx, resource, *pair, request)
                    elif not cut:
                        yield ResponseEntry(href, status=404)
                if cut:
                    yield truncated(ctx, resource)
                    return

        return multistatus_answer(ctx, entries())



class CalendarQueryReport(_ObjectReport):
    """CALDAV:calendar-query (RFC 4791 §7.8): index narrowing, then the exact filter."""

    name = clark(CALDAV_NS, "calendar-query")
    default_depth = Depth.ZERO

    @staticmethod
    def parse(body: etree._Element) -> tuple[CalendarFilter, str | None]:
        """The filter and the CALDAV:timezone text of a query (§9.7, §9.8).

        Raises:
            DAVError: 403 ``valid-filter`` without exactly one filter.
            CalDAVError: ``valid-filter``, ``supported-filter``, ``supported-collation``.
        """
        filters = [e for e in child_elements(body) if e.tag == clark(CALDAV_NS, "filter")]
        if len(filters) != 1:
            raise DAVError(403, clark(CALDAV_NS, "valid-filter"),
                           "calendar-query needs exactly one filter")
        flt = parse_filter(filters[0])
        zone = next((e.text for e in child_elements(body)
                     if e.tag == clark(CALDAV_NS, "timezone")), None)
        return flt, zone

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        assert isinstance(resource, CalendarCollection)
        request, data_request, wants_data = self.selection(body)
        flt, zone = self.parse(body)
        tz = query_timezone(zone if zone else await resource.timezone_text())
        narrowing = flt.narrowing()
        span = resource.window.query_range(narrowing.start, narrowing.end)
        candidates = await resource.store_collection.candidates(time_range=span,
                                                                component=narrowing.component)
        if span_tests(candidates) <= INLINE_SPAN_TESTS:
            decided = decide(flt, candidates, tz)
        else:
            decided = await resource.tree.work.process(decide, flt, candidates, tz)
        names = [name for name, decision in decided.items() if decision is not False]
        # What the batches still test: nothing when the index decided every candidate.
        undecided: CalendarFilter | None = flt if None in decided.values() else None
        budget = report_budget(resource)

        async def entries() -> AsyncIterator[ResponseItem]:
            for first in range(0, len(names), BATCH):
                answers, cut = await self.answer_batch(
                    resource, names[first:first + BATCH], decided, undecided, data_request,
                    wants_data, tz, budget)
                for stored, answer in answers:
                    yield await self.entry(ctx, resource, stored, answer, request)
                if cut:
                    yield truncated(ctx, resource)
                    return

        return multistatus_answer(ctx, entries())


class FreeBusyQueryReport(Report):
    """CALDAV:free-busy-query (RFC 4791 §7.10): one VFREEBUSY, 200 text/calendar, for
    the range asked, inside the sync window or not (DESIGN.md §4)."""

    name = clark(CALDAV_NS, "free-busy-query")
    default_depth = Depth.ONE

    def supported_by(self, resource: DAVResource) -> bool:
        return isinstance(resource, CalendarCollection)

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        assert isinstance(resource, CalendarCollection)
        rng = parse_free_busy_query(body)
        assert rng.start is not None and rng.end is not None
        span = (int(rng.start.timestamp()), int(rng.end.timestamp()) + 1)
        # Candidates: series whose indexed instances all lie away from the range drop out.
        found = [m for m in await resource.store_collection.candidates(time_range=span)
                 if m.component in BUSY_COMPONENTS]
        objects: list[StoredObject] = []
        for first in range(0, len(found), BATCH):
            batch = found[first:first + BATCH]
            # Derived bytes too: an indexed series answers from them, unparsed.
            objects += await resource.store_collection.get_many((m.name for m in batch),
                                                                derived=True)
        tz = query_timezone(await resource.timezone_text())
        try:
            data = await resource.tree.work.process(free_busy, objects, rng, tz,
                                                    report_budget(resource).limit)
        except TooManyInstances:
            raise DAVError(507, NUMBER_OF_MATCHES_WITHIN_LIMITS,
                           "the range holds more recurrence instances than a report may "
                           "expand; ask for a shorter range") from None
        return DAVResponse(200, {"Content-Type": "text/calendar; charset=utf-8"}, data)


def calendar_reports(properties: PropertyRegistry) -> Sequence[Report]:
    """The CalDAV reports, registered by the calendar home."""
    return [CalendarMultigetReport(properties), CalendarQueryReport(properties),
            FreeBusyQueryReport()]
