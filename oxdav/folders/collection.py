"""One folder as a DAV collection, and one stored object as a DAV resource.

Generic on purpose: names, colour, revision (ctag / sync-token, RFC 6578), folder
permissions as RFC 3744 privileges, dead properties, members. CalDAV and CardDAV
subclass both classes; a subclass gives content semantics through
:meth:`FolderCollection.validate_put` (parse once, return the index), which by
default answers 501 Not Implemented.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.methods.acl import AccessControlled
from oxdav.dav.methods.capabilities import (
    DeadPropertyStore,
    Deletable,
    LivePropertyWriter,
    Lockable,
    LockableMembers,
    PutOutcome,
    ReadableContent,
    SyncableCollection,
    SyncChanges,
    WritableCollection,
)
from oxdav.dav.namespaces import APPLE_ICAL_NS, CALENDARSERVER_NS, DAV_NS, clark
from oxdav.dav.privileges import ALL, BIND, WRITE_CONTENT, WRITE_PROPERTIES, Ace
from oxdav.dav.properties import CANNOT_MODIFY_PROTECTED
from oxdav.dav.push import PushTarget, Registration
from oxdav.dav.resource import COLLECTION, DAVResource, Principal, RequestContext
from oxdav.dav.sync import SyncToken
from oxdav.dav.xml import parse_body
from oxdav.folders.acl import folder_aces, permissions_of_aces, privileges_of, with_read_acl
from oxdav.folders.base import FolderTree, MemberLookup, SpaceTraits, TreeResource, home_quota
from oxdav.folders.locking import FolderLocks, MemberLocks, UnmappedMember
from oxdav.principals.resources import InTree, user_principal_path
from oxdav.store.errors import NotFound
from oxdav.store.interfaces import Collection
from oxdav.store.models import (
    GAL_FOLDER_ID,
    UNSET,
    Folder,
    FolderPermission,
    ObjectIndex,
    ObjectMeta,
    Unset,
)
from oxdav.store.permissions import may_create_objects

DISPLAYNAME = clark(DAV_NS, "displayname")
CALENDAR_COLOR = clark(APPLE_ICAL_NS, "calendar-color")
#: Hidden dead property: the URL segment a client made the collection under
#: (:mod:`oxdav.folders.naming`); never shown, never writable by PROPPATCH.
RESOURCE_NAME = "{urn:oxdav}resource-name"
#: CalendarServer sharing's resource types: a collection its owner shares with others,
#: and one shared with the requester (caldav-sharing §5.1).
SHARED_OWNER = clark(CALENDARSERVER_NS, "shared-owner")
SHARED = clark(CALENDARSERVER_NS, "shared")
#: Dead properties in this namespace are the server's own (e.g. an object's
#: Schedule-Tag): never shown as dead properties, never writable by PROPPATCH.
HIDDEN_PREFIX = "{urn:oxdav}"

def of_someone_else(store_collection: Collection) -> bool:
    """Whether ``store_collection`` is a user's folder shared with its requester (not theirs,
    not a system folder such as the global address list)."""
    owner = store_collection.folder.owner_id
    user = store_collection.user_id
    return owner is not None and user is not None and owner != user


def shared_name(folder: Folder) -> str:
    """A shared folder's name with its owner's: ``Calendar (Anna Smith)``."""
    return f"{folder.name} ({folder.owner_name})" if folder.owner_name else folder.name


def shown_name(store_collection: Collection) -> str:
    """The folder's name as its requester sees it (DESIGN.md §9): a folder shared with
    them says whose it is (:func:`shared_name`), so two "Calendar"s never look alike,
    unless they named it for themselves; their own folders and system folders keep
    their name."""
    if not of_someone_else(store_collection):
        return str(store_collection.folder.name)
    return store_collection.own_name or shared_name(store_collection.folder)


def object_privileges(rights: FolderPermission, created_by: int | None,
                      user_id: int | None) -> frozenset[str]:
    """RFC 3744 privileges on one object, as the store decides them: an ``own`` level
    reaches only the objects the user created, and writing an object includes its dead
    properties."""
    levels = {right: "all" if rights.allows(right, created_by, user_id) else "none"
              for right in ("read", "write", "delete")}
    granted = privileges_of(replace(rights, **levels))
    return granted | {WRITE_PROPERTIES} if WRITE_CONTENT in granted else granted


def store_value(element: etree._Element) -> str:
    """A dead property element as stored text."""
    return etree.tostring(element, encoding="unicode")


def load_value(text: str) -> etree._Element | None:
    """A stored dead property back as an element (``None`` if unreadable)."""
    try:
        return parse_body(text.encode("utf-8"))
    except DAVError:
        return None


class FolderCollection(TreeResource, MemberLookup, WritableCollection, Deletable, DeadPropertyStore,
                       LivePropertyWriter, SyncableCollection, LockableMembers,
                       AccessControlled, PushTarget):
    """One folder as a collection: name, colour, revision (ctag / sync-token), members,
    and the locks of member names (its objects' and unmapped ones, RFC 4918 §7.3)."""

    def __init__(self, tree: FolderTree, space: SpaceTraits, store_collection: Collection, *,
                 path: str | None = None) -> None:
        super().__init__(tree, path or f"/{space.name}/{store_collection.folder.id}")
        self.space = space
        self.store_collection = store_collection
        self.member_locks = FolderLocks()

    @property
    def folder(self) -> Any:
        return self.store_collection.folder

    @property
    def resource_types(self) -> frozenset[str]:
        types = {COLLECTION, self.space.collection_type}
        if of_someone_else(self.store_collection):
            types.add(SHARED)
        elif self.folder.owner_id is not None and self.folder.permissions:
            types.add(SHARED_OWNER)
        return frozenset(types)

    @property
    def member_content_type(self) -> str:
        return self.space.member_content_type

    @property
    def displayname(self) -> str:
        return shown_name(self.store_collection)

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

    @property
    def push_identity(self) -> str:
        return self.sync_identity

    @property
    def push_folder_ids(self) -> list[int]:
        """The folders whose changes a push subscriber here is told of."""
        return [self.folder.id]

    async def register_push(self, ctx: RequestContext, registration: Registration,
                            expires: int, limit: int) -> str:
        subscription = await self.tree.txn.register_push(
            self.tree.context_id, self.tree.user_id, self.push_identity,
            self.push_folder_ids, endpoint=registration.endpoint,
            public_key=registration.public_key, auth_secret=registration.auth_secret,
            expires=expires, limit=limit)
        return subscription.id

    def privileges_for(self, principal: Principal | None) -> frozenset[str]:
        granted = with_read_acl(privileges_of(self.store_collection.rights))
        if not may_create_objects(self.folder, self.tree.user_id):
            granted -= {ALL, BIND}  # the directory makes the global address list's cards
        return granted

    def acl(self) -> Sequence[Ace]:
        """The ACEs of the folder's permissions (:mod:`oxdav.folders.acl`)."""
        return folder_aces(self.folder)

    async def set_acl(self, ctx: RequestContext, aces: Sequence[Ace]) -> None:
        """The folder's permissions become what ``aces`` grant (RFC 3744 §8.1)."""
        permissions = await permissions_of_aces(self.tree.txn, self.tree.context_id, aces,
                                                self.supported_privileges)
        await self.store_collection.update_folder(permissions=permissions)

    @property
    def max_resource_size(self) -> int | None:
        """Largest member in bytes, through the user's cascade (None: no own limit)."""
        setting = self.space.max_resource_setting
        return None if setting is None else int(self.tree.settings.get(setting))

    async def quota(self) -> tuple[int, int] | None:
        """The requesting user's quota on their own folders (RFC 4331); None on folders
        of others and system folders, whose owner's limit is not known here."""
        if self.folder.owner_id != self.tree.user_id:
            return None
        return await home_quota(self.tree)

    def member(self, meta: ObjectMeta, data: bytes | None = None) -> ObjectResource:
        """The member resource of ``meta`` (subclasses return their own type), with its
        bytes when they were read already."""
        return ObjectResource(self, self.store_collection, meta, data)

    async def resolve_member(self, name: str) -> DAVResource | None:
        """The member called ``name``, or ``None``."""
        try:
            stored = await self.store_collection.get(name)
        except NotFound:
            return None
        return self.member(stored.meta, stored.data)

    async def children(self) -> AsyncIterator[DAVResource]:
        for meta in await self.store_collection.list():
            yield self.member(meta)

    def unmapped_member(self, name: str) -> Lockable | None:
        """The name in this folder: locking it needs the right to create objects here."""
        return UnmappedMember(self, self.store_collection, name)

    async def dead_properties(self) -> Mapping[str, etree._Element]:
        stored = await self.store_collection.dead_properties("")
        return {k: e for k, v in stored.items()
                if not k.startswith(HIDDEN_PREFIX) and (e := load_value(v)) is not None}

    async def patch_dead_properties(self, set_: Mapping[str, etree._Element],
                                    remove: Sequence[str]) -> None:
        for name in [*set_, *remove]:
            if name.startswith(HIDDEN_PREFIX):
                raise DAVError(403, CANNOT_MODIFY_PROTECTED, f"{name} is protected")
        await self.store_collection.set_dead_properties(
            "", {k: store_value(v) for k, v in set_.items()}, remove)

    def writable_live_properties(self) -> frozenset[str]:
        return frozenset({DISPLAYNAME, CALENDAR_COLOR})

    async def patch_live_properties(self, values: Mapping[str, etree._Element | None]) -> None:
        changes: dict[str, Any] = {}
        own_name: str | None | Unset = UNSET
        if DISPLAYNAME in values:
            element = values[DISPLAYNAME]
            name = (element.text or "").strip() if element is not None else ""
            if of_someone_else(self.store_collection):
                # A sharee names the folder for themselves, admin or not: the owner's
                # name stays. Removing it, or writing back the name shown, takes the
                # own name back (the shown name then follows the owner's renames).
                own_name = None if name in ("", shared_name(self.folder)) else name
            elif not name:
                raise DAVError(409, None, "a folder needs a name")
            else:
                changes["name"] = name
        if CALENDAR_COLOR in values:
            element = values[CALENDAR_COLOR]
            changes["color"] = (element.text or "").strip() or None if element is not None \
                else None
        if changes:
            await self.store_collection.update_folder(**changes)
        if own_name is not UNSET:
            await self.store_collection.set_own_name(own_name)

    async def validate_put(self, ctx: RequestContext, name: str, body: bytes,
                           content_type: str | None) -> ObjectIndex:
        """Parse and check ``body`` once; return its index.

        Raises:
            DAVError: 501 here (no semantics). A subclass raises its layer's errors,
                answered with their precondition through the error map.
        """
        raise DAVError(501, None, "storing objects is not implemented for this collection")

    async def put_member(self, ctx: RequestContext, name: str, body: bytes,
                         content_type: str | None, *, if_etag: str | None,
                         if_absent: bool) -> PutOutcome:
        index = await self.validate_put(ctx, name, body, content_type)
        meta, created = await self.store_collection.put(name, body, index, if_etag=if_etag,
                                                  if_absent=if_absent)
        return PutOutcome(f'"{meta.etag}"', created)

    def check_deletable(self) -> None:
        """Raises DAVError 403 for a folder DELETE must leave."""
        if self.folder.id == GAL_FOLDER_ID or self.folder.is_default:
            raise DAVError(403, None, "default folders and the address list stay")

    async def delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        self.check_deletable()
        await self.store_collection.delete_folder()

    async def changes_since(self, revision: int | None, limit: int | None) -> SyncChanges:
        changes = await self.store_collection.changes(revision, limit)
        return SyncChanges(
            revision=changes.revision,
            changed=[self.member(meta) for meta in changes.changed],
            deleted=[f"{self.path}/{name}" for name in changes.deleted],
            truncated=changes.truncated)


class ObjectResource(InTree, DAVResource, ReadableContent, Deletable, DeadPropertyStore,
                     MemberLocks):
    """One stored object: strong ETag, size, dates, media type of its home, write locks
    (in its own folder, also when reached through an aggregated collection); principal
    searches sent to it search its tree.

    Args:
        parent: the collection it is reached through (its path and media type).
        store_collection: the store collection that holds it (for an aggregated collection,
            the object's own folder).
        meta: its listing entry.
        data: its bytes when already read (a lookup by name reads them anyway), so a
            GET or multiget does not read them twice.
    """

    def __init__(self, parent: FolderCollection, store_collection: Collection,
                 meta: ObjectMeta, data: bytes | None = None) -> None:
        self.parent = parent
        self.tree = parent.tree
        self.store_collection = store_collection
        self.meta = meta
        self._data = data

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
        return object_privileges(self.store_collection.rights, self.meta.created_by,
                                 self.store_collection.user_id)

    @property
    def lock_holder(self) -> FolderCollection:
        return self.parent

    @property
    def lock_store_collection(self) -> Collection:
        return self.store_collection

    @property
    def lock_name(self) -> str:
        return str(self.meta.name)

    async def read(self) -> bytes:
        if self._data is None:
            self._data = (await self.store_collection.get(self.meta.name)).data
        return self._data

    async def delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        await self.store_collection.delete(self.meta.name, if_etag=if_etag)

    async def dead_properties(self) -> Mapping[str, etree._Element]:
        stored = await self.store_collection.dead_properties(self.meta.name)
        return {k: e for k, v in stored.items()
                if not k.startswith(HIDDEN_PREFIX) and (e := load_value(v)) is not None}

    async def patch_dead_properties(self, set_: Mapping[str, etree._Element],
                                    remove: Sequence[str]) -> None:
        for name in [*set_, *remove]:
            if name.startswith(HIDDEN_PREFIX):
                raise DAVError(403, CANNOT_MODIFY_PROTECTED, f"{name} is protected")
        await self.store_collection.set_dead_properties(
            self.meta.name, {k: store_value(v) for k, v in set_.items()}, remove)
