"""The scheduling inbox and outbox of the calendar home (RFC 6638 §2.1-2.2).

The inbox shows the requester's own iTIP messages (the store's ``inbox_items``): its
owner reads and deletes them (RFC 6638 §2.2); scheduling puts them there. The outbox
holds nothing; scheduling answers POST to it (free/busy, RFC 6638 §5).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from oxdav.dav.methods.capabilities import Deletable, ReadableContent
from oxdav.dav.namespaces import CALDAV_NS, clark
from oxdav.dav.privileges import READ, UNBIND
from oxdav.dav.resource import COLLECTION, DAVResource, Principal, RequestContext
from oxdav.folders.base import FolderTree, MemberLookup, TreeResource
from oxdav.principals.resources import InTree
from oxdav.store.errors import ETagMismatch, NotFound
from oxdav.store.models import InboxItem

INBOX = "schedule-inbox"
OUTBOX = "schedule-outbox"
SCHEDULE_BOXES = {INBOX: clark(CALDAV_NS, "schedule-inbox"),
                  OUTBOX: clark(CALDAV_NS, "schedule-outbox")}
#: RFC 6638 §6.1: the privileges of the boxes, under DAV:read/DAV:write.
SCHEDULE_DELIVER = clark(CALDAV_NS, "schedule-deliver")
SCHEDULE_SEND = clark(CALDAV_NS, "schedule-send")


class ScheduleBox(TreeResource, MemberLookup):
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
