"""What every resource of the folder tree reaches: the per-request tree and its space.

:class:`FolderTree` is the folder layer's view of the per-request tree (it extends the
principals' ``PrincipalTree`` and the DAV layer's ``ResourceTree``; one object,
:class:`oxdav.folders.tree.DavTree`, is all three); :class:`SpaceTraits` is what a
resource shows of the space it is in (:class:`oxdav.folders.space.FolderSpace`);
:class:`TreeResource` is the base of the tree's own resources.
"""

from __future__ import annotations

import abc
from typing import Any, Protocol

from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.principals.resources import PrincipalTree, ReadableCollection
from oxdav.store.interfaces import Home, Transaction
from oxdav.work import Work


class FolderTree(PrincipalTree, Protocol):
    """What the folder resources need of the per-request tree: its transaction, user
    and settings, besides what principals need.

    Attributes:
        txn: the request's store transaction.
        context_id: the user's context.
        user_id: the user.
        ctx: the request context (headers such as User-Agent, hrefs).
        settings: the user's configuration view through the cascade (DESIGN.md §6):
            ``settings.get(name)``.
        work: where CPU-heavy work runs (:mod:`oxdav.work`): parsing large bodies,
            expanding recurrences, reports over many objects.
    """

    txn: Transaction
    context_id: int
    user_id: int
    ctx: RequestContext
    settings: Any
    work: Work

    async def home(self) -> Home:
        """The user's view of the folders (opened once per request)."""
        ...


class SpaceTraits(Protocol):
    """What the resources of a space show of it (class attributes of a FolderSpace)."""

    @property
    def name(self) -> str:
        """Its path segment (``caldav``)."""

    @property
    def collection_type(self) -> str:
        """Clark name added to a folder collection's resourcetype."""

    @property
    def member_content_type(self) -> str:
        """Media type of the members."""

    @property
    def max_resource_setting(self) -> str | None:
        """The setting giving the largest member in bytes, if any."""


QUOTA_SETTING = "oxdav.quota.bytes"
"""The cascading property holding a user's quota in bytes (0: unlimited)."""


async def home_quota(tree: FolderTree) -> tuple[int, int] | None:
    """``(used, available)`` bytes of the requesting user (RFC 4331 §3, §4), or None when
    they have no quota (the properties are then absent)."""
    home = await tree.home()
    if home.quota is None:
        return None
    used = await home.used_bytes()
    return used, max(home.quota - used, 0)


class TreeResource(ReadableCollection):
    """Base of the tree's own resources: a path and the per-request tree."""

    tree: FolderTree

    def __init__(self, tree: FolderTree, path: str) -> None:
        super().__init__(tree, path)


class MemberLookup(abc.ABC):
    """A collection of the tree whose members are looked up by name."""

    @abc.abstractmethod
    async def resolve_member(self, name: str) -> DAVResource | None:
        """The member called ``name``, or ``None``."""
