"""Write locks of folder members (RFC 4918 §6-§7) through the store.

A lock belongs to a member name of one folder (``Collection.lock``): an object, or a
name no object holds yet. The store keeps it, enforces the folder rights and the
per-user cap, and shows a lock's token and owner only to its creator and the folder's
admins; this layer reads the bounds from the user's settings (DESIGN.md §6) and turns
store locks into what the DAV layer shows. A member of an aggregated collection is
locked in its own folder.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Sequence
from typing import Protocol

from oxdav.dav.methods.capabilities import ActiveLock, Lockable, LockLimits
from oxdav.folders.base import FolderTree
from oxdav.store.interfaces import Collection
from oxdav.store.models import Lock

MAX_TIMEOUT_SETTING = "oxdav.lock.maxTimeout"
MAX_OWNER_SETTING = "oxdav.lock.maxOwnerSize"
MAX_PER_USER_SETTING = "oxdav.lock.maxPerUser"


class FolderLocks:
    """The locks of the folders one collection resource reaches, read once per folder
    and request (a Depth: 1 PROPFIND asking for ``lockdiscovery`` costs one store call,
    not one per member); a lock change through it forgets what was read."""

    def __init__(self) -> None:
        self._by_folder: dict[int, dict[str, list[Lock]]] = {}

    async def on(self, store_collection: Collection, name: str) -> list[Lock]:
        """The unexpired locks on ``name`` in ``store_collection`` that the user may see."""
        key = store_collection.folder.id
        if key not in self._by_folder:
            by_name: dict[str, list[Lock]] = {}
            for lock in await store_collection.locks():
                by_name.setdefault(lock.name, []).append(lock)
            self._by_folder[key] = by_name
        return self._by_folder[key].get(name, [])

    def forget(self) -> None:
        """Read again on the next question."""
        self._by_folder.clear()


class LockHolder(Protocol):
    """The collection resource a member is reached through (a FolderCollection)."""

    tree: FolderTree
    member_locks: FolderLocks


class MemberLocks(Lockable):
    """:class:`Lockable` for a folder member: subclasses name the member."""

    @property
    @abc.abstractmethod
    def lock_holder(self) -> LockHolder:
        """The collection resource the member is reached through (tree, lock cache)."""

    @property
    @abc.abstractmethod
    def lock_store_collection(self) -> Collection:
        """The store collection of the member's own folder."""

    @property
    @abc.abstractmethod
    def lock_name(self) -> str:
        """The member name."""

    def lock_limits(self) -> LockLimits:
        settings = self.lock_holder.tree.settings
        return LockLimits(int(settings.get(MAX_TIMEOUT_SETTING)),
                          int(settings.get(MAX_OWNER_SETTING)))

    def _shown(self, lock: Lock, timeout: int) -> ActiveLock:
        return ActiveLock(lock.token, lock.exclusive, lock.owner, timeout,
                          mine=lock.creator_id == self.lock_holder.tree.user_id)

    async def active_locks(self) -> Sequence[ActiveLock]:
        held = await self.lock_holder.member_locks.on(self.lock_store_collection, self.lock_name)
        now = int(time.time())
        # RFC 4918 §14.29: the timeout shown is what remains.
        return [self._shown(lock, max(1, min(lock.timeout, lock.expires - now)))
                for lock in held]

    async def acquire_lock(self, *, exclusive: bool, owner: str | None, timeout: int
                           ) -> ActiveLock:
        self.lock_holder.member_locks.forget()
        limit = int(self.lock_holder.tree.settings.get(MAX_PER_USER_SETTING))
        lock = await self.lock_store_collection.lock(self.lock_name, exclusive=exclusive,
                                               owner=owner, timeout=timeout, limit=limit)
        return self._shown(lock, lock.timeout)

    async def refresh_lock(self, token: str, timeout: int) -> ActiveLock | None:
        self.lock_holder.member_locks.forget()
        lock = await self.lock_store_collection.refresh_lock(self.lock_name, token, timeout)
        return None if lock is None else self._shown(lock, lock.timeout)

    async def release_lock(self, token: str) -> bool:
        self.lock_holder.member_locks.forget()
        return await self.lock_store_collection.unlock(self.lock_name, token)


class UnmappedMember(MemberLocks):
    """A member name of a folder that no object holds (RFC 4918 §7.3), for LOCK,
    UNLOCK and the lock check of the PUT that creates it."""

    def __init__(self, holder: LockHolder, store_collection: Collection, name: str) -> None:
        self._holder = holder
        self._store_collection = store_collection
        self._name = name

    @property
    def lock_holder(self) -> LockHolder:
        return self._holder

    @property
    def lock_store_collection(self) -> Collection:
        return self._store_collection

    @property
    def lock_name(self) -> str:
        return self._name
