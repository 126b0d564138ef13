"""Path resolution for one authenticated request (DESIGN.md §3, DAV paths)::

    /                                  DAV root
    /principals/  users/<id>/  groups/<id>/
    /<space>/                           a home (caldav, carddav)
    /<space>/<folderId>/[<name>]        a folder collection and its members
    /<space>/<special>/[<name>]         what the space adds (schedule boxes, aggregated)

A folder that does not exist, belongs to another module, is not exposed or is
unreadable is simply absent: 404, no leak.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from oxdav.dav.push import REGISTRATIONS
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.folders.base import QUOTA_SETTING, FolderTree, MemberLookup, TreeResource
from oxdav.folders.naming import segment_id
from oxdav.folders.push import registration
from oxdav.folders.space import FolderSpace
from oxdav.principals.resources import (
    GROUPS_PATH,
    PRINCIPALS_PATH,
    USERS_PATH,
    GroupPrincipal,
    Matches,
    PrincipalCollection,
    UserPrincipal,
)
from oxdav.principals.search import find_principals
from oxdav.store.errors import NotFound
from oxdav.store.interfaces import Home, Transaction
from oxdav.store.models import Group, SearchTerm
from oxdav.work import INLINE, Work


class DavRoot(TreeResource):
    """``/``: carries current-user-principal and principal-collection-set; its members
    are the principals and the home collection of each space."""

    def __init__(self, tree: FolderTree, member_paths: Sequence[str]) -> None:
        super().__init__(tree, "/")
        self.member_paths = tuple(member_paths)

    async def children(self) -> AsyncIterator[DAVResource]:
        for path in self.member_paths:
            child = await self.tree.resolve(path)
            if child is not None:
                yield child


class DavTree:
    """Resolves DAV paths for one authenticated request inside one transaction.

    Args:
        txn: the request's transaction.
        context_id: the user's context.
        user_id: the user.
        spaces: spaces by name.
        ctx: the request context.
        settings: the user's configuration view (``get(name)``).
        work: where CPU-heavy work runs.
    """

    def __init__(self, txn: Transaction, context_id: int, user_id: int,
                 spaces: Mapping[str, FolderSpace], ctx: RequestContext, settings: Any,
                 work: Work = INLINE) -> None:
        self.txn = txn
        self.context_id = context_id
        self.user_id = user_id
        self.spaces = spaces
        self.ctx = ctx
        self.settings = settings
        self.work = work
        self._home: Home | None = None

    async def home(self) -> Home:
        """The user's view of the folders (opened once per request), with the user's
        quota from the cascade (``oxdav.quota.bytes``, 0 = none) for the store to enforce."""
        if self._home is None:
            quota = self.settings.get(QUOTA_SETTING) if self.settings is not None else None
            self._home = await self.txn.home(self.context_id, self.user_id,
                                             quota=quota or None)
        return self._home

    async def resolve(self, path: str) -> DAVResource | None:
        segments = [s for s in path.split("/") if s]
        try:
            if not segments:
                return DavRoot(self, [PRINCIPALS_PATH, *(f"/{name}" for name in self.spaces)])
            if segments[0] == "principals":
                return await self._principal(segments[1:])
            if segments[0] == REGISTRATIONS:
                return await registration(self, segments[1]) if len(segments) == 2 else None
            space = self.spaces.get(segments[0])
            if space is not None:
                return await self._in_home(space, segments[1:])
        except NotFound:
            return None
        return None

    def _principal_collection(self, segment: str) -> PrincipalCollection:
        """``users/`` or ``groups/``: lists the principals of the caller's context only,
        bounded as a search is."""
        users = segment == "users"
        return PrincipalCollection(
            self, USERS_PATH if users else GROUPS_PATH, lister=lambda: find_principals(
                self, self.txn, self.context_id, users=users, groups=not users))

    async def _principal(self, rest: list[str]) -> DAVResource | None:
        if not rest:
            return PrincipalCollection(self, PRINCIPALS_PATH, [
                self._principal_collection("users"), self._principal_collection("groups")])
        if len(rest) == 1 and rest[0] in ("users", "groups"):
            return self._principal_collection(rest[0])
        principal_id = segment_id(rest[1]) if len(rest) == 2 else None
        if principal_id is None:
            return None
        if rest[0] == "users":
            return UserPrincipal(self, await self.txn.user(self.context_id, principal_id))
        if rest[0] == "groups":
            return GroupPrincipal(self, await self.txn.group(self.context_id, principal_id))
        return None

    async def _in_home(self, space: FolderSpace, rest: list[str]) -> DAVResource | None:
        if not rest:
            return space.home_collection(self)
        if len(rest) > 2:
            return None
        parent: DAVResource | None
        folder_id = segment_id(rest[0])
        if folder_id is not None:
            # A member path reads the member with the folder: one store call.
            store_collection = await (await self.home()).collection(
                folder_id, prefetch=rest[1] if len(rest) == 2 else None,
                prefetch_properties=space.member_properties)
            folder = store_collection.folder
            if folder.module not in space.modules or not space.exposes(self, folder):
                return None
            parent = space.folder_collection(self, store_collection)
        else:
            parent = await space.special(self, rest[0])
        if parent is None or len(rest) == 1:
            return parent
        if not isinstance(parent, MemberLookup):
            return None
        return await parent.resolve_member(rest[1])

    async def search_principals(self, terms: Sequence[SearchTerm], *, any_term: bool,
                                groups: bool = False) -> Matches:
        return await find_principals(self, self.txn, self.context_id, terms,
                                     any_term=any_term, users=not groups, groups=groups)

    async def groups_of(self, user_id: int) -> Sequence[Group]:
        return await self.txn.groups(self.context_id, member=user_id)
