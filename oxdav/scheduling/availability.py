"""A user's availability (RFC 7953 §7.2.4 CALDAV:calendar-availability on the inbox):
the property as PROPFIND shows it, and as the free/busy of a POST to the outbox counts
it (busy outside the available times). The inbox keeps it
(:mod:`oxdav.caldav.schedule_boxes`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from oxdav.caldav.schedule_boxes import CALENDAR_AVAILABILITY, ScheduleBox, stored_availability
from oxdav.dav.properties import LiveProperty
from oxdav.dav.property_results import PropertyValue
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.store.interfaces import Transaction
from oxdav.store.models import ObjectMeta, StoredObject


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
    """CALDAV:calendar-availability (RFC 7953 §7.2.4) of the requester's inbox."""

    name = CALENDAR_AVAILABILITY
    protected = False

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, ScheduleBox) and resource.is_inbox

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, ScheduleBox)
        tree = resource.tree
        return await stored_availability(tree.txn, tree.context_id, tree.user_id)
