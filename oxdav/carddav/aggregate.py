"""The aggregated address book "All Contacts" (DESIGN.md §5, OX ``exposedCollections``).

One collection spanning several contacts folders, at ``/carddav/Contacts/`` whatever
they are (:mod:`oxdav.carddav.exposure`). Its sync identity is the user's, and its
token carries one revision per folder of the set it was issued for
(:meth:`SyncToken.for_aggregate`): a sync resumes each folder exactly where it stopped,
and a folder that joined or left the set since shows up as added or removed cards
(:mod:`oxdav.carddav.aggregate_sync`).

Members keep their own folder: reads, updates and deletes act on the card's folder with
that folder's permissions (the global address list is read-only except the user's own
card, enforced by the store); a new card lands in the user's default contacts folder.
Member names are the stored names; when two folders hold the same name the folder
earlier in the set (the default folder first) wins.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime

from lxml import etree

from oxdav.carddav.aggregate_sync import aggregated_changes
from oxdav.carddav.collection import (
    AddressObject,
    CardLookup,
    WholeAddressBook,
    check_card,
    store_card,
)
from oxdav.carddav.exposure import AGGREGATED_DISPLAYNAME, AGGREGATED_NAME, FolderSet
from oxdav.carddav.validation import uid_conflict
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import (
    AggregatedSyncCollection,
    Lockable,
    PutOutcome,
    SyncChanges,
)
from oxdav.dav.privileges import BIND, READ, WRITE_CONTENT
from oxdav.dav.resource import DAVResource, Principal, RequestContext
from oxdav.dav.sync import VALID_SYNC_TOKEN, SyncToken
from oxdav.folders.base import FolderTree, SpaceTraits
from oxdav.folders.collection import FolderCollection, privileges_of
from oxdav.principals.resources import user_principal_path
from oxdav.store.interfaces import Collection
from oxdav.store.models import ObjectMeta


class AggregatedCollection(FolderCollection, AggregatedSyncCollection, CardLookup,
                           WholeAddressBook):
    """``/carddav/Contacts``: the cards of every folder of a :class:`FolderSet`.

    Args:
        tree: the request's tree.
        space: the address book space.
        folder_set: the folders it spans (non-empty).
        store_collections: the opened store collections, in the set's order; the first is
            where new cards go (the default folder when it is in the set).
        outside: the user's other readable contacts folders by id, opened: a sync
            removes their cards from a client that synced them before.
        path: where it is reached (a name earlier versions gave it, or the default).
    """

    def __init__(self, tree: FolderTree, space: SpaceTraits, folder_set: FolderSet,
                 store_collections: Sequence[Collection], outside: Mapping[int, Collection],
                 *, path: str | None = None) -> None:
        super().__init__(tree, space, store_collections[0],
                         path=path or f"/{space.name}/{AGGREGATED_NAME}")
        self.folder_set = folder_set
        self.store_collections = tuple(store_collections)
        self.outside = dict(outside)

    @property
    def displayname(self) -> str:
        return AGGREGATED_DISPLAYNAME

    @property
    def description(self) -> str | None:
        return None

    @property
    def owner(self) -> str | None:
        return user_principal_path(self.tree.user_id)

    @property
    def last_modified(self) -> datetime | None:
        return max((c.folder.modified for c in self.store_collections), default=None)

    @property
    def creation_date(self) -> datetime | None:
        return None

    @property
    def sync_identity(self) -> str:
        return f"{self.tree.context_id}/{AGGREGATED_NAME}/{self.tree.user_id}"

    @property
    def push_folder_ids(self) -> list[int]:
        return [c.folder.id for c in self.store_collections]

    def _revisions(self) -> dict[str, int]:
        return {str(c.folder.id): c.folder.revision for c in self.store_collections}

    @property
    def sync_token(self) -> str:
        return str(SyncToken.for_aggregate(self.sync_identity, self._revisions()))

    def privileges_for(self, principal: Principal | None) -> frozenset[str]:
        # Reading spans every folder; binding a new card is the default folder's right.
        target = privileges_of(self.store_collection.rights) & {BIND, WRITE_CONTENT}
        return frozenset({READ, *target})

    def writable_live_properties(self) -> frozenset[str]:
        return frozenset()

    async def resolve_member(self, name: str) -> DAVResource | None:
        return (await self.cards_named([name])).get(name)

    def unmapped_member(self, name: str) -> Lockable | None:
        # A new card lands in the default folder: a free name is locked there.
        return None if self.folder_set.default is None else super().unmapped_member(name)

    async def cards_named(self, names: Sequence[str], *, alternate: bool = False
                          ) -> dict[str, AddressObject]:
        """One store call per folder for the names not found in an earlier one."""
        found: dict[str, AddressObject] = {}
        for store_collection in self.store_collections:
            wanted = [name for name in names if name not in found]
            if not wanted:
                break
            for stored in await store_collection.get_many(wanted, derived=alternate):
                found[stored.name] = AddressObject(self, store_collection, stored.meta, stored,
                                                   alternate_read=alternate)
        return found

    async def children(self) -> AsyncIterator[DAVResource]:
        seen: set[str] = set()
        for store_collection in self.store_collections:
            for meta in await store_collection.list():
                if meta.name not in seen:
                    seen.add(meta.name)
                    yield AddressObject(self, store_collection, meta)

    async def whole_sources(self) -> list[tuple[Collection, list[ObjectMeta]]]:
        """Each folder's cards, a name shown once (the folder earlier in the set wins)."""
        seen: set[str] = set()
        sources: list[tuple[Collection, list[ObjectMeta]]] = []
        for store_collection in self.store_collections:
            metas = [m for m in await store_collection.list() if m.name not in seen]
            seen.update(m.name for m in metas)
            sources.append((store_collection, metas))
        return sources

    async def put_member(self, ctx: RequestContext, name: str, body: bytes,
                         content_type: str | None, *, if_etag: str | None,
                         if_absent: bool) -> PutOutcome:
        card = await check_card(self.tree.work, body, content_type,
                                self.max_resource_size or 0)
        existing = (await self.cards_named([name])).get(name)
        if existing is not None:
            # An update goes to the card's own folder, with that folder's rights.
            return await store_card(self, existing.store_collection, ctx, name, card,
                                    if_etag=if_etag, if_absent=if_absent)
        if self.folder_set.default is None:
            raise DAVError(403, None, "no default address book to store new cards in")
        for store_collection in self.store_collections:
            # RFC 6352 §6.3.2.1 no-uid-conflict across the whole aggregated collection.
            holder = await store_collection.by_uid(card.uid)
            if holder is not None:
                raise uid_conflict(ctx.href(f"{self.path}/{holder.name}"))
        return await store_card(self, self.store_collection, ctx, name, card, if_etag=if_etag,
                                if_absent=if_absent)

    async def patch_live_properties(self, values: Mapping[str, etree._Element | None]) -> None:
        raise DAVError(403, None, "the aggregated address book cannot be changed")

    async def dead_properties(self) -> Mapping[str, etree._Element]:
        # It has no storage of its own: the default folder's are not shown here.
        return {}

    async def patch_dead_properties(self, set_: Mapping[str, etree._Element],
                                    remove: Sequence[str]) -> None:
        raise DAVError(403, None, "the aggregated address book keeps no properties")

    async def delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        raise DAVError(403, None, "the aggregated address book cannot be deleted")

    async def changes_since(self, revision: int | None, limit: int | None) -> SyncChanges:
        changes, _ = await self.changes_since_token(None, limit)
        return changes

    async def changes_since_token(self, token: SyncToken | None, limit: int | None
                                  ) -> tuple[SyncChanges, SyncToken]:
        if token is not None and not token.is_aggregate:
            raise DAVError(403, VALID_SYNC_TOKEN, "not a token of the aggregated collection")
        return await aggregated_changes(self, self.store_collections, self.outside, token,
                                        limit)
