"""A user's availability (RFC 7953 §7.2.4 CALDAV:calendar-availability on the inbox).

Kept as a hidden dead property of the user's default calendar (the inbox is no
folder); the free/busy of a POST to the outbox counts it as busy outside the available
times. The property is readable and writable on the requester's own inbox only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar
from lxml import etree

from oxdav.caldav.schedule_boxes import ScheduleBox
from oxdav.dav.errors import DAVError
from oxdav.dav.namespaces import CALDAV_NS, clark
from oxdav.dav.properties import LiveProperty
from oxdav.dav.property_results import PropertyValue
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.scheduling.calendar_users import default_calendar_id
from oxdav.store.interfaces import Transaction
from oxdav.store.models import ObjectMeta, StoredObject

CALENDAR_AVAILABILITY = clark(CALDAV_NS, "calendar-availability")
#: Where it is kept: hidden from PROPFIND and PROPPATCH of the folder.
STORED_AS = "{urn:oxdav}calendar-availability"
#: Largest availability accepted, in characters.
MAX_TEXT = 64 * 1024


async def stored_availability(txn: Transaction, context_id: int, user_id: int
                              ) -> str | None:
    folder_id = await default_calendar_id(txn, context_id, user_id)
    if folder_id is None:
        return None
    collection = await txn.system_collection(context_id, folder_id)
    return (await collection.dead_properties("")).get(STORED_AS)


async def availability_object(txn: Transaction, context_id: int, user_id: int
                              ) -> StoredObject | None:
    """The availability as an object the free/busy computation takes, None if unset."""
    text = await stored_availability(txn, context_id, user_id)
    if not text:
        return None
    data = text.encode("utf-8")
    now = datetime.now(UTC)
    meta = ObjectMeta("availability", "", "", "VAVAILABILITY", len(data), 0, user_id,
                      now, now)
    return StoredObject(meta, data)


class CalendarAvailabilityProperty(LiveProperty):
    """CALDAV:calendar-availability (RFC 7953 §7.2.4): a VCALENDAR with VAVAILABILITY."""

    name = CALENDAR_AVAILABILITY
    protected = False

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, ScheduleBox) and resource.is_inbox

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, ScheduleBox)
        tree = resource.tree
        return await stored_availability(tree.txn, tree.context_id, tree.user_id)

    async def set(self, ctx: RequestContext, resource: DAVResource,
                  value: etree._Element | None) -> None:
        assert isinstance(resource, ScheduleBox)
        tree = resource.tree
        folder_id = await default_calendar_id(tree.txn, tree.context_id, tree.user_id)
        if folder_id is None:
            raise DAVError(409, None, "no default calendar to keep the availability with")
        collection = await tree.txn.system_collection(tree.context_id, folder_id)
        if value is None or not (value.text or "").strip():
            await collection.set_dead_properties("", {}, [STORED_AS])
            return
        text = value.text.strip()
        if len(text) > MAX_TEXT:
            raise DAVError(403, clark(CALDAV_NS, "max-resource-size"),
                           "the availability is too large")
        try:
            calendar = Calendar.from_ical(text)
        except ValueError as exc:
            raise DAVError(403, clark(CALDAV_NS, "valid-calendar-data"), str(exc)) from None
        if not any(c.name == "VAVAILABILITY" for c in calendar.subcomponents):
            raise DAVError(403, clark(CALDAV_NS, "valid-calendar-data"),
                           "a VCALENDAR with a VAVAILABILITY is required")
        await collection.set_dead_properties("", {STORED_AS: text})
