"""Spaces (``/caldav/``, ``/carddav/``) and their home collections.

A :class:`FolderSpace` is what CalDAV or CardDAV plugs into the tree under its path
segment: the folder modules it shows, the collection type and member media type, the
collection class it uses, special children (schedule boxes, the aggregated address
book), and the live properties, reports, methods and error responses it adds to the
registries. The composition (``oxdav.web.composition.build_dav``) lists the spaces;
nothing here knows what they are. Its :class:`HomeCollection` is the DAV home
collection (RFC 4791 §6.2.1, RFC 6352 §7.1.1) showing the user's store ``Home``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import ClassVar

from oxdav.dav.dispatch import MethodHandler
from oxdav.dav.errors import ErrorMapper, ErrorResponses
from oxdav.dav.properties import LiveProperty, PropertyRegistry
from oxdav.dav.reports import Report, ReportRegistry
from oxdav.dav.resource import DAVResource
from oxdav.folders.base import FolderTree, TreeResource, home_quota
from oxdav.folders.collection import FolderCollection
from oxdav.folders.errors import STORE_ERROR_RESPONSES
from oxdav.folders.naming import chosen_names
from oxdav.principals.resources import user_principal_path
from oxdav.store.interfaces import Collection
from oxdav.store.models import Folder, Module


async def declined(tree: FolderTree) -> frozenset[int]:
    """The folders shared with the user that they declined (a sharee's
    ``CS:invite-reply``): their homes do not list them, as CalendarServer sharing
    does; the permissions, and what the user may do, stay."""
    home = await tree.home()
    return frozenset(f for f, reply in (await home.share_replies()).items()
                     if reply == "declined")


class FolderSpace:
    """One space of the tree; CalDAV and CardDAV subclass it.

    Class attributes:
        name: the space's path segment (``caldav``).
        modules: the folder modules its collections show.
        collection_type: Clark name added to a folder collection's resourcetype.
        member_content_type: media type of the members.
        compliance: ``DAV:`` header classes the space adds (RFC 4791 §5.1, RFC 6352 §6.1).
        max_resource_setting: the setting of the largest member, in bytes.
    """

    name: ClassVar[str]
    modules: ClassVar[tuple[Module, ...]]
    collection_type: ClassVar[str]
    member_content_type: ClassVar[str]
    compliance: ClassVar[tuple[str, ...]] = ()
    #: The setting giving the largest member in bytes (max-resource-size), if any.
    max_resource_setting: ClassVar[str | None] = None
    #: Whether a member is read with its dead properties (one store call, not two, for
    #: a space whose GET sends one of them as a header).
    member_properties: bool = False

    def folder_collection(self, tree: FolderTree, store_collection: Collection, *,
                          path: str | None = None) -> FolderCollection:
        """The DAV collection of one folder of this space's modules (at ``path``, when
        reached by the name a client made it under)."""
        return FolderCollection(tree, self, store_collection, path=path)

    def home_collection(self, tree: FolderTree) -> HomeCollection:
        """The home collection itself."""
        return HomeCollection(tree, self)

    def exposes(self, tree: FolderTree, folder: Folder) -> bool:
        """Whether ``folder`` (readable, of this space's modules) appears as a collection
        in the home and is reachable by its id."""
        return True

    async def children(self, tree: FolderTree) -> AsyncIterator[DAVResource]:
        """The home's members: by default one collection per exposed folder, but for
        the folders shared with the user that they declined (:func:`declined`)."""
        home = await tree.home()
        names = await chosen_names(tree)
        hidden = await declined(tree)
        for store_collection in await home.collections():
            folder = store_collection.folder
            if (folder.module in self.modules and folder.id not in hidden
                    and self.exposes(tree, folder)):
                yield self.listed(tree, store_collection, names)

    async def special(self, tree: FolderTree, segment: str) -> DAVResource | None:
        """A member of the home that is not a folder id: by default a collection the
        client made under that name (:mod:`oxdav.folders.naming`), or None."""
        return await self.named(tree, segment)

    def listed(self, tree: FolderTree, store_collection: Collection,
               names: Mapping[int, str]) -> FolderCollection:
        """The collection as the home lists it: at the URL its client chose (``names``,
        from :func:`~oxdav.folders.naming.chosen_names`), if any, so a client finds what
        it made where it made it."""
        name = names.get(store_collection.folder.id)
        return self.folder_collection(tree, store_collection,
                                      path=None if name is None else f"/{self.name}/{name}")

    async def named(self, tree: FolderTree, segment: str) -> FolderCollection | None:
        """The folder of this space a client made under ``segment``, at that path."""
        for folder_id, name in (await chosen_names(tree)).items():
            if name != segment:
                continue
            store_collection = await (await tree.home()).collection(folder_id)
            folder = store_collection.folder
            if folder.module in self.modules and self.exposes(tree, folder):
                return self.folder_collection(tree, store_collection,
                                              path=f"/{self.name}/{segment}")
        return None

    def properties(self, reports: ReportRegistry) -> list[LiveProperty]:
        """Live properties this space adds."""
        return []

    def reports(self, properties: PropertyRegistry) -> list[Report]:
        """Reports this space adds."""
        return []

    def methods(self) -> list[MethodHandler]:
        """Methods this space adds (e.g. MKCALENDAR)."""
        return []

    def errors(self) -> ErrorResponses:
        """What the errors of this space's layer answer (its ``errors.ERROR_RESPONSES``)."""
        return {}


def space_error_map(spaces: Iterable[FolderSpace], errors: ErrorMapper | None = None
                    ) -> ErrorMapper:
    """An error map (``errors``, or a new one) answering the store's errors and those of
    each space's layer: what a request into the folder tree may raise."""
    errors = ErrorMapper() if errors is None else errors
    errors.register_all(STORE_ERROR_RESPONSES)
    for space in spaces:
        errors.register_all(space.errors())
    return errors


class HomeCollection(TreeResource):
    """``/caldav/`` or ``/carddav/``: its space decides the members."""

    def __init__(self, tree: FolderTree, space: FolderSpace) -> None:
        super().__init__(tree, f"/{space.name}")
        self.space = space

    @property
    def owner(self) -> str:
        return user_principal_path(self.tree.user_id)

    async def children(self) -> AsyncIterator[DAVResource]:
        async for child in self.space.children(self.tree):
            yield child

    async def quota(self) -> tuple[int, int] | None:
        return await home_quota(self.tree)
