"""Principal resources: ``/principals/``, ``/principals/users/<id>/``, ``/principals/groups/<id>/``.

Paths (DESIGN.md §3) are built here and only here, so properties and the tree agree.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from oxdav.dav.dispatch import ResourceTree
from oxdav.dav.methods.capabilities import BoundedListing
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.privileges import READ
from oxdav.dav.resource import COLLECTION, DAVResource, Principal
from oxdav.store.models import Group, SearchTerm, User

PRINCIPAL = clark(DAV_NS, "principal")
PRINCIPALS_PATH = "/principals"
USERS_PATH = "/principals/users"
GROUPS_PATH = "/principals/groups"
CALENDAR_HOME_PATH = "/caldav"
ADDRESSBOOK_HOME_PATH = "/carddav"
SCHEDULE_INBOX_PATH = "/caldav/schedule-inbox"
SCHEDULE_OUTBOX_PATH = "/caldav/schedule-outbox"


def user_principal_path(user_id: int) -> str:
    """DAV path of a user principal."""
    return f"{USERS_PATH}/{user_id}"


def group_principal_path(group_id: int) -> str:
    """DAV path of a group principal."""
    return f"{GROUPS_PATH}/{group_id}"


@dataclass(frozen=True)
class Matches:
    """The principals a search or listing found, and whether more were left out.

    Attributes:
        principals: the principals, users first, each kind by id.
        truncated: more principals match than the bound let through.
    """

    principals: tuple[DAVResource, ...]
    truncated: bool = False


class PrincipalTree(ResourceTree, Protocol):
    """What principal resources and reports need of the per-request tree, besides
    resolving paths."""

    async def search_principals(self, terms: Sequence[SearchTerm], *, any_term: bool,
                                groups: bool = False) -> Matches:
        """User principals (``groups``: group principals) of the requester's context
        meeting the terms (every one, or any one; no terms: all of them), bounded."""
        ...

    async def groups_of(self, user_id: int) -> Sequence[Group]:
        """The groups of the requester's context that ``user_id`` belongs to."""
        ...


class InTree:
    """A resource that can reach the per-request tree (for expand-property, searches)."""

    tree: PrincipalTree


class PrincipalResource(InTree, DAVResource, abc.ABC):
    """A principal (RFC 3744 §2): a collection-shaped resource naming a user or group."""

    def __init__(self, tree: PrincipalTree) -> None:
        self.tree = tree

    @property
    def is_collection(self) -> bool:
        return True

    @property
    def resource_types(self) -> frozenset[str]:
        return frozenset({COLLECTION, PRINCIPAL})

    def privileges_for(self, principal: Principal | None) -> frozenset[str]:
        return frozenset({READ})

    @property
    @abc.abstractmethod
    def addresses(self) -> tuple[str, ...]:
        """E-mail addresses, primary first."""


class UserPrincipal(PrincipalResource):
    """A user of the authenticated user's context."""

    def __init__(self, tree: PrincipalTree, user: User) -> None:
        super().__init__(tree)
        self.user = user
        self._groups: tuple[Group, ...] | None = None

    async def member_of(self) -> tuple[Group, ...]:
        """The user's groups (looked up once, when first asked for)."""
        if self._groups is None:
            self._groups = tuple(await self.tree.groups_of(self.user.id))
        return self._groups

    @property
    def path(self) -> str:
        return user_principal_path(self.user.id)

    @property
    def displayname(self) -> str:
        return self.user.display_name

    @property
    def last_modified(self):  # type: ignore[no-untyped-def]
        return self.user.modified

    @property
    def addresses(self) -> tuple[str, ...]:
        primary = (self.user.email,) if self.user.email else ()
        return primary + tuple(a for a in self.user.aliases if a != self.user.email)


class GroupPrincipal(PrincipalResource):
    """A group of the context (RFC 3744 §4: group principals with members)."""

    def __init__(self, tree: PrincipalTree, group: Group) -> None:
        super().__init__(tree)
        self.group = group

    @property
    def path(self) -> str:
        return group_principal_path(self.group.id)

    @property
    def displayname(self) -> str:
        return self.group.display_name or self.group.name

    @property
    def addresses(self) -> tuple[str, ...]:
        return ()


class ReadableCollection(InTree, DAVResource):
    """A collection at a fixed DAV path that every signed-in user may read: the base of
    the principal collections and of the folder tree's own collections."""

    def __init__(self, tree: PrincipalTree, path: str) -> None:
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


MemberLister = Callable[[], Awaitable[Matches]]
"""Lists a principal collection's members when they are asked for (Depth 1), bounded."""


class PrincipalCollection(ReadableCollection, BoundedListing):
    """``/principals/`` and its ``users/`` and ``groups/`` children (RFC 3744 §5.8).

    Args:
        tree: the per-request tree.
        path: the collection's DAV path.
        members: fixed members (``users/`` and ``groups/`` of ``/principals/``).
        lister: lists further members on demand (the principals of the caller's
            context, bounded), so a Depth 0 request costs no lookup.
    """

    def __init__(self, tree: PrincipalTree, path: str,
                 members: Sequence[DAVResource] = (), *,
                 lister: MemberLister | None = None) -> None:
        super().__init__(tree, path)
        self._members = tuple(members)
        self._lister = lister

    async def children(self) -> AsyncIterator[DAVResource]:
        for member in self._members:
            yield member
        if self._lister is not None:
            listed = await self._lister()
            self.listing_truncated = listed.truncated
            for member in listed.principals:
                yield member
