"""Implicit scheduling on the calendar collections (RFC 6638 §3): the CalDAV face of
:mod:`oxdav.scheduling.implicit`, plugged into the calendar space as its
:class:`~oxdav.caldav.schedule_hooks.ObjectScheduling`.

PUT, DELETE, COPY and MOVE of calendar objects come here. An object without an
ORGANIZER (as the client sends it, or as it was) is stored as before, without any
further store call; a scheduling object is parsed once more and scheduled in the
request's transaction. COPY and MOVE between calendars of one owner schedule nothing
(the meeting stays the same); into another owner's calendar they are a removal here
and a new object there.
"""

from __future__ import annotations

import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from twisted.logger import Logger

from oxdav.caldav.collection import CalendarCollection, CalendarObject
from oxdav.dav.dispatch import MethodHandler
from oxdav.dav.errors import DAVError, ErrorResponses
from oxdav.dav.methods.capabilities import PutOutcome
from oxdav.dav.namespaces import CALDAV_NS, clark
from oxdav.dav.paths import PathError, parent_path
from oxdav.dav.properties import LiveProperty
from oxdav.dav.resource import RequestContext
from oxdav.folders.collection import FolderCollection
from oxdav.scheduling.delivery import ExternalDelivery, UndeliveredExternally
from oxdav.scheduling.errors import ScheduleTagMismatch, SchedulingError, TooManyToCancel
from oxdav.scheduling.implicit import SCHEDULE_TAG_PROPERTY, ImplicitScheduler
from oxdav.scheduling.outbox import OutboxPostMethod
from oxdav.scheduling.properties import scheduling_properties
from oxdav.store.errors import NotFound
from oxdav.store.models import StoredObject

log = Logger()
_T = TypeVar("_T")

#: CALDAV:max-attendees-per-instance (RFC 4791 §5.2.9), through the user's cascade.
MAX_ATTENDEES = "oxdav.caldav.maxAttendeesPerInstance"
_MARKERS = (b"ORGANIZER", b"organizer", b"Organizer")
#: Most upcoming scheduling objects whose attendees one DELETE of a calendar tells.
MAX_CANCELLED = 1000
_BATCH = 200


def _refused(error: SchedulingError) -> DAVError:
    if isinstance(error, ScheduleTagMismatch):
        return DAVError(412, None, error.message)
    precondition = clark(CALDAV_NS, error.precondition) if error.precondition else None
    return DAVError(403, precondition, error.message)


def _may_schedule(data: bytes | None) -> bool:
    return data is not None and any(m in data for m in _MARKERS)


class CalendarScheduling:
    """RFC 6638 scheduling for the calendar space.

    Args:
        external: where messages to anyone outside the writer's context go (the iMIP
            queue); by default nowhere (:class:`UndeliveredExternally`).
    """

    compliance = ("calendar-auto-schedule",)

    def __init__(self, external: ExternalDelivery | None = None) -> None:
        self.external: ExternalDelivery = external or UndeliveredExternally()

    def methods(self) -> list[MethodHandler]:
        return [OutboxPostMethod()]

    def properties(self) -> list[LiveProperty]:
        return scheduling_properties()

    def errors(self) -> ErrorResponses:
        return {SchedulingError: _refused}

    def _scheduler(self, collection: FolderCollection) -> ImplicitScheduler:
        tree = collection.tree
        return ImplicitScheduler(tree.txn, collection.folder.context_id, tree.work,
                                 self.external, int(tree.settings.get(MAX_ATTENDEES)))

    # -- PUT (and the destination of COPY/MOVE) -----------------------------------------

    async def put(self, collection: CalendarCollection, ctx: RequestContext, name: str,
                  body: bytes, content_type: str | None, index: object, *,
                  if_etag: str | None, if_absent: bool) -> PutOutcome:
        store = collection.store_collection
        old = await _stored(collection, name) if not if_absent else None
        wanted_tag = ctx.header("if-schedule-tag-match")
        if wanted_tag is not None:
            # RFC 6638 §8.3: the tag of the object as it is; none for no object.
            current = None if old is None else await _tag_of(collection, name)
            if current is None or current != wanted_tag.strip():
                raise ScheduleTagMismatch("If-Schedule-Tag-Match does not match")
        owner = collection.folder.owner_id
        if owner is None or not (_may_schedule(body) or _may_schedule(
                old.data if old else None)) or await _within_owner(collection, ctx):
            meta, created = await store.put(name, body, index,  # type: ignore[arg-type]
                                            if_etag=if_etag, if_absent=if_absent)
            return PutOutcome(f'"{meta.etag}"', created)
        scheduled = await _guarded(self._scheduler(collection).written(
            owner, old.data if old is not None else None, body))
        data = body if scheduled is None else scheduled.calendar or body
        if data != body:
            index = await collection.index(data, content_type)
        meta, created = await store.put(name, data, index,  # type: ignore[arg-type]
                                        if_etag=if_etag, if_absent=if_absent)
        if scheduled is None:
            if old is not None:  # no longer a scheduling object: no tag (RFC 6638 §3.2.10)
                await store.set_dead_properties(name, {}, remove=[SCHEDULE_TAG_PROPERTY])
            return PutOutcome(f'"{meta.etag}"', created)
        tag = scheduled.tag
        await store.set_dead_properties(name, {SCHEDULE_TAG_PROPERTY: tag})
        # RFC 4791 §5.3.4: no ETag when the stored bytes are not those sent.
        return PutOutcome(f'"{meta.etag}"' if data == body else None, created,
                          {"Schedule-Tag": f'"{tag}"'})

    # -- DELETE (and the source of MOVE) ------------------------------------------------

    async def delete(self, resource: CalendarObject, ctx: RequestContext, *,
                     if_etag: str | None) -> None:
        data = await resource.read()
        owner = resource.parent.folder.owner_id
        wanted_tag = ctx.header("if-schedule-tag-match")
        if wanted_tag is not None:  # RFC 6638 §8.3 applies to DELETE too
            current = await _tag_of(resource.parent, resource.meta.name)
            if current is None or current != wanted_tag.strip():
                raise ScheduleTagMismatch("If-Schedule-Tag-Match does not match")
        if owner is not None and _may_schedule(data) and not await _within_owner(
                resource.parent, ctx):
            if if_etag is not None and if_etag != resource.meta.etag:
                await resource.plain_delete(ctx, if_etag=if_etag)  # raises the mismatch
            reply = (ctx.header("schedule-reply") or "T").strip().upper() != "F"
            await _removing(self._scheduler(resource.parent).removed(
                owner, data, reply=reply))
        await resource.plain_delete(ctx, if_etag=if_etag)

    # -- DELETE of a whole calendar ------------------------------------------------------

    async def delete_collection(self, collection: FolderCollection,
                                ctx: RequestContext) -> None:
        """Cancel the meetings the owner organizes, and decline those they attend
        (unless ``Schedule-Reply: F``), for every scheduling object that has not ended
        yet: removing the calendar removes each of them (RFC 6638 §3.2.1.3, §3.2.2.3).
        At most :data:`MAX_CANCELLED` of them; past ones tell nobody anything."""
        owner = collection.folder.owner_id
        if owner is None:
            return
        store = collection.store_collection
        now = int(time.time())
        names = [m.name for m in await store.list(time_range=(now, None))]
        upcoming: list[bytes] = []
        for first in range(0, len(names), _BATCH):
            for stored in await store.get_many(names[first:first + _BATCH]):
                if _may_schedule(stored.data):
                    upcoming.append(stored.data)
            if len(upcoming) > MAX_CANCELLED:
                raise TooManyToCancel(MAX_CANCELLED)
        reply = (ctx.header("schedule-reply") or "T").strip().upper() != "F"
        scheduler = self._scheduler(collection)
        for data in upcoming:
            await _removing(scheduler.removed(owner, data, reply=reply))

    async def schedule_tag(self, resource: CalendarObject) -> str | None:
        # The tag is kept exactly while the object is a scheduling object (set by a
        # scheduling PUT, removed by one that leaves none): no read of the object.
        return await _tag_of(resource.parent, resource.meta.name)


async def _guarded(work: Coroutine[Any, Any, _T]) -> _T:
    """Scheduling's answer, or a 403 for calendar data it cannot follow: an object that
    passed the CalDAV checks may still hold what the iTIP rules trip over, and that is
    the client's data, never a 500 (logged, with the trace, for a fix)."""
    try:
        return await work
    except (KeyError, ValueError, TypeError, AttributeError, IndexError):
        log.failure("Scheduling could not follow a calendar object")
        raise SchedulingError("the scheduling properties of this object cannot be "
                              "processed") from None


async def _removing(work: Coroutine[Any, Any, None]) -> None:
    """The scheduling of a removal, unless it cannot follow the stored object (an old
    object stored before today's checks): a user can always delete their own data;
    the failure is logged and nobody is told."""
    try:
        await _guarded(work)
    except SchedulingError:
        pass


async def _stored(collection: CalendarCollection, name: str) -> StoredObject | None:
    try:
        return await collection.store_collection.get(name)
    except NotFound:
        return None


async def _tag_of(collection: FolderCollection, name: str) -> str | None:
    """The stored Schedule-Tag of ``name`` (quoted), None when it has none."""
    try:
        stored = await collection.store_collection.dead_properties(name)
    except NotFound:
        return None
    tag = stored.get(SCHEDULE_TAG_PROPERTY)
    return None if tag is None else f'"{tag}"'


async def _within_owner(collection: FolderCollection, ctx: RequestContext) -> bool:
    """Whether this write is one half of a COPY or MOVE between calendars of one owner
    (nothing to schedule: the meeting is the same)."""
    if ctx.method not in ("COPY", "MOVE"):
        return False
    destination = ctx.header("destination")
    if not destination:
        return False
    try:
        target = ctx.paths.dav_path_of_href(destination.strip())
    except PathError:
        return False
    if target is None:
        return False
    tree = collection.tree
    source = await tree.resolve(parent_path(ctx.path))
    into = await tree.resolve(parent_path(target))
    return (isinstance(source, FolderCollection) and isinstance(into, FolderCollection)
            and source.folder.owner_id == into.folder.owner_id)
