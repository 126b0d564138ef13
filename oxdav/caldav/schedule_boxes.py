"""The scheduling inbox and outbox of the calendar home (RFC 6638 §2.1-2.2).

The inbox shows the requester's own iTIP messages (the store's ``inbox_items``): its
owner reads and deletes them (RFC 6638 §2.2); scheduling puts them there. It also
carries the owner's availability (RFC 7953 §7.2.4 CALDAV:calendar-availability), kept
as a hidden dead property of their default calendar since the inbox is no folder. The
outbox holds nothing; scheduling answers POST to it (free/busy, RFC 6638 §5).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from icalendar import Calendar
from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import Deletable, LivePropertyWriter, ReadableContent
from oxdav.dav.namespaces import CALDAV_NS, clark
from oxdav.dav.privileges import READ, UNBIND
from oxdav.dav.resource import COLLECTION, DAVResource, Principal, RequestContext
from oxdav.folders.base import FolderTree, MemberLookup, TreeResource
from oxdav.principals.resources import InTree
from oxdav.store.errors import ETagMismatch, NotFound
from oxdav.store.interfaces import Transaction
from oxdav.store.models import InboxItem, Module

INBOX = "schedule-inbox"
OUTBOX = "schedule-outbox"
SCHEDULE_BOXES = {INBOX: clark(CALDAV_NS, "schedule-inbox"),
                  OUTBOX: clark(CALDAV_NS, "schedule-outbox")}
#: RFC 6638 §6.1: the privileges of the boxes, under DAV:read/DAV:write.
SCHEDULE_DELIVER = clark(CALDAV_NS, "schedule-deliver")
SCHEDULE_SEND = clark(CALDAV_NS, "schedule-send")
CALENDAR_AVAILABILITY = clark(CALDAV_NS, "calendar-availability")
#: Where the availability is kept: hidden from PROPFIND and PROPPATCH of the folder.
AVAILABILITY_STORED_AS = "{urn:oxdav}calendar-availability"
#: Largest availability accepted, in characters.
MAX_AVAILABILITY = 64 * 1024


async def default_calendar_id(txn: Transaction, context_id: int, user_id: int,
                              module: Module = "calendar") -> int | None:
    """The id of the user's default calendar (RFC 6638 §9.2), None when they have none."""
    for folder in await txn.folders(context_id, module=module):
        if folder.owner_id == user_id and folder.is_default:
            return int(folder.id)
    return None


async def stored_availability(txn: Transaction, context_id: int, user_id: int
                              ) -> str | None:
    """The user's VCALENDAR with VAVAILABILITY (RFC 7953), None when unset."""
    folder_id = await default_calendar_id(txn, context_id, user_id)
    if folder_id is None:
        return None
    collection = await txn.system_collection(context_id, folder_id)
    return (await collection.dead_properties("")).get(AVAILABILITY_STORED_AS)


class ScheduleBox(TreeResource, MemberLookup, LivePropertyWriter):
    """``/caldav/schedule-inbox/`` and ``schedule-outbox/`` of the requester."""

    def __init__(self, tree: FolderTree, name: str) -> None:
        super().__init__(tree, f"/caldav/{name}")
        self.name = name

    @property
    def resource_types(self) -> frozenset[str]:
        return frozenset({COLLECTION, SCHEDULE_BOXES[self.name]})

    @property
    def is_inbox(self) -> bool:
        return self.name == INBOX

    def privileges_for(self, principal: Principal | None) -> frozenset[str]:
        # Only ever the requester's own boxes.
        granted = {READ, SCHEDULE_DELIVER if self.is_inbox else SCHEDULE_SEND}
        return frozenset(granted | ({UNBIND} if self.is_inbox else set()))

    def writable_live_properties(self) -> frozenset[str]:
        return frozenset({CALENDAR_AVAILABILITY}) if self.is_inbox else frozenset()

    async def patch_live_properties(self, values: Mapping[str, etree._Element | None]) -> None:
        """Set or remove the availability (RFC 7953 §7.2.4)."""
        tree = self.tree
        folder_id = await default_calendar_id(tree.txn, tree.context_id, tree.user_id)
        if folder_id is None:
            raise DAVError(409, None, "no default calendar to keep the availability with")
        collection = await tree.txn.system_collection(tree.context_id, folder_id)
        element = values.get(CALENDAR_AVAILABILITY)
        text = "" if element is None else (element.text or "").strip()
        if not text:
            await collection.set_dead_properties("", {}, [AVAILABILITY_STORED_AS])
            return
        if len(text) > MAX_AVAILABILITY:
            raise DAVError(403, clark(CALDAV_NS, "max-resource-size"),
                           "the availability is too large")
        try:
            calendar = Calendar.from_ical(text)
        except ValueError as exc:
            raise DAVError(403, clark(CALDAV_NS, "valid-calendar-data"), str(exc)) from None
        if not any(c.name == "VAVAILABILITY" for c in calendar.subcomponents):
            raise DAVError(403, clark(CALDAV_NS, "valid-calendar-data"),
                           "a VCALENDAR with a VAVAILABILITY is required")
        await collection.set_dead_properties("", {AVAILABILITY_STORED_AS: text})

    async def children(self) -> AsyncIterator[DAVResource]:
        if self.is_inbox:
            for item in await self.tree.txn.inbox_items(self.tree.context_id,
                                                        self.tree.user_id):
                yield InboxMessage(self, item)

    async def resolve_member(self, name: str) -> DAVResource | None:
        if not self.is_inbox:
            return None
        try:
            item = await self.tree.txn.inbox_item(self.tree.context_id, self.tree.user_id,
                                                  name)
        except NotFound:
            return None
        return InboxMessage(self, item)


class InboxMessage(InTree, DAVResource, ReadableContent, Deletable):
    """One iTIP message in the requester's inbox: readable, deletable (RFC 6638 §2.2)."""

    def __init__(self, box: ScheduleBox, item: InboxItem) -> None:
        self.box = box
        self.tree = box.tree
        self.item = item

    @property
    def path(self) -> str:
        return f"{self.box.path}/{self.item.name}"

    @property
    def is_collection(self) -> bool:
        return False

    @property
    def etag(self) -> str:
        return f'"{self.item.etag}"'

    @property
    def content_type(self) -> str:
        return "text/calendar; charset=utf-8"

    @property
    def content_length(self) -> int:
        return len(self.item.data)

    @property
    def last_modified(self) -> Any:
        return self.item.created

    @property
    def creation_date(self) -> Any:
        return self.item.created

    def privileges_for(self, principal: Principal | None) -> frozenset[str]:
        return frozenset({READ, UNBIND})

    async def read(self) -> bytes:
        return self.item.data

    async def delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        if if_etag is not None and if_etag != self.item.etag:
            raise ETagMismatch(self.item.etag)
        await self.tree.txn.delete_inbox_item(self.tree.context_id, self.tree.user_id,
                                              self.item.name)
