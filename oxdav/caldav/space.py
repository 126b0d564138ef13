"""The calendar home ``/caldav/`` as a space of the folder tree (RFC 4791 §4.2).

Calendar and task folders appear as calendar collections
(:class:`~oxdav.caldav.collection.CalendarCollection`); the home makes new ones
(MKCALENDAR, :mod:`oxdav.caldav.mkcalendar`) and also holds the scheduling inbox and
outbox (RFC 6638 §2.1-2.2), which scheduling fills later.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from oxdav.caldav.collection import CalendarCollection
from oxdav.caldav.errors import ERROR_RESPONSES
from oxdav.caldav.mkcalendar import CalendarHomeCollection, MkcalendarMethod
from oxdav.caldav.properties import calendar_properties
from oxdav.caldav.reports import calendar_reports
from oxdav.dav.dispatch import MethodHandler
from oxdav.dav.errors import ErrorResponses
from oxdav.dav.namespaces import CALDAV_NS, clark
from oxdav.dav.properties import LiveProperty, PropertyRegistry
from oxdav.dav.reports import Report, ReportRegistry
from oxdav.dav.resource import COLLECTION, DAVResource
from oxdav.folders.base import FolderTree, TreeResource
from oxdav.folders.space import FolderSpace, HomeCollection
from oxdav.sharing.notifications import NOTIFICATIONS_SEGMENT, NotificationCollection
from oxdav.store.interfaces import Collection

CALENDAR = clark(CALDAV_NS, "calendar")
SCHEDULE_BOXES = {"schedule-inbox": clark(CALDAV_NS, "schedule-inbox"),
                  "schedule-outbox": clark(CALDAV_NS, "schedule-outbox")}


class ScheduleBox(TreeResource):
    """``/caldav/schedule-inbox/`` and ``schedule-outbox/`` (RFC 6638 §2.1-2.2)."""

    def __init__(self, tree: FolderTree, name: str) -> None:
        super().__init__(tree, f"/caldav/{name}")
        self.name = name

    @property
    def resource_types(self) -> frozenset[str]:
        return frozenset({COLLECTION, SCHEDULE_BOXES[self.name]})


class CalendarSpace(FolderSpace):
    """``/caldav/``: calendar and task folders, plus the schedule boxes and the
    notification collection of sharing."""

    name = "caldav"
    modules = ("calendar", "tasks")
    collection_type = CALENDAR
    member_content_type = "text/calendar; charset=utf-8"
    compliance = ("calendar-access",)
    max_resource_setting = "oxdav.caldav.maxResourceSize"

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
        return calendar_properties()

    def reports(self, properties: PropertyRegistry) -> list[Report]:
        return list(calendar_reports(properties))

    def methods(self) -> list[MethodHandler]:
        return [MkcalendarMethod()]

    def errors(self) -> ErrorResponses:
        return ERROR_RESPONSES
