"""Home kinds (``/caldav/``, ``/carddav/``) and the home collection.

A :class:`HomeKind` is what CalDAV or CardDAV plugs into the tree: the folder modules
its home shows, the collection type and member media type, the collection class it
uses, special children (schedule boxes, the aggregated address book), and the live
properties, reports, methods and error responses it adds to the registries. The composition root
(``oxdav.web.composition.build_dav``) lists the kinds; nothing here knows what they are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

from oxdav.dav.dispatch import MethodHandler
from oxdav.dav.errors import ErrorResponses
from oxdav.dav.properties import LiveProperty, PropertyRegistry
from oxdav.dav.reports import Report, ReportRegistry
from oxdav.dav.resource import DAVResource
from oxdav.folders.base import FolderTree, TreeResource, home_quota
from oxdav.folders.collection import FolderCollection
from oxdav.folders.naming import as_listed, chosen_names, find_named
from oxdav.principals.resources import user_principal_path
from oxdav.store.interfaces import Collection
from oxdav.store.models import Folder, Module


class HomeKind:
    """One home of the tree; CalDAV and CardDAV subclass it.

    Class attributes:
        name: the home's path segment (``caldav``).
        modules: the folder modules its collections show.
        collection_type: Clark name added to a folder collection's resourcetype.
        member_content_type: media type of the members.
        compliance: ``DAV:`` header classes the kind adds (RFC 4791 §5.1, RFC 6352 §6.1).
        max_resource_setting: the setting of the largest member, in bytes.
    """

    name: ClassVar[str]
    modules: ClassVar[tuple[Module, ...]]
    collection_type: ClassVar[str]
    member_content_type: ClassVar[str]
    compliance: ClassVar[tuple[str, ...]] = ()
    #: The setting giving the largest member in bytes (max-resource-size), if any.
    max_resource_setting: ClassVar[str | None] = None

    def collection(self, tree: FolderTree, collection: Collection, *,
                   path: str | None = None) -> FolderCollection:
        """The DAV collection of one folder of this home's modules (at ``path``, when
        reached by the name a client made it under)."""
        return FolderCollection(tree, self, collection, path=path)

    def home(self, tree: FolderTree) -> FolderHome:
        """The home collection itself."""
        return FolderHome(tree, self)

    def exposes(self, tree: FolderTree, folder: Folder) -> bool:
        """Whether ``folder`` (readable, of this kind's modules) appears as a collection
        in the home and is reachable by its id."""
        return True

    async def children(self, tree: FolderTree) -> AsyncIterator[DAVResource]:
        """The home's members: by default one collection per exposed folder."""
        home = await tree.home()
        names = await chosen_names(tree)
        for collection in await home.collections():
            folder = collection.folder
            if folder.module in self.modules and self.exposes(tree, folder):
                yield as_listed(tree, self, collection, names)

    async def special(self, tree: FolderTree, segment: str) -> DAVResource | None:
        """A member of the home that is not a folder id: by default a collection the
        client made under that name (:mod:`oxdav.folders.naming`), or None."""
        return await find_named(tree, self, segment)

    def properties(self, reports: ReportRegistry) -> list[LiveProperty]:
        """Live properties this kind adds."""
        return []

    def reports(self, properties: PropertyRegistry) -> list[Report]:
        """Reports this kind adds."""
        return []

    def methods(self) -> list[MethodHandler]:
        """Methods this kind adds (e.g. MKCALENDAR)."""
        return []

    def errors(self) -> ErrorResponses:
        """What the errors of this kind's layer answer (its ``errors.ERROR_RESPONSES``)."""
        return {}


class FolderHome(TreeResource):
    """``/caldav/`` or ``/carddav/``: its kind decides the members."""

    def __init__(self, tree: FolderTree, kind: HomeKind) -> None:
        super().__init__(tree, f"/{kind.name}")
        self.kind = kind

    @property
    def owner(self) -> str:
        return user_principal_path(self.tree.user_id)

    async def children(self) -> AsyncIterator[DAVResource]:
        async for child in self.kind.children(self.tree):
            yield child

    async def quota(self) -> tuple[int, int] | None:
        return await home_quota(self.tree)
