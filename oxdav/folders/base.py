"""What every resource of the folder tree reaches: the per-request tree.

:class:`FolderTree` is the protocol (:class:`oxdav.folders.tree.DavTree` implements
it); :class:`TreeResource` is the base of the tree's own resources.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.principals.resources import ReadableCollection
from oxdav.store.interfaces import Home, Transaction
from oxdav.work import Work

if TYPE_CHECKING:
    from oxdav.folders.homes import HomeKind


class FolderTree(Protocol):
    """One authenticated request's view: transaction, user, settings, home kinds.

    Attributes:
        txn: the request's store transaction.
        context_id: the user's context.
        user_id: the user.
        ctx: the request context (headers such as User-Agent, hrefs).
        settings: the user's configuration view through the cascade (DESIGN.md §6):
            ``settings.get(name)``.
        kinds: the home kinds by first path segment (``caldav``, ``carddav``).
        work: where CPU-heavy work runs (:mod:`oxdav.work`): parsing large bodies,
            expanding recurrences, reports over many objects.
    """

    txn: Transaction
    context_id: int
    user_id: int
    ctx: RequestContext
    settings: Any
    kinds: Mapping[str, HomeKind]
    work: Work

    async def home(self) -> Home:
        """The user's view of the folders (opened once per request)."""
        ...

    async def resolve(self, path: str) -> DAVResource | None:
        """The resource at a DAV path, or ``None``."""
        ...


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

    def __init__(self, tree: FolderTree, path: str) -> None:
        super().__init__(tree, path)  # type: ignore[arg-type]  # DavTree is also the directory
        self.tree = tree


class MemberLookup(abc.ABC):
    """A collection of the tree whose members are looked up by name."""

    @abc.abstractmethod
    async def resolve_member(self, name: str) -> DAVResource | None:
        """The member called ``name``, or ``None``."""
