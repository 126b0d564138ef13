"""CalDAV live properties of calendar collections (RFC 4791 §5.2) and Apple's.

:func:`calendar_properties` is the visible list the calendar home registers.
``calendar-home-set`` and the scheduling URLs live with the principals.
"""

from __future__ import annotations

from lxml import etree

from oxdav.caldav.collection import (
    CALENDAR_DESCRIPTION,
    CALENDAR_ORDER,
    CALENDAR_TIMEZONE,
    CalendarCollection,
)
from oxdav.caldav.window import SyncWindow, utc_basic
from oxdav.dav.namespaces import APPLE_ICAL_NS, CALDAV_NS, clark
from oxdav.dav.properties import LiveProperty
from oxdav.dav.property_results import PropertyValue
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.folders.collection import FolderCollection


def _caldav(local: str) -> str:
    return clark(CALDAV_NS, local)


class _OnCalendars(LiveProperty):
    """A property of calendar collections only."""

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, CalendarCollection)


class SupportedCalendarComponentSetProperty(_OnCalendars):
    """CALDAV:supported-calendar-component-set (§5.2.3): what the calendar takes (VEVENT
    or VTODO for the OX folders, what its maker asked for for the others)."""

    name = _caldav("supported-calendar-component-set")

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, CalendarCollection)
        return [etree.Element(_caldav("comp"), name=c) for c in sorted(resource.components)]


class SupportedCalendarDataProperty(_OnCalendars):
    """CALDAV:supported-calendar-data (§5.2.4): iCalendar 2.0 only."""

    name = _caldav("supported-calendar-data")

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return etree.Element(_caldav("calendar-data"), {"content-type": "text/calendar",
                                                        "version": "2.0"})


class MaxResourceSizeProperty(_OnCalendars):
    """CALDAV:max-resource-size (§5.2.5), in octets."""

    name = _caldav("max-resource-size")

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, FolderCollection)
        return str(resource.max_resource_size)


class MaxInstancesProperty(_OnCalendars):
    """CALDAV:max-instances (§5.2.8): most recurrence instances an object may generate."""

    name = _caldav("max-instances")

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, CalendarCollection)
        return str(resource.max_instances)


def _window(resource: DAVResource) -> SyncWindow:
    assert isinstance(resource, CalendarCollection)
    return resource.window


class MinDateTimeProperty(_OnCalendars):
    """CALDAV:min-date-time (§5.2.6): the sync window's start (absent when unbounded)."""

    name = _caldav("min-date-time")

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        start = _window(resource).start
        return None if start is None else utc_basic(start)


class MaxDateTimeProperty(_OnCalendars):
    """CALDAV:max-date-time (§5.2.7): the sync window's end."""

    name = _caldav("max-date-time")

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return utc_basic(_window(resource).end)


class CalendarDescriptionProperty(_OnCalendars):
    """CALDAV:calendar-description (§5.2.1): the folder's description; writable."""

    name = CALENDAR_DESCRIPTION
    protected = False

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, CalendarCollection)
        return resource.folder.description or None


class CalendarColorProperty(_OnCalendars):
    """Apple ``calendar-color``: the folder's colour; writable."""

    name = clark(APPLE_ICAL_NS, "calendar-color")
    protected = False

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, CalendarCollection)
        return resource.folder.color or None


class _StoredProperty(_OnCalendars):
    """A writable property without a folder field, kept in dead storage."""

    protected = False

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, CalendarCollection)
        return await resource.stored_property(self.name)


class CalendarTimezoneProperty(_StoredProperty):
    """CALDAV:calendar-timezone (§5.2.2): a VCALENDAR with one VTIMEZONE; writable."""

    name = CALENDAR_TIMEZONE


class CalendarOrderProperty(_StoredProperty):
    """Apple ``calendar-order``: the client's sort position; writable."""

    name = CALENDAR_ORDER



def calendar_properties() -> list[LiveProperty]:
    """The CalDAV live properties, in the order PROPFIND lists them."""
    return [
        SupportedCalendarComponentSetProperty(),
        SupportedCalendarDataProperty(),
        MaxResourceSizeProperty(),
        MinDateTimeProperty(),
        MaxDateTimeProperty(),
        MaxInstancesProperty(),
        CalendarDescriptionProperty(),
        CalendarTimezoneProperty(),
        CalendarColorProperty(),
        CalendarOrderProperty(),
    ]
