"""A calendar or task folder as a CalDAV calendar collection (RFC 4791 §4.2, §5.3.2).

Every PUT is parsed once (:func:`oxdav.caldav.ical.parse_calendar_object`) and its
index handed to the store, with its instances rendered for CALDAV:expand
(:mod:`oxdav.caldav.expand_prepared`), so nothing is parsed again on a read path except
where a report must look inside objects. Listings (Depth: 1) and sync-collection are
clamped to the user's sync window (DESIGN.md §4, :mod:`oxdav.caldav.window`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING

from lxml import etree
from twisted.logger import Logger

from oxdav.caldav.calendar_file import (
    CALENDAR_END,
    CALENDAR_FILE_TYPE,
    calendar_chunk,
    calendar_header,
    calendar_objects,
)
from oxdav.caldav.index import DEFAULT_MAX_INSTANCES
from oxdav.caldav.instance_index import FUTURE_DAYS, PAST_DAYS, Window
from oxdav.caldav.tasks import index_for_put
from oxdav.caldav.window import SyncWindow
from oxdav.dav.errors import DAVError, condition_with_hrefs
from oxdav.dav.methods.capabilities import PutOutcome, SyncChanges, WholeCollection
from oxdav.dav.namespaces import APPLE_ICAL_NS, CALDAV_NS, clark
from oxdav.dav.privileges import DAV_PRIVILEGES, READ, Privilege
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.folders.collection import FolderCollection, ObjectResource, load_value, store_value
from oxdav.folders.whole import FileContent, FileObject, check_whole_size, stored_batches
from oxdav.store.errors import UIDConflict
from oxdav.store.interfaces import Collection
from oxdav.store.models import Folder, ObjectIndex, ObjectMeta
from oxdav.work import INLINE_BYTES

if TYPE_CHECKING:
    from oxdav.caldav.schedule_hooks import ObjectScheduling

log = Logger()

#: CALDAV:max-instances (RFC 4791 §5.2.8), through the user's cascade.
MAX_INSTANCES = "oxdav.caldav.maxInstances"
#: Markers of a body whose parse may expand a recurrence set: never parsed inline.
RECURRENCE_MARKERS = (b"RRULE", b"RDATE", b"rrule", b"rdate")

#: Component types of a folder made for none in particular, by module: the OX folders
#: (DESIGN.md §4).
COMPONENTS_BY_MODULE: Mapping[str, frozenset[str]] = {
    "calendar": frozenset({"VEVENT"}), "tasks": frozenset({"VTODO"})}
#: Every component type a calendar here may take; what a calendar made without a
#: supported-calendar-component-set takes (RFC 4791 §5.2.3, §5.3.1).
ALL_COMPONENTS = frozenset({"VEVENT", "VTODO", "VJOURNAL"})

CALENDAR_DESCRIPTION = clark(CALDAV_NS, "calendar-description")
CALENDAR_TIMEZONE = clark(CALDAV_NS, "calendar-timezone")
CALENDAR_ORDER = clark(APPLE_ICAL_NS, "calendar-order")
NO_UID_CONFLICT = clark(CALDAV_NS, "no-uid-conflict")
#: RFC 4791 §6.1.1: CALDAV:read-free-busy, aggregated under DAV:read on calendars.
READ_FREE_BUSY = clark(CALDAV_NS, "read-free-busy")
CALENDAR_PRIVILEGES = DAV_PRIVILEGES.with_child(
    READ, Privilege(READ_FREE_BUSY, "Read free/busy information"))

#: Live properties kept in the collection's dead-property storage (no folder field).
STORED_AS_DEAD = frozenset({CALENDAR_TIMEZONE, CALENDAR_ORDER})


def stored_object_index(data: bytes) -> ObjectIndex:
    """The index of a calendar object stored before (and checked when it was written),
    made as a PUT makes it: for a re-index after the indexing changed.

    Raises:
        CalendarDataError: the bytes no longer parse.
    """
    return index_for_put(data, ALL_COMPONENTS, len(data), None, DEFAULT_MAX_INSTANCES, None)


def folder_components(folder: Folder) -> frozenset[str]:
    """The component types ``folder`` takes: those it was made for, else its module's."""
    if folder.components:
        return frozenset(folder.components)
    return COMPONENTS_BY_MODULE.get(folder.module, frozenset({"VEVENT"}))


class CalendarCollection(FolderCollection, WholeCollection, FileContent):
    """One calendar or task folder: VEVENT or VTODO for the OX folders, what its maker
    asked for (all of VEVENT, VTODO and VJOURNAL by default) for one made by a client.

    Args:
        path: the DAV path it is reached by, when not ``/caldav/<folderId>`` (a
            calendar reached by the name its client gave it in MKCALENDAR).
    """

    @property
    def supported_privileges(self) -> Privilege:
        return CALENDAR_PRIVILEGES

    @property
    def scheduling(self) -> ObjectScheduling | None:
        """Implicit scheduling, when the space has it (RFC 6638)."""
        return getattr(self.space, "scheduling", None)

    def member(self, meta: ObjectMeta, data: bytes | None = None) -> CalendarObject:
        return CalendarObject(self, self.store_collection, meta, data)

    @property
    def components(self) -> frozenset[str]:
        """Component types this collection takes (CALDAV:supported-calendar-component-set)."""
        return folder_components(self.folder)

    @property
    def max_instances(self) -> int:
        """CALDAV:max-instances: most recurrence instances an object here may have."""
        return int(self.tree.settings.get(MAX_INSTANCES))

    @cached_property
    def window(self) -> SyncWindow:
        """The user's sync window."""
        return SyncWindow.from_settings(self.tree.settings)

    # -- listings clamped to the window (DESIGN.md §4) ------------------------------

    async def children(self) -> AsyncIterator[DAVResource]:
        for meta in await self.store_collection.list(time_range=self.window.store_range()):
            yield self.member(meta)

    async def changes_since(self, revision: int | None, limit: int | None) -> SyncChanges:
        """RFC 6578 changes inside the window; an object changed to lie outside it is
        reported removed (RFC 6578 §3.5.2: it left the client's view), so clients drop
        it. Work stays proportional to the changes: the index span travels with them."""
        changes = await super().changes_since(revision, limit)
        start, end = self.window.store_range()
        inside: list[DAVResource] = []
        left: list[str] = []
        for member in changes.changed:
            assert isinstance(member, ObjectResource)
            if member.meta.overlaps(start, end):
                inside.append(member)
            elif revision is not None:
                left.append(member.path)
        return SyncChanges(revision=changes.revision, changed=inside,
                           deleted=[*changes.deleted, *left], truncated=changes.truncated)

    # -- PUT (RFC 4791 §5.3.2) -------------------------------------------------------

    async def index(self, body: bytes, content_type: str | None) -> ObjectIndex:
        """Parse and validate ``body`` for this collection; its index, with its expansion
        prepared (:func:`oxdav.caldav.tasks.index_for_put`).

        Raises:
            CalendarDataError: a §5.3.2.1 precondition (answered 403 or 415).
        """
        settings = self.tree.settings
        window = Window.around(past_days=int(settings.get(PAST_DAYS)),
                               future_days=int(settings.get(FUTURE_DAYS)))
        args = (body, self.components, self.max_resource_size or 0, content_type,
                self.max_instances, self.window.end, window)
        # A small body parses in well under a millisecond, unless a recurrence set
        # makes its index cost up to max-instances steps: that runs in a worker.
        cheap = len(body) <= INLINE_BYTES and not any(m in body for m in RECURRENCE_MARKERS)
        return index_for_put(*args) if cheap else await self.tree.work.process(
            index_for_put, *args)

    def uid_conflict(self, ctx: RequestContext, holder: str) -> DAVError:
        """403 ``no-uid-conflict`` naming the resource that holds the UID (§5.3.2.1)."""
        href = ctx.href(f"{self.path}/{holder}")
        return DAVError(403, condition_with_hrefs(NO_UID_CONFLICT, [href]),
                        f"the UID is already used by {holder}")

    async def validate_put(self, ctx: RequestContext, name: str, body: bytes,
                           content_type: str | None) -> ObjectIndex:
        """Parse once and check the window; return the index.

        The UID rule is the store's (``put`` raises UIDConflict, mapped in
        :meth:`put_member`): a UID already held by another name is refused with
        ``no-uid-conflict`` and that resource's href, also for macOS, which on this
        answer uses the href given (deliberate: one UID, one resource, RFC 4791
        §5.3.2.1).
        """
        index = await self.index(body, content_type)
        if self.window.strict:
            broken = self.window.violation(index.first_start, index.last_end)
            if broken is not None:
                raise DAVError(403, clark(CALDAV_NS, broken),
                               "the object lies outside the synchronised window")
        return index

    async def put_member(self, ctx: RequestContext, name: str, body: bytes,
                         content_type: str | None, *, if_etag: str | None,
                         if_absent: bool) -> PutOutcome:
        try:
            if self.scheduling is None:
                return await super().put_member(ctx, name, body, content_type,
                                                if_etag=if_etag, if_absent=if_absent)
            index = await self.validate_put(ctx, name, body, content_type)
            return await self.scheduling.put(self, ctx, name, body, content_type, index,
                                             if_etag=if_etag, if_absent=if_absent)
        except UIDConflict as conflict:
            raise self.uid_conflict(ctx, conflict.holder) from None

    async def delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        """Remove the calendar; its meetings are cancelled (or declined) first."""
        self.check_deletable()
        if self.scheduling is not None:
            await self.scheduling.delete_collection(self, ctx)
        await self.store_collection.delete_folder()

    # -- read whole, filled from a file (calendar_file) ------------------------------

    #: How objects imported from a file are named and sent.
    file_suffix = ".ics"
    file_content_type = CALENDAR_FILE_TYPE

    async def read_whole(self, ctx: RequestContext) -> tuple[AsyncIterator[bytes], str]:
        """Every object the user may read, outside the sync window too, as one
        iCalendar file (:mod:`oxdav.caldav.calendar_file`). Raises: DAVError 507."""
        metas = await self.store_collection.list()
        check_whole_size(metas, ctx.limits)
        return self._whole([meta.name for meta in metas]), CALENDAR_FILE_TYPE

    async def _whole(self, names: list[str]) -> AsyncIterator[bytes]:
        yield calendar_header(self.displayname)
        seen: set[str] = set()
        async for batch in stored_batches(self.store_collection, names):
            chunk, added, broken = await self.tree.work.sized_process(
                sum(len(s.data) for s in batch), calendar_chunk,
                [s.data for s in batch], frozenset(seen))
            seen.update(added)
            for position in broken:
                log.warn("folder {folder}: {name} left out of the whole calendar, its "
                         "text does not frame", folder=self.folder.id,
                         name=batch[position].name)
            yield chunk
        yield CALENDAR_END

    def split_file(self, data: bytes) -> list[FileObject]:
        """The calendar objects of an iCalendar file, one per UID.

        Raises:
            CalendarFileError: the file is no iCalendar text.
        """
        return calendar_objects(data)

    # -- writable live properties --------------------------------------------------

    def writable_live_properties(self) -> frozenset[str]:
        return super().writable_live_properties() | {CALENDAR_DESCRIPTION} | STORED_AS_DEAD

    async def patch_live_properties(self, values: Mapping[str, etree._Element | None]) -> None:
        own = {k: v for k, v in values.items() if k in STORED_AS_DEAD}
        if own:
            await self.store_collection.set_dead_properties(
                "", {k: store_value(v) for k, v in own.items() if v is not None},
                [k for k, v in own.items() if v is None])
        if CALENDAR_DESCRIPTION in values:
            element = values[CALENDAR_DESCRIPTION]
            text = (element.text or "").strip() if element is not None else ""
            await self.store_collection.update_folder(description=text or None)
        rest = {k: v for k, v in values.items()
                if k not in STORED_AS_DEAD and k != CALENDAR_DESCRIPTION}
        if rest:
            await super().patch_live_properties(rest)

    async def stored_property(self, name: str) -> etree._Element | None:
        """A live property kept in dead storage (calendar-timezone, calendar-order)."""
        text = (await self.store_collection.dead_properties("")).get(name)
        return None if text is None else load_value(text)

    async def timezone_text(self) -> str | None:
        """The CALDAV:calendar-timezone VCALENDAR text, if set (RFC 4791 §5.2.2)."""
        element = await self.stored_property(CALENDAR_TIMEZONE)
        return None if element is None else (element.text or None)


class CalendarObject(ObjectResource):
    """A calendar object resource (RFC 4791 §4.1): its removal may schedule, and a
    scheduling object carries a Schedule-Tag (RFC 6638 §3.2.10)."""

    parent: CalendarCollection

    def __init__(self, parent: CalendarCollection, store_collection: Collection,
                 meta: ObjectMeta, data: bytes | None = None) -> None:
        super().__init__(parent, store_collection, meta, data)

    async def delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        scheduling = self.parent.scheduling
        if scheduling is None:
            await super().delete(ctx, if_etag=if_etag)
        else:
            await scheduling.delete(self, ctx, if_etag=if_etag)

    async def plain_delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        """Remove the object without scheduling."""
        await super().delete(ctx, if_etag=if_etag)

    async def schedule_tag(self) -> str | None:
        """The Schedule-Tag (quoted), None for no scheduling object."""
        scheduling = self.parent.scheduling
        return None if scheduling is None else await scheduling.schedule_tag(self)

    async def response_headers(self) -> Mapping[str, str]:
        tag = await self.schedule_tag()
        return {} if tag is None else {"Schedule-Tag": tag}
