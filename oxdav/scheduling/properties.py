"""The live properties scheduling adds (RFC 6638 §9, RFC 4791 §5.2.9), one class each."""

from __future__ import annotations

from lxml import etree

from oxdav.caldav.collection import CalendarCollection, CalendarObject
from oxdav.caldav.schedule_boxes import ScheduleBox, default_calendar_id
from oxdav.dav.namespaces import CALDAV_NS, DAV_NS, clark
from oxdav.dav.properties import LiveProperty
from oxdav.dav.property_results import PropertyValue
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.scheduling.availability import CalendarAvailabilityProperty

MAX_ATTENDEES = "oxdav.caldav.maxAttendeesPerInstance"


class ScheduleTagProperty(LiveProperty):
    """CALDAV:schedule-tag (RFC 6638 §9.3) of a scheduling object resource."""

    name = clark(CALDAV_NS, "schedule-tag")

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, CalendarObject)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, CalendarObject)
        return await resource.schedule_tag()


class ScheduleDefaultCalendarProperty(LiveProperty):
    """CALDAV:schedule-default-calendar-URL (RFC 6638 §9.2) on the inbox: where
    invitations to the requester are put, their default calendar."""

    name = clark(CALDAV_NS, "schedule-default-calendar-URL")

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, ScheduleBox) and resource.is_inbox

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, ScheduleBox)
        tree = resource.tree
        folder_id = await default_calendar_id(tree.txn, tree.context_id, tree.user_id)
        if folder_id is None:
            return None
        element = etree.Element(clark(DAV_NS, "href"))
        element.text = ctx.href(f"/caldav/{folder_id}", collection=True)
        return element


class MaxAttendeesProperty(LiveProperty):
    """CALDAV:max-attendees-per-instance (RFC 4791 §5.2.9) on calendars."""

    name = clark(CALDAV_NS, "max-attendees-per-instance")

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, CalendarCollection)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, CalendarCollection)
        return str(resource.tree.settings.get(MAX_ATTENDEES))


def scheduling_properties() -> list[LiveProperty]:
    """Every live property scheduling adds, in the order PROPFIND lists them."""
    return [ScheduleTagProperty(), ScheduleDefaultCalendarProperty(), MaxAttendeesProperty(),
            CalendarAvailabilityProperty()]
