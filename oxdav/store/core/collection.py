"""One user's home and one folder's collection (``Home``/``Collection``).

Permissions are enforced here and in the core's rules (:mod:`.objects`,
:mod:`.locks`) as the contract in ``interfaces.py`` describes.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from ..errors import Forbidden, NotFound
from ..models import (
    UNSET,
    Candidate,
    Changes,
    Folder,
    FolderPermission,
    Lock,
    Module,
    ObjectIndex,
    ObjectMeta,
    ShareReply,
    StoredObject,
    Unset,
    folder_components,
)
from ..permissions import effective_rights, may_create_objects
from . import folders as folders_core
from . import locks as locks_core
from . import objects as objects_core
from .cache import NOT_PREFETCHED, folder_for, groups_for, prefetched_member, versions
from .clock import seconds
from .events import FolderChanged, ObjectChanged, StoreEvent
from .rows import Rows
from .scope import Scope

_T = TypeVar("_T")


class Calls(Protocol):
    """What a home and its collections need of their transaction (a CoreTransaction):
    its calls, the changes they made, and how many calls may have written."""

    mutations: int

    async def call(self, fn: Callable[..., _T], *args: Any, mutates: bool = False,
                   **kwargs: Any) -> _T: ...

    def note(self, event: StoreEvent) -> None: ...

TimeRange = tuple[int | None, int | None]


def _open_readable(rows: Rows, context_id: int, folder_id: int, user_id: int,
                   groups: frozenset[int]) -> tuple[Folder, FolderPermission]:
    try:
        folder = folder_for(rows, context_id, folder_id)
    except NotFound:
        folder = None
    rights = None if folder is None else effective_rights(folder, user_id, groups)
    if folder is None or rights is None or rights.read == "none":
        raise NotFound(f"folder {folder_id} in context {context_id}")
    return folder, rights


def _with_groups(rows: Rows, fn: Any, context_id: int, user_id: int,
                 groups: frozenset[int] | None, opens: tuple[int, str | None] | None,
                 *args: Any) -> tuple[frozenset[int], Any]:
    """Run ``fn(rows, groups, *args)``, loading the user's groups first if they are not
    known yet (a home is opened without a store call of its own). ``opens``: the folder
    (and member) ``fn`` opens, read with the versions the groups need in one statement
    (``cache.versions``)."""
    if opens is not None:
        versions(rows, context_id, *opens)
    if groups is None:
        groups = groups_for(rows, context_id, user_id)
    return groups, fn(rows, groups, *args)


def _open_member(rows: Rows, groups: frozenset[int], context_id: int,
                 folder_id: int, user_id: int, member: str | None, properties: bool
                 ) -> tuple[Folder, FolderPermission, str | None, StoredObject | None,
                            dict[str, str] | None]:
    """Open a readable folder with the user's own name for it (a folder of someone
    else only) and, when ``member`` is given, read that object too (a read: the scope
    needs no quota), with its dead properties when ``properties`` and it is there."""
    folder, rights = _open_readable(rows, context_id, folder_id, user_id, groups)
    name = (rows.own_name(context_id, user_id, folder_id)
            if folders_core.is_shared_with(folder, user_id) else None)
    if member is None:
        return folder, rights, name, None, None
    scope = Scope(context_id, folder_id, user_id, rights)
    prefetched = prefetched_member(rows, context_id, folder_id, member)
    if prefetched is not NOT_PREFETCHED:
        stored = objects_core.readable_object(scope, prefetched)
    else:
        found = objects_core.get_objects(rows, scope, [member])
        stored = found[0] if found else None
    dead = (rows.dead_properties(context_id, folder_id, member)
            if properties and stored is not None else None)
    return folder, rights, name, stored, dead


class CoreHome:
    """A user's view of a context's folders.

    Opening it costs no store call: the user's groups (and so the check that the user
    exists) are read with the first call that needs them.
    """

    def __init__(self, txn: Calls, context_id: int, user_id: int,
                 groups: frozenset[int] | None = None, quota: int | None = None) -> None:
        self.context_id = context_id
        self.user_id = user_id
        self.quota = quota
        self._txn = txn
        self._groups = groups

    async def _call(self, fn: Any, *args: Any, mutates: bool = False,
                    opens: tuple[int, str | None] | None = None) -> Any:
        """``fn(rows, groups, *args)`` on the database thread, groups loaded on first use
        (``opens``: the folder and member ``fn`` reads, see ``_with_groups``)."""
        self._groups, result = await self._txn.call(_with_groups, fn, self.context_id,
                                                    self.user_id, self._groups, opens,
                                                    *args, mutates=mutates)
        return result

    async def used_bytes(self) -> int:
        """See ``Home.used_bytes``."""
        return await self._call(_used_bytes, self.context_id, self.user_id)

    async def folders(self, module: Module | None = None) -> list[Folder]:
        """See ``Home.folders``."""
        return await self._call(_readable_folders, self.context_id, self.user_id, module)

    async def collection(self, folder_id: int, *, prefetch: str | None = None,
                         prefetch_properties: bool = False) -> CoreCollection:
        """See ``Home.collection``."""
        folder, rights, name, member, dead = await self._call(
            _open_member, self.context_id, folder_id, self.user_id, prefetch,
            prefetch_properties, opens=(folder_id, prefetch))
        collection = self._open(folder, rights, name)
        if prefetch is not None:
            collection.remember(prefetch, member, dead)
        return collection

    async def collections(self, module: Module | None = None
                          ) -> builtins.list[CoreCollection]:
        """See ``Home.collections``."""
        folders, names = await self._call(_readable_folders_named, self.context_id,
                                          self.user_id, module)
        assert self._groups is not None
        groups = self._groups
        rights = [effective_rights(folder, self.user_id, groups) for folder in folders]
        return [self._open(folder, right, names.get(folder.id))
                for folder, right in zip(folders, rights, strict=True)
                if right.read != "none"]

    async def share_replies(self) -> dict[int, ShareReply]:
        """See ``Home.share_replies``."""
        return await self._call(_share_replies, self.context_id, self.user_id)

    async def reply_to_share(self, folder_id: int, reply: ShareReply | None) -> Folder:
        """See ``Home.reply_to_share``."""
        folder: Folder = await self._call(_reply_to_share, self.context_id, self.user_id,
                                          folder_id, reply, mutates=True)
        self._txn.note(FolderChanged(self.context_id, folder_id))
        return folder

    async def folder_property(self, name: str) -> dict[int, str]:
        """See ``Home.folder_property``."""
        return await self._call(_folder_property, self.context_id, self.user_id, name)

    def _open(self, folder: Folder, rights: FolderPermission,
              own_name: str | None = None) -> CoreCollection:
        """The collection of a readable folder; the quota binds only the user's own."""
        quota = self.quota if folder.owner_id == self.user_id else None
        collection = CoreCollection(self._txn, folder, rights, self.user_id, quota)
        if folders_core.is_shared_with(folder, self.user_id):
            collection.own_name = own_name
        return collection

    async def create_folder(self, module: Module, name: str, *, color: str | None = None,
                            description: str | None = None,
                            permissions: Sequence[FolderPermission] = (),
                            is_default: bool = False, folder_id: int | None = None,
                            components: Iterable[str] = ()) -> Folder:
        """See ``Home.create_folder``."""
        folder: Folder = await self._call(
            _create_folder, self.context_id, self.user_id, module, name,
            dict(color=color, description=description, permissions=tuple(permissions),
                 is_default=is_default, folder_id=folder_id,
                 components=folder_components(module, components)), mutates=True)
        self._txn.note(FolderChanged(self.context_id, folder.id, permissions=True))
        return folder


class CoreCollection:
    """One folder as seen by one user (``user_id``) or by the system (``None``)."""

    def __init__(self, txn: Calls, folder: Folder, rights: FolderPermission,
                 user_id: int | None, quota: int | None = None) -> None:
        self.folder = folder
        self.rights = rights
        self.user_id = user_id
        self.own_name: str | None = None
        self._quota = quota
        self._txn = txn
        self._deleted = False
        # One member read along with the folder (Home.collection(prefetch=)): its name,
        # the object (None: absent), its dead properties (None: not read) and the
        # transaction's write count when read, so that any later write in the
        # transaction makes it stale.
        self._remembered: tuple[str, StoredObject | None, dict[str, str] | None,
                                int] | None = None

    def remember(self, name: str, stored: StoredObject | None,
                 dead: dict[str, str] | None = None) -> None:
        """Keep ``stored`` and its ``dead`` properties (just read in this transaction)
        as what ``get(name)`` and ``dead_properties(name)`` answer until the
        transaction writes anything."""
        self._remembered = (name, stored, dead, self._txn.mutations)

    def _recalled(self, name: str) -> tuple[StoredObject | None, dict[str, str] | None] | None:
        """What :meth:`remember` kept of ``name``, while it still holds."""
        remembered = self._remembered
        if (remembered is None or remembered[0] != name or self._deleted
                or remembered[3] != self._txn.mutations):
            return None
        return remembered[1], remembered[2]

    @property
    def _scope(self) -> Scope:
        if self._deleted:
            raise NotFound(f"folder {self.folder.id} was deleted")
        return Scope(self.folder.context_id, self.folder.id, self.user_id, self.rights,
                     self._quota, creates=may_create_objects(self.folder, self.user_id),
                     owner_id=self.folder.owner_id)

    async def list(self, *, time_range: TimeRange | None = None,
                   component: str | None = None) -> builtins.list[ObjectMeta]:
        """See ``Collection.list``."""
        return await self._txn.call(objects_core.list_objects, self._scope, time_range,
                                    component)

    async def candidates(self, *, time_range: TimeRange | None = None,
                         component: str | None = None) -> builtins.list[Candidate]:
        """See ``Collection.candidates``."""
        return await self._txn.call(objects_core.candidates, self._scope, time_range,
                                    component)

    async def get(self, name: str, *, derived: bool = False) -> StoredObject:
        """See ``Collection.get``."""
        recalled = None if derived else self._recalled(name)
        if recalled is not None:
            stored = recalled[0]
            if stored is None:
                raise NotFound(f"object {name!r} in folder {self.folder.id}")
            return stored
        found = await self._txn.call(objects_core.get_objects, self._scope, [name], derived)
        if not found:
            raise NotFound(f"object {name!r} in folder {self.folder.id}")
        return found[0]

    async def get_many(self, names: Iterable[str], *, derived: bool = False
                       ) -> builtins.list[StoredObject]:
        """See ``Collection.get_many``."""
        return await self._txn.call(objects_core.get_objects, self._scope, list(names),
                                    derived)

    async def by_uid(self, uid: str) -> ObjectMeta | None:
        """See ``Collection.by_uid``."""
        return await self._txn.call(objects_core.by_uid, self._scope, uid)

    async def put(self, name: str, data: bytes, index: ObjectIndex, *,
                  if_etag: str | None = None, if_absent: bool = False,
                  created_by: int | None = None) -> tuple[ObjectMeta, bool]:
        """See ``Collection.put``."""
        if not name:
            raise ValueError("an object needs a name")
        meta, created = await self._txn.call(
            objects_core.put_object, self._scope, name, bytes(data), index, if_etag, if_absent,
            created_by, mutates=True)
        self.folder = replace(self.folder, revision=meta.modseq)
        self._txn.note(ObjectChanged(self.folder.context_id, self.folder.id, name, False,
                                     meta.modseq))
        return meta, created

    async def reindex(self, name: str, index: ObjectIndex, *, if_etag: str) -> bool:
        """See ``Collection.reindex``."""
        done: bool = await self._txn.call(objects_core.reindex_object, self._scope, name, index,
                                          if_etag, mutates=True)
        return done

    async def delete(self, name: str, *, if_etag: str | None = None) -> None:
        """See ``Collection.delete``."""
        revision = await self._txn.call(objects_core.delete_object, self._scope, name, if_etag,
                                        mutates=True)
        self.folder = replace(self.folder, revision=revision)
        self._txn.note(ObjectChanged(self.folder.context_id, self.folder.id, name, True,
                                     revision))

    def _require_admin(self) -> None:
        if not self.rights.admin:
            raise Forbidden("admin", f"no admin permission on folder {self.folder.id}")

    async def update_folder(self, *, name: str | Unset = UNSET,
                            color: str | None | Unset = UNSET,
                            description: str | None | Unset = UNSET,
                            permissions: Sequence[FolderPermission] | Unset = UNSET) -> Folder:
        """See ``Collection.update_folder``."""
        self._require_admin()
        given: dict[str, Any] = {"name": name, "color": color, "description": description,
                                 "permissions": permissions if permissions is UNSET
                                 else tuple(permissions)}
        changes = {k: v for k, v in given.items() if v is not UNSET}
        scope = self._scope
        self.folder = await self._txn.call(folders_core.update_folder, scope.context_id,
                                           scope.folder_id, changes, mutates=True)
        self._txn.note(FolderChanged(scope.context_id, scope.folder_id,
                                     permissions="permissions" in changes))
        return self.folder

    async def set_own_name(self, name: str | None) -> None:
        """See ``Collection.set_own_name``."""
        if not folders_core.is_shared_with(self.folder, self.user_id):
            raise ValueError("only a user's folder shared with another user takes a name"
                             " of that user's own")
        if name is not None and not name.strip():
            raise ValueError("a folder's name is not empty")
        scope = self._scope
        assert scope.user_id is not None
        await self._txn.call(_set_own_name, scope.context_id, scope.user_id,
                             scope.folder_id, name, mutates=True)
        self.own_name = name

    async def share_replies(self) -> dict[int, ShareReply]:
        """See ``Collection.share_replies``."""
        scope = self._scope
        replies = await self._txn.call(_folder_replies, scope.context_id, scope.folder_id)
        return replies  # type: ignore[no-any-return]

    async def delete_folder(self) -> None:
        """See ``Collection.delete_folder``."""
        self._require_admin()
        if self.user_id is not None and (self.folder.owner_id is None or
                                         self.folder.is_default):
            raise Forbidden("admin", "system and default folders cannot be deleted")
        scope = self._scope
        await self._txn.call(folders_core.delete_folder, scope.context_id, scope.folder_id,
                             mutates=True)
        self._deleted = True
        self._txn.note(FolderChanged(scope.context_id, scope.folder_id, deleted=True,
                                     permissions=True))

    async def changes(self, since: int | None, limit: int | None = None) -> Changes:
        """See ``Collection.changes``."""
        return await self._txn.call(objects_core.changes_since, self._scope, since, limit)

    async def locks(self, name: str | None = None, *, now: float | None = None
                    ) -> builtins.list[Lock]:
        """See ``Collection.locks``."""
        return await self._txn.call(locks_core.list_locks, self._scope, name,
                                    seconds(now))

    async def lock(self, name: str, *, exclusive: bool, owner: str | None, timeout: int,
                   limit: int | None = None, now: float | None = None) -> Lock:
        """See ``Collection.lock``."""
        if not name:
            raise ValueError("a lock needs a member name")
        return await self._txn.call(locks_core.acquire, self._scope, name, exclusive, owner,
                                    int(timeout), limit, seconds(now), mutates=True)

    async def refresh_lock(self, name: str, token: str, timeout: int, *,
                           now: float | None = None) -> Lock | None:
        """See ``Collection.refresh_lock``."""
        return await self._txn.call(locks_core.refresh, self._scope, name, token, int(timeout),
                                    seconds(now), mutates=True)

    async def unlock(self, name: str, token: str, *, now: float | None = None) -> bool:
        """See ``Collection.unlock``."""
        done: bool = await self._txn.call(locks_core.release, self._scope, name, token,
                                          seconds(now), mutates=True)
        return done

    async def dead_properties(self, resource: str) -> dict[str, str]:
        """See ``Collection.dead_properties``."""
        recalled = self._recalled(resource) if resource else None
        if recalled is not None and recalled[1] is not None:
            return dict(recalled[1])
        return await self._txn.call(objects_core.dead_properties, self._scope, resource)

    async def set_dead_properties(self, resource: str, set: Mapping[str, str],
                                  remove: Iterable[str] = ()) -> None:
        """See ``Collection.set_dead_properties``."""
        await self._txn.call(objects_core.set_dead_properties, self._scope, resource, dict(set),
                             list(remove), mutates=True)


def _create_folder(rows: Rows, groups: frozenset[int], context_id: int, user_id: int,
                   module: Module, name: str, options: dict[str, Any]) -> Folder:
    return folders_core.create_folder(rows, context_id, user_id, module, name, **options)


def _set_own_name(rows: Rows, context_id: int, user_id: int, folder_id: int,
                  name: str | None) -> None:
    rows.set_own_name(context_id, user_id, folder_id, name)


def _share_replies(rows: Rows, groups: frozenset[int], context_id: int, user_id: int
                   ) -> dict[int, str]:
    return folders_core.share_replies(rows, context_id, user_id, groups)


def _reply_to_share(rows: Rows, groups: frozenset[int], context_id: int, user_id: int,
                    folder_id: int, reply: str | None) -> Folder:
    return folders_core.reply_to_share(rows, context_id, user_id, groups, folder_id, reply)


def _folder_replies(rows: Rows, context_id: int, folder_id: int) -> dict[int, str]:
    return {user: status for (user, _), status
            in rows.share_replies(context_id, folder_id=folder_id).items()}


def _used_bytes(rows: Rows, groups: frozenset[int], context_id: int, user_id: int) -> int:
    # through the groups only for the contract's check that the user exists
    return objects_core.used_bytes(rows, context_id, user_id)


def _readable_folders(rows: Rows, groups: frozenset[int], context_id: int, user_id: int,
                      module: Module | None) -> list[Folder]:
    return folders_core.readable_folders(rows, context_id, user_id, groups, module)


def _readable_folders_named(rows: Rows, groups: frozenset[int], context_id: int,
                            user_id: int, module: Module | None
                            ) -> tuple[list[Folder], dict[int, str]]:
    return (folders_core.readable_folders(rows, context_id, user_id, groups, module),
            rows.own_names(context_id, user_id))


def _folder_property(rows: Rows, groups: frozenset[int], context_id: int, user_id: int,
                     name: str) -> dict[int, str]:
    readable = {folder.id for folder in folders_core.readable_folders(
        rows, context_id, user_id, groups, None)
        if effective_rights(folder, user_id, groups).read != "none"}
    return {folder_id: value for folder_id, value in rows.folder_property(context_id, name).items()
            if folder_id in readable}
