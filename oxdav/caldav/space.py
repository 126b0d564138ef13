"""The calendar home ``/caldav/`` as a space of the folder tree (RFC 4791 §4.2).

Calendar and task folders appear as calendar collections
(:class:`~oxdav.caldav.collection.CalendarCollection`); the home makes new ones
(MKCALENDAR, :mod:`oxdav.caldav.mkcalendar`) and also holds the scheduling inbox and
outbox (RFC 6638 §2.1-2.2, :mod:`oxdav.caldav.schedule_boxes`). Implicit scheduling
(:class:`~oxdav.caldav.schedule_hooks.ObjectScheduling`) is plugged in by the
composition root and adds its methods, properties, errors and ``DAV:`` classes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from oxdav.caldav.collection import CalendarCollection
from oxdav.caldav.errors import ERROR_RESPONSES
from oxdav.caldav.mkcalendar import CalendarHomeCollection, MkcalendarMethod
from oxdav.caldav.properties import calendar_properties
from oxdav.caldav.reports import calendar_reports
from oxdav.caldav.schedule_boxes import SCHEDULE_BOXES, ScheduleBox
from oxdav.caldav.schedule_hooks import ObjectScheduling
from oxdav.dav.dispatch import MethodHandler
from oxdav.dav.errors import ErrorResponses
from oxdav.dav.namespaces import CALDAV_NS, clark
from oxdav.dav.properties import LiveProperty, PropertyRegistry
from oxdav.dav.reports import Report, ReportRegistry
from oxdav.dav.resource import DAVResource
from oxdav.folders.base import FolderTree
from oxdav.folders.space import FolderSpace, HomeCollection
from oxdav.sharing.notifications import NOTIFICATIONS_SEGMENT, NotificationCollection
from oxdav.store.interfaces import Collection

CALENDAR = clark(CALDAV_NS, "calendar")


class CalendarSpace(FolderSpace):
    """``/caldav/``: calendar and task folders, plus the schedule boxes and the
    notification collection of sharing."""

    name = "caldav"
    modules = ("calendar", "tasks")
    collection_type = CALENDAR
    member_content_type = "text/calendar; charset=utf-8"
    compliance = ("calendar-access",)
    max_resource_setting = "oxdav.caldav.maxResourceSize"

    def __init__(self, scheduling: ObjectScheduling | None = None) -> None:
        self.scheduling = scheduling
        if scheduling is not None:
            self.compliance = (*type(self).compliance, *scheduling.compliance)
            # A scheduling object's Schedule-Tag (GET, PUT, PROPFIND) is a dead property.
            self.member_properties = True

    def folder_collection(self, tree: FolderTree, store_collection: Collection, *,
                          path: str | None = None) -> CalendarCollection:
        return CalendarCollection(tree, self, store_collection, path=path)

    def home_collection(self, tree: FolderTree) -> HomeCollection:
        return CalendarHomeCollection(tree, self)

    async def children(self, tree: FolderTree) -> AsyncIterator[DAVResource]:
        async for child in super().children(tree):
            yield child
        for name in SCHEDULE_BOXES:
            yield ScheduleBox(tree, name)
        yield NotificationCollection(tree)

    async def special(self, tree: FolderTree, segment: str) -> DAVResource | None:
        if segment in SCHEDULE_BOXES:
            return ScheduleBox(tree, segment)
        if segment == NOTIFICATIONS_SEGMENT:
            return NotificationCollection(tree)
        return await super().special(tree, segment)

    def properties(self, reports: ReportRegistry) -> list[LiveProperty]:
        extra = [] if self.scheduling is None else self.scheduling.properties()
        return [*calendar_properties(), *extra]

    def reports(self, properties: PropertyRegistry) -> list[Report]:
        return list(calendar_reports(properties))

    def methods(self) -> list[MethodHandler]:
        extra = [] if self.scheduling is None else self.scheduling.methods()
        return [MkcalendarMethod(), *extra]

    def errors(self) -> ErrorResponses:
        if self.scheduling is None:
            return ERROR_RESPONSES
        return {**ERROR_RESPONSES, **self.scheduling.errors()}
