"""The DAV resource tree on the store, and the ``DavHandler`` that serves it.

Paths (DESIGN.md §3, DAV paths without the prefix)::

    /                                  DAV root
    /principals/  users/<id>/  groups/<id>/
    /caldav/                           calendar home: readable calendar + tasks folders
    /caldav/schedule-inbox/  schedule-outbox/
    /caldav/<folderId>/[<name>]
    /carddav/                          address book home: readable contacts folders
    /carddav/<folderId>/[<name>]

Every request runs in one store transaction (a write transaction for methods that
write) which stays open until the (streamed) body is written. A folder that does not
exist, belongs to another module or is unreadable is simply absent: 404, no leak.

The folder resources here are generic (no iCalendar/vCard): CalDAV/CardDAV give the
content semantics through :class:`ContentHooks` (``validate_put``); until they do, PUT
answers 501 Not Implemented.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lxml import etree
from twisted.logger import Logger
from twisted.web.server import Request

from oxdav.config import ConfigSnapshot
from oxdav.dav.dispatch import DAVEnvironment, Dispatcher, write_response
from oxdav.dav.errors import DAVError, ErrorMapper
from oxdav.dav.methods.capabilities import (
    DeadPropertyStore,
    Deletable,
    LivePropertyWriter,
    PutOutcome,
    ReadableContent,
    SyncableCollection,
    SyncChanges,
    WritableCollection,
)
from oxdav.dav.methods.lock import LockTable
from oxdav.dav.methods.registry import method_registry
from oxdav.dav.methods.sync_collection import SyncCollectionReport
from oxdav.dav.namespaces import APPLE_ICAL_NS, CALDAV_NS, CARDDAV_NS, DAV_NS, clark
from oxdav.dav.paths import PathMapper
from oxdav.dav.privileges import ALL, BIND, READ, UNBIND, WRITE, WRITE_CONTENT, WRITE_PROPERTIES
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.reports import ReportRegistry
from oxdav.dav.resource import COLLECTION, DAVResource, Principal, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.sync import SyncToken
from oxdav.dav.webdav_properties import generic_properties
from oxdav.dav.xml import parse_body
from oxdav.directory.results import Authenticated
from oxdav.principals.properties import principal_properties
from oxdav.principals.reports import principal_reports
from oxdav.principals.resources import (
    GROUPS_PATH,
    PRINCIPALS_PATH,
    USERS_PATH,
    GroupPrincipal,
    InDirectory,
    PrincipalCollection,
    UserPrincipal,
    user_principal_path,
)
from oxdav.principals.search import search_principals
from oxdav.store.errors import NotFound
from oxdav.store.interfaces import Collection, Home, Transaction
from oxdav.store.models import GAL_FOLDER_ID, Module, ObjectIndex, ObjectMeta

log = Logger()

CALENDAR = clark(CALDAV_NS, "calendar")
ADDRESSBOOK = clark(CARDDAV_NS, "addressbook")
DISPLAYNAME = clark(DAV_NS, "displayname")
CALENDAR_COLOR = clark(APPLE_ICAL_NS, "calendar-color")

#: Which folder modules each home serves, its collection type and member media type.
HOMES: dict[str, tuple[tuple[Module, ...], str, str]] = {
    "caldav": (("calendar", "tasks"), CALENDAR, "text/calendar; charset=utf-8"),
    "carddav": (("contacts",), ADDRESSBOOK, "text/vcard; charset=utf-8"),
}
SCHEDULE_BOXES = {"schedule-inbox": clark(CALDAV_NS, "schedule-inbox"),
                  "schedule-outbox": clark(CALDAV_NS, "schedule-outbox")}


class ContentHooks(Protocol):
    """What CalDAV/CardDAV provide for a home: content validation on write."""

    def validate_put(self, collection: FolderCollection, body: bytes,
                     content_type: str | None) -> ObjectIndex:
        """Parse and check ``body`` once; return its index (raise DAVError 4xx)."""
        ...


class NoContentHooks:
    """Until CalDAV/CardDAV are mounted: writes of content are not implemented (501)."""

    def validate_put(self, collection: FolderCollection, body: bytes,
                     content_type: str | None) -> ObjectIndex:
        raise DAVError(501, None, "storing objects is not implemented yet")


def _store_value(element: etree._Element) -> str:
    return etree.tostring(element, encoding="unicode")


def _load_value(text: str) -> etree._Element | None:
    try:
        return parse_body(text.encode("utf-8"))
    except DAVError:
        return None


class _TreeResource(InDirectory, DAVResource):
    """Base of the tree's own resources: a path and the per-request tree."""

    def __init__(self, tree: DavTree, path: str) -> None:
        self.directory = tree
        self.tree = tree
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    @property
    def is_collection(self) -> bool:
        return True

    def privileges_for(self, principal: Principal | None) -> frozenset[str]:
        return frozenset({READ})


class DavRoot(_TreeResource):
    """``/``: carries current-user-principal and principal-collection-set."""

    async def children(self) -> AsyncIterator[DAVResource]:
        for path in (PRINCIPALS_PATH, "/caldav", "/carddav"):
            child = await self.tree.resolve(path)
            if child is not None:
                yield child


class FolderHome(_TreeResource):
    """``/caldav/`` or ``/carddav/``: one child per readable folder of its modules."""

    def __init__(self, tree: DavTree, kind: str) -> None:
        super().__init__(tree, f"/{kind}")
        self.kind = kind

    @property
    def owner(self) -> str:
        return user_principal_path(self.tree.user_id)

    async def children(self) -> AsyncIterator[DAVResource]:
        modules = HOMES[self.kind][0]
        home = await self.tree.home()
        for folder in await home.folders():
            if folder.module in modules:
                yield FolderCollection(self.tree, self.kind, await home.collection(folder.id))
        if self.kind == "caldav":
            for name in SCHEDULE_BOXES:
                yield ScheduleBox(self.tree, name)


class ScheduleBox(_TreeResource):
    """``/caldav/schedule-inbox/`` and ``schedule-outbox/`` (RFC 6638 §2.1-2.2); CalDAV
    scheduling fills them later."""

    def __init__(self, tree: DavTree, name: str) -> None:
        super().__init__(tree, f"/caldav/{name}")
        self.name = name

    @property
    def resource_types(self) -> frozenset[str]:
        return frozenset({COLLECTION, SCHEDULE_BOXES[self.name]})


_RIGHTS_ALL = frozenset({READ, WRITE, WRITE_CONTENT, WRITE_PROPERTIES, BIND, UNBIND})


class FolderCollection(_TreeResource, WritableCollection, Deletable, DeadPropertyStore,
                       LivePropertyWriter, SyncableCollection):
    """One folder as a collection: name, colour, revision (ctag / sync-token), members."""

    def __init__(self, tree: DavTree, kind: str, collection: Collection) -> None:
        super().__init__(tree, f"/{kind}/{collection.folder.id}")
        self.kind = kind
        self.collection = collection

    @property
    def folder(self) -> Any:
        return self.collection.folder

    @property
    def resource_types(self) -> frozenset[str]:
        return frozenset({COLLECTION, HOMES[self.kind][1]})

    @property
    def member_content_type(self) -> str:
        return HOMES[self.kind][2]

    @property
    def displayname(self) -> str:
        return str(self.folder.name)

    @property
    def last_modified(self) -> Any:
        return self.folder.modified

    @property
    def creation_date(self) -> Any:
        return self.folder.created

    @property
    def owner(self) -> str | None:
        owner = self.folder.owner_id
        return None if owner is None else user_principal_path(owner)

    @property
    def sync_identity(self) -> str:
        return f"{self.folder.context_id}/{self.folder.id}"

    @property
    def sync_token(self) -> str:
        return str(SyncToken.for_collection(self.sync_identity, self.folder.revision))

    def privileges_for(self, principal: Principal | None) -> frozenset[str]:
        rights = self.collection.rights
        granted = {READ} if rights.read != "none" else set()
        if rights.write != "none":
            granted |= {WRITE_CONTENT, BIND}
        if rights.delete != "none":
            granted.add(UNBIND)
        if rights.admin:
            granted |= {ALL} | _RIGHTS_ALL
        return frozenset(granted)

    def member(self, meta: ObjectMeta) -> ObjectResource:
        """The member resource of ``meta``."""
        return ObjectResource(self, meta)

    async def children(self) -> AsyncIterator[DAVResource]:
        for meta in await self.collection.list():
            yield self.member(meta)

    async def dead_properties(self) -> Mapping[str, etree._Element]:
        stored = await self.collection.dead_properties("")
        return {k: e for k, v in stored.items() if (e := _load_value(v)) is not None}

    async def patch_dead_properties(self, set_: Mapping[str, etree._Element],
                                    remove: Sequence[str]) -> None:
        await self.collection.set_dead_properties(
            "", {k: _store_value(v) for k, v in set_.items()}, remove)

    def writable_live_properties(self) -> frozenset[str]:
        return frozenset({DISPLAYNAME, CALENDAR_COLOR})

    async def patch_live_properties(self, values: Mapping[str, etree._Element | None]) -> None:
        changes: dict[str, Any] = {}
        if DISPLAYNAME in values:
            element = values[DISPLAYNAME]
            name = (element.text or "").strip() if element is not None else ""
            if not name:
                raise DAVError(409, None, "a folder needs a name")
            changes["name"] = name
        if CALENDAR_COLOR in values:
            element = values[CALENDAR_COLOR]
            changes["color"] = (element.text or "").strip() or None if element is not None \
                else None
        await self.collection.update_folder(**changes)

    async def put_member(self, ctx: RequestContext, name: str, body: bytes,
                         content_type: str | None, *, if_etag: str | None,
                         if_absent: bool) -> PutOutcome:
        index = self.tree.hooks[self.kind].validate_put(self, body, content_type)
        meta, created = await self.collection.put(name, body, index, if_etag=if_etag,
                                                  if_absent=if_absent)
        return PutOutcome(f'"{meta.etag}"', created)

    async def delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        if self.folder.id == GAL_FOLDER_ID or self.folder.is_default:
            raise DAVError(403, None, "default folders and the address list stay")
        await self.collection.delete_folder()

    async def changes_since(self, revision: int | None, limit: int | None) -> SyncChanges:
        changes = await self.collection.changes(revision, limit)
        return SyncChanges(
            revision=changes.revision,
            changed=[self.member(meta) for meta in changes.changed],
            deleted=[f"{self.path}/{name}" for name in changes.deleted],
            truncated=changes.truncated)


class ObjectResource(DAVResource, ReadableContent, Deletable, DeadPropertyStore):
    """One stored object: strong ETag, size, dates, media type of its home."""

    def __init__(self, parent: FolderCollection, meta: ObjectMeta) -> None:
        self.parent = parent
        self.meta = meta

    @property
    def path(self) -> str:
        return f"{self.parent.path}/{self.meta.name}"

    @property
    def is_collection(self) -> bool:
        return False

    @property
    def etag(self) -> str:
        return f'"{self.meta.etag}"'

    @property
    def content_type(self) -> str:
        return self.parent.member_content_type

    @property
    def content_length(self) -> int:
        return self.meta.size

    @property
    def last_modified(self) -> Any:
        return self.meta.modified

    @property
    def creation_date(self) -> Any:
        return self.meta.created

    def privileges_for(self, principal: Principal | None) -> frozenset[str]:
        return self.parent.privileges_for(principal)

    async def read(self) -> bytes:
        return (await self.parent.collection.get(self.meta.name)).data

    async def delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        await self.parent.collection.delete(self.meta.name, if_etag=if_etag)

    async def dead_properties(self) -> Mapping[str, etree._Element]:
        stored = await self.parent.collection.dead_properties(self.meta.name)
        return {k: e for k, v in stored.items() if (e := _load_value(v)) is not None}

    async def patch_dead_properties(self, set_: Mapping[str, etree._Element],
                                    remove: Sequence[str]) -> None:
        await self.parent.collection.set_dead_properties(
            self.meta.name, {k: _store_value(v) for k, v in set_.items()}, remove)


class DavTree:
    """Resolves DAV paths for one authenticated request inside one transaction."""

    def __init__(self, txn: Transaction, who: Authenticated,
                 hooks: Mapping[str, ContentHooks]) -> None:
        self.txn = txn
        self.context_id = who.context.id
        self.user_id = who.user.id
        self.hooks = hooks
        self._home: Home | None = None

    async def home(self) -> Home:
        """The user's view of the folders (opened once per request)."""
        if self._home is None:
            self._home = await self.txn.home(self.context_id, self.user_id)
        return self._home

    async def resolve(self, path: str) -> DAVResource | None:
        segments = [s for s in path.split("/") if s]
        try:
            if not segments:
                return DavRoot(self, "/")
            if segments[0] == "principals":
                return await self._principal(segments[1:])
            if segments[0] in HOMES:
                return await self._in_home(segments[0], segments[1:])
        except NotFound:
            return None
        return None

    async def _principal(self, rest: list[str]) -> DAVResource | None:
        if not rest:
            return PrincipalCollection(self, PRINCIPALS_PATH, [
                PrincipalCollection(self, USERS_PATH), PrincipalCollection(self, GROUPS_PATH)])
        if len(rest) == 1 and rest[0] in ("users", "groups"):
            return PrincipalCollection(self, f"{PRINCIPALS_PATH}/{rest[0]}")
        if len(rest) != 2 or not rest[1].isdigit():
            return None
        if rest[0] == "users":
            user = await self.txn.user(self.context_id, int(rest[1]))
            groups = await self.txn.groups(self.context_id, member=user.id)
            return UserPrincipal(self, user, groups)
        if rest[0] == "groups":
            return GroupPrincipal(self, await self.txn.group(self.context_id, int(rest[1])))
        return None

    async def _in_home(self, kind: str, rest: list[str]) -> DAVResource | None:
        if not rest:
            return FolderHome(self, kind)
        if kind == "caldav" and rest[0] in SCHEDULE_BOXES and len(rest) == 1:
            return ScheduleBox(self, rest[0])
        if not rest[0].isdigit() or len(rest) > 2:
            return None
        collection = await (await self.home()).collection(int(rest[0]))
        if collection.folder.module not in HOMES[kind][0]:
            return None
        folder = FolderCollection(self, kind, collection)
        if len(rest) == 1:
            return folder
        return folder.member((await collection.get(rest[1])).meta)

    async def search_principals(self, criteria: Sequence[tuple[str, str]], *,
                                match_all: bool) -> list[DAVResource]:
        return await search_principals(self, self.txn, self.context_id, criteria,
                                       match_all=match_all)


@dataclass
class DavHandler:
    """The ``DavHandler`` of :class:`oxdav.web.root.Root`: context, transaction, dispatch.

    Attributes:
        store: the store (``store.transaction``).
        env: the DAV environment (registries, locks).
        hooks: content hooks per home (``caldav``/``carddav``).
    """

    store: Any
    env: DAVEnvironment
    hooks: Mapping[str, ContentHooks]

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(self.env)

    async def __call__(self, request: Request, snapshot: ConfigSnapshot, mapper: PathMapper,
                       dav_path: str, who: Authenticated) -> None:
        principal = Principal(user_principal_path(who.user.id), who)
        try:
            ctx = RequestContext.from_twisted(request, paths=mapper, principal=principal,
                                              config=snapshot)
        except DAVError as error:
            await write_response(request, DAVResponse.from_error(error))
            request.finish()
            return
        body = request.content.read() if request.content is not None else b""
        handler = self.env.methods.get(ctx.method)
        write = handler is not None and handler.writes
        async with self.store.transaction(f"{ctx.method} {ctx.path}", write=write) as txn:
            tree = DavTree(txn, who, self.hooks)
            response = await self.dispatcher.serve(ctx, tree, body)
            await write_response(request, response)
        if not request.finished:
            request.finish()


def default_hooks() -> dict[str, ContentHooks]:
    """Hooks until CalDAV/CardDAV provide theirs: PUT answers 501."""
    return {"caldav": NoContentHooks(), "carddav": NoContentHooks()}


def build_dav(store: Any, errors: ErrorMapper, *,
              hooks: Mapping[str, ContentHooks] | None = None) -> DavHandler:
    """Compose the DAV layer: the visible lists of properties, reports and methods.

    Args:
        store: the store.
        errors: the lower-layer error map (filled by the composition root).
        hooks: content hooks per home; by default PUT answers 501.
    """
    reports = ReportRegistry()
    properties = PropertyRegistry([*generic_properties(reports), *principal_properties()])
    for report in [SyncCollectionReport(properties), *principal_reports(properties)]:
        reports.register(report)
    env = DAVEnvironment(properties, reports, method_registry(), locks=LockTable(),
                         compliance=("calendar-access", "addressbook"), errors=errors)
    return DavHandler(store, env, dict(hooks or default_hooks()))
