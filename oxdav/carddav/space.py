"""The address book home ``/carddav/`` as a space of the folder tree
(RFC 6352 §7.1.1): contacts folders appear as address book collections, or as the
one aggregated collection, as ``com.openexchange.carddav.*`` decides
(:mod:`oxdav.carddav.exposure`, DESIGN.md §5)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from lxml import etree

from oxdav.carddav.aggregate import AggregatedCollection
from oxdav.carddav.collection import AddressBookCollection
from oxdav.carddav.errors import ERROR_RESPONSES
from oxdav.carddav.exposure import (
    AGGREGATED_NAME,
    Exposure,
    aggregated_set,
    exposure_for,
    ignored_folders,
    names_aggregated,
)
from oxdav.carddav.mkcol import parse_mkcol
from oxdav.carddav.names import ADDRESSBOOK
from oxdav.carddav.properties import carddav_properties
from oxdav.carddav.reports import carddav_reports
from oxdav.dav.errors import DAVError, ErrorResponses
from oxdav.dav.methods.capabilities import CollectionMaker
from oxdav.dav.namespaces import CARDDAV_NS, clark
from oxdav.dav.properties import LiveProperty, PropertyRegistry
from oxdav.dav.reports import Report, ReportRegistry
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.folders.base import FolderTree
from oxdav.folders.naming import (
    chosen_names,
    needs_alias,
    remember_name,
    segment_id,
)
from oxdav.folders.space import FolderSpace, HomeCollection, declined
from oxdav.store.errors import AlreadyExists
from oxdav.store.interfaces import Collection
from oxdav.store.models import FIRST_FOLDER_ID, MAX_CHOSEN_FOLDER_ID, Folder

__all__ = ["ADDRESSBOOK", "AddressBookSpace", "AddressBookHomeCollection"]

#: RFC 6352 §6.3.2.1: where an address book cannot be made.
LOCATION_OK = clark(CARDDAV_NS, "addressbook-collection-location-ok")


class AddressBookSpace(FolderSpace):
    """``/carddav/``: per-folder address books or the aggregated one, never both."""

    name = "carddav"
    modules = ("contacts",)
    collection_type = ADDRESSBOOK
    member_content_type = "text/vcard; charset=utf-8"
    compliance = ("addressbook",)  # RFC 6352 §6.1
    max_resource_setting = "oxdav.carddav.maxResourceSize"

    def folder_collection(self, tree: FolderTree, store_collection: Collection, *,
                          path: str | None = None) -> AddressBookCollection:
        return AddressBookCollection(tree, self, store_collection, path=path)

    def home_collection(self, tree: FolderTree) -> HomeCollection:
        return AddressBookHomeCollection(tree, self)

    def exposure(self, tree: FolderTree) -> Exposure:
        """Per-folder or aggregated, for this request's settings and User-Agent."""
        return exposure_for(tree.settings, tree.ctx.header("user-agent"))

    def exposes(self, tree: FolderTree, folder: Folder) -> bool:
        return (folder.id not in ignored_folders(tree.settings)
                and self.exposure(tree) is Exposure.PER_FOLDER)

    async def readable_store_collections(self, tree: FolderTree) -> list[Collection]:
        """The user's readable contacts folders without the ignored ones and those
        shared with them that they declined."""
        ignored = ignored_folders(tree.settings) | await declined(tree)
        home = await tree.home()
        return [c for c in await home.collections("contacts") if c.folder.id not in ignored]

    async def aggregated(self, tree: FolderTree, segment: str = AGGREGATED_NAME
                         ) -> AggregatedCollection | None:
        """The aggregated collection of this user's folder set at ``/carddav/<segment>``
        (None if the set is empty). It also gets the readable contacts folders outside
        the set, whose cards a client synced before the set changed must lose; a book
        shared with the user that they declined is outside the set."""
        ignored = ignored_folders(tree.settings) | await declined(tree)
        readable = await (await tree.home()).collections("contacts")
        folder_set = aggregated_set(tree.settings, tree.user_id,
                                    [c.folder for c in readable if c.folder.id not in ignored])
        if not folder_set.folders:
            return None
        outside = {c.folder.id: c for c in readable}
        store_collections = [outside.pop(f.id) for f in folder_set.folders]
        return AggregatedCollection(tree, self, folder_set, store_collections, outside,
                                    path=f"/{self.name}/{segment}")

    async def children(self, tree: FolderTree) -> AsyncIterator[DAVResource]:
        if self.exposure(tree) is Exposure.AGGREGATED:
            aggregated = await self.aggregated(tree)
            if aggregated is not None:
                yield aggregated
            return
        names = await chosen_names(tree)
        for store_collection in await self.readable_store_collections(tree):
            yield self.listed(tree, store_collection, names)

    async def special(self, tree: FolderTree, segment: str) -> DAVResource | None:
        # The aggregated collection answers at one name whatever its folder set.
        if names_aggregated(segment):
            return await self.aggregated(tree, segment)
        return await super().special(tree, segment)

    def properties(self, reports: ReportRegistry) -> list[LiveProperty]:
        return carddav_properties()

    def reports(self, properties: PropertyRegistry) -> list[Report]:
        return carddav_reports(properties)

    def errors(self) -> ErrorResponses:
        return ERROR_RESPONSES


class AddressBookHomeCollection(HomeCollection, CollectionMaker):
    """The home resource: extended MKCOL creates a contacts folder (RFC 5689)."""

    async def make_collection(self, ctx: RequestContext, name: str, method: str,
                              body: etree._Element | None) -> None:
        if method != "MKCOL":
            raise DAVError(403, None, f"{method} does not make address books")
        wanted = parse_mkcol(body)
        home = await self.tree.home()
        folder_id = segment_id(name)  # a numeric name becomes the folder id: reached there
        if folder_id is not None and not FIRST_FOLDER_ID <= folder_id <= MAX_CHOSEN_FOLDER_ID:
            raise DAVError(403, LOCATION_OK, f"an address book named by a number takes "
                           f"that folder id, from {FIRST_FOLDER_ID} to {MAX_CHOSEN_FOLDER_ID}")
        try:
            folder = await home.create_folder("contacts", wanted.displayname or name,
                                              description=wanted.description,
                                              folder_id=folder_id)
        except AlreadyExists:
            raise DAVError(403, LOCATION_OK, f"{name} cannot be used") from None
        if needs_alias(name):
            await remember_name(await home.collection(folder.id), name)
