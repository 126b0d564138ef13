"""The CalDAV REPORTs (RFC 4791 §7): calendar-multiget, calendar-query, free-busy-query.

calendar-query lets the store's index narrow the candidates (component and time
range, clamped to the sync window, DESIGN.md §4), decides from the index what it
exactly can (:meth:`oxdav.caldav.filters.CalendarFilter.index_match`: objects with
``exact_spans`` under the common VEVENT time-range filter), reads only the rest and
the matches, and parses only the rest to match them exactly in Python
(:class:`oxdav.caldav.filters.CalendarFilter`). ``calendar-data`` in the property
list is filled per object: as stored for a bare element, else with partial
retrieval, expand (from the rendering prepared on write when there is one,
:mod:`oxdav.caldav.expand_prepared`) or limit-recurrence-set
(:mod:`oxdav.caldav.calendardata`). Answers stream through the multistatus writer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, tzinfo

from icalendar import Calendar
from icalendar.timezone import tzp
from lxml import etree
from twisted.logger import Logger

from oxdav.caldav.calendardata import (
    CalendarDataRequest,
    parse_calendar_data_request,
    render_calendar_data,
)
from oxdav.caldav.collection import CalendarCollection
from oxdav.caldav.errors import CalDAVError
from oxdav.caldav.expand_prepared import expand_prepared
from oxdav.caldav.filters import CalendarFilter, parse_filter
from oxdav.caldav.freebusy import parse_free_busy_query, render_free_busy
from oxdav.caldav.ical import load_calendar
from oxdav.dav.errors import DAVError
from oxdav.dav.multistatus import ResponseEntry, aiter_multistatus
from oxdav.dav.namespaces import CALDAV_NS, DAV_NS, clark
from oxdav.dav.paths import PathError, parent_path
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.propfind import (
    NOT_READABLE,
    PropFindRequest,
    PropFindType,
    parse_property_selection,
)
from oxdav.dav.reports import Report
from oxdav.dav.resource import DAVResource, Depth, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import child_elements
from oxdav.store.models import StoredObject

log = Logger()

CALENDAR_DATA = clark(CALDAV_NS, "calendar-data")
_HREF = clark(DAV_NS, "href")
_PROP = clark(DAV_NS, "prop")


def to_dav_error(error: CalDAVError) -> DAVError:
    """A CalDAV report error as 403 with its precondition, or 400 without one."""
    if error.precondition is None:
        return DAVError(400, None, error.message)
    return DAVError(403, error.element, error.message)


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


def calendar_data(stored: StoredObject, data_request: CalendarDataRequest | None,
                  tz: tzinfo) -> bytes:
    """The calendar-data of one object: an expand from its prepared expansion when it
    has one (:mod:`oxdav.caldav.expand_prepared`), else parsed
    (:func:`~oxdav.caldav.calendardata.render_calendar_data`).

    Raises:
        DAVError: 400/403 for a calendar-data request the object cannot answer.
    """
    rng = None if data_request is None else data_request.expand_only
    if rng is not None:
        data = expand_prepared(stored.derived, rng, tz)
        if data is not None:
            return data
    try:
        return render_calendar_data(stored.data, data_request, tz)
    except CalDAVError as error:
        raise to_dav_error(error) from None


def readable(stored: StoredObject) -> Calendar | None:
    """The parsed object, or ``None`` (logged) for one stored before PUT checked that
    no longer parses: like an unreadable card in CardDAV's filters, it matches nothing
    and is busy at no time, instead of failing the whole report."""
    try:
        return load_calendar(stored.data)
    except ValueError as error:
        log.warn("{name}: passed over, it does not parse: {error}", name=stored.name,
                 error=error)
        return None


class _ObjectReport(Report):
    """A report on a calendar collection answering with properties of its objects."""

    def __init__(self, properties: PropertyRegistry) -> None:
        self._properties = properties

    def supported_by(self, resource: DAVResource) -> bool:
        return isinstance(resource, CalendarCollection)

    @staticmethod
    def selection(body: etree._Element) -> tuple[PropFindRequest, CalendarDataRequest | None,
                                                 bool]:
        """The properties wanted besides calendar-data, its request, whether it is wanted.

        Raises:
            DAVError: 400/403 for a malformed calendar-data element (§9.6).
        """
        request = parse_property_selection(body) or PropFindRequest.allprop()
        if request.type is not PropFindType.PROP or CALENDAR_DATA not in request.names:
            return request, None, False
        element = next(e for p in child_elements(body) if p.tag == _PROP
                       for e in child_elements(p) if e.tag == CALENDAR_DATA)
        try:
            data_request = parse_calendar_data_request(element)
        except CalDAVError as error:
            raise to_dav_error(error) from None
        rest = PropFindRequest.prop([n for n in request.names if n != CALENDAR_DATA])
        return rest, data_request, True

    async def entries(self, ctx: RequestContext, collection: CalendarCollection,
                      objects: Iterable[StoredObject], request: PropFindRequest,
                      data_request: CalendarDataRequest | None, wants_data: bool,
                      tz: tzinfo) -> AsyncIterator[ResponseEntry]:
        """One response per object, calendar-data included when asked for."""
        for stored in objects:
            member = collection.member(stored.meta)
            result = await self._properties.evaluate(ctx, member, request)
            if wants_data:
                try:
                    data = calendar_data(stored, data_request, tz)
                except DAVError as error:  # this object cannot answer what was asked
                    result.set_status(CALENDAR_DATA, error.status, error.precondition_name)
                except ValueError as error:  # stored before PUT checked, no longer parses
                    result.set_failed(CALENDAR_DATA, f"it does not parse: {error}",
                                      NOT_READABLE)
                else:
                    # Bytes that are no UTF-8 stay unwritable surrogates: 500 as well.
                    result.set(CALENDAR_DATA, data.decode("utf-8", "surrogateescape"))
            yield result.to_entry()


class CalendarMultigetReport(_ObjectReport):
    """CALDAV:calendar-multiget (RFC 4791 §7.9): the named objects; unknown ones 404."""

    name = clark(CALDAV_NS, "calendar-multiget")
    default_depth = Depth.ZERO

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        assert isinstance(resource, CalendarCollection)
        request, data_request, wants_data = self.selection(body)
        hrefs = [(e.text or "").strip() for e in child_elements(body) if e.tag == _HREF]
        if not hrefs:
            raise DAVError(400, None, "calendar-multiget needs at least one href")
        names: dict[str, str] = {}
        for href in hrefs:
            try:
                path = ctx.paths.dav_path_of_href(href)
            except PathError:
                path = None
            if path is not None and parent_path(path).rstrip("/") == resource.path:
                names[href] = path.rsplit("/", 1)[1]
        found = {s.name: s for s in await resource.collection.get_many(
            names.values(), derived=wants_derived(data_request))}
        tz = query_timezone(await resource.timezone_text())
        collection = resource

        async def entries() -> AsyncIterator[ResponseEntry]:
            present = [found[names[h]] for h in hrefs if h in names and names[h] in found]
            async for entry in self.entries(ctx, collection, present, request, data_request,
                                            wants_data, tz):
                yield entry
            for href in hrefs:
                if href not in names or names[href] not in found:
                    yield ResponseEntry(href, status=404)

        return DAVResponse.multistatus(aiter_multistatus(entries(), minimal=ctx.minimal),
                                       minimal_applied=ctx.prefer_minimal)


class CalendarQueryReport(_ObjectReport):
    """CALDAV:calendar-query (RFC 4791 §7.8): index narrowing, then the exact filter."""

    name = clark(CALDAV_NS, "calendar-query")
    default_depth = Depth.ZERO

    @staticmethod
    def parse(body: etree._Element) -> tuple[CalendarFilter, str | None]:
        """The filter and the CALDAV:timezone text of a query (§9.7, §9.8).

        Raises:
            DAVError: 403 ``valid-filter``/``supported-collation``, 400 without filter.
        """
        filters = [e for e in child_elements(body) if e.tag == clark(CALDAV_NS, "filter")]
        if len(filters) != 1:
            raise DAVError(403, clark(CALDAV_NS, "valid-filter"),
                           "calendar-query needs exactly one filter")
        try:
            flt = parse_filter(filters[0])
        except CalDAVError as error:
            raise to_dav_error(error) from None
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
        window = resource.window.clamp(narrowing.start, narrowing.end)
        candidates = await resource.collection.list(time_range=window,
                                                    component=narrowing.component,
                                                    spans=True)
        decided = {m.name: flt.index_match(m, tz) for m in candidates}
        stored = await resource.collection.get_many(
            (name for name, decision in decided.items() if decision is not False),
            derived=wants_derived(data_request))
        try:
            matching = [s for s in stored if decided[s.name] or (
                (calendar := readable(s)) is not None and flt.matches(calendar, tz))]
        except CalDAVError as error:
            raise to_dav_error(error) from None
        return DAVResponse.multistatus(
            aiter_multistatus(self.entries(ctx, resource, matching, request, data_request,
                                           wants_data, tz), minimal=ctx.minimal),
            minimal_applied=ctx.prefer_minimal)


class FreeBusyQueryReport(Report):
    """CALDAV:free-busy-query (RFC 4791 §7.10): one VFREEBUSY, 200 text/calendar."""

    name = clark(CALDAV_NS, "free-busy-query")
    default_depth = Depth.ONE

    def supported_by(self, resource: DAVResource) -> bool:
        return isinstance(resource, CalendarCollection)

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        assert isinstance(resource, CalendarCollection)
        try:
            rng = parse_free_busy_query(body)
        except CalDAVError as error:
            raise to_dav_error(error) from None
        assert rng.start is not None and rng.end is not None
        span = (int(rng.start.timestamp()), int(rng.end.timestamp()) + 1)
        metas = await resource.collection.list(time_range=span)
        stored = await resource.collection.get_many(m.name for m in metas)
        tz = query_timezone(await resource.timezone_text())
        data = render_free_busy([c for s in stored if (c := readable(s)) is not None], rng,
                                tz=tz)
        return DAVResponse(200, {"Content-Type": "text/calendar; charset=utf-8"}, data)


def calendar_reports(properties: PropertyRegistry) -> Sequence[Report]:
    """The CalDAV reports, registered by the calendar home."""
    return [CalendarMultigetReport(properties), CalendarQueryReport(properties),
            FreeBusyQueryReport()]
