"""RFC 6578 sync-collection of the aggregated address book over a changing folder set.

Its token holds one revision per folder of the set it was issued for
(:meth:`oxdav.dav.sync.SyncToken.for_aggregate`). Against the set of this request:

- a folder in both: its changes since its revision (``Collection.changes``);
- a folder new to the set (shared to the user, made, no longer ignored): all its cards,
  reported as changed members;
- a folder gone from the set that the user still reads (ignored, or left out by
  ``reducedAggregatedCollection``): every card the client can hold from it, the
  current ones and those deleted since the token, reported as removed (404);
- a folder gone from the set that the user no longer reads (share revoked, folder
  deleted): its cards cannot be listed, so the token is refused with 403
  ``valid-sync-token`` (RFC 6578 §3.2) and the client syncs afresh.

Names repeat across folders and the collection shows the card of the first folder that
holds one (the default folder first), so every name a change touches is reported as it
is now: that card, or removed when no folder of the set holds the name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from oxdav.carddav.collection import AddressObject
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import SyncChanges
from oxdav.dav.sync import VALID_SYNC_TOKEN, SyncToken
from oxdav.folders.collection import FolderCollection
from oxdav.folders.naming import segment_id
from oxdav.store.interfaces import Collection
from oxdav.store.models import ObjectMeta


@dataclass
class _Touched:
    """The names one sync touches, in the order found.

    Attributes:
        names: every touched name.
        changed: name → (index in the set, entry) of the first folder that reported it
            changed.
        count: entries reported by the folders (what ``DAV:limit`` counts).
    """

    names: dict[str, None] = field(default_factory=dict)
    changed: dict[str, tuple[int, ObjectMeta]] = field(default_factory=dict)
    count: int = 0

    def add_changed(self, index: int, meta: ObjectMeta) -> None:
        self.names.setdefault(meta.name)
        self.changed.setdefault(meta.name, (index, meta))
        self.count += 1

    def add_removed(self, name: str) -> None:
        self.names.setdefault(name)
        self.count += 1


async def aggregated_changes(aggregate: FolderCollection, store_collections: Sequence[Collection],
                             outside: Mapping[int, Collection], token: SyncToken | None,
                             limit: int | None) -> tuple[SyncChanges, SyncToken]:
    """Changes after ``token`` (None: initial listing) and the token reached.

    ``aggregate`` is the aggregated collection (its members are reached through it),
    ``store_collections`` the folders of its set in order, ``outside`` the user's other
    readable contacts folders by id.

    Folder by folder; a limit stops inside one folder, whose revision then is the last
    returned change's (RFC 6578 §3.6), the later folders keep theirs, and folders new to
    the set that were not reached stay out of the token, so they come whole next time.
    Cards of folders gone from the set come in one page: when they alone exceed the
    limit, the token is refused instead.

    Raises:
        DAVError: 403 ``valid-sync-token`` for a token it cannot continue from.
    """
    before = token.revision_map if token is not None else {}
    keys = [str(c.folder.id) for c in store_collections]
    touched = _Touched()
    for key in sorted(before.keys() - set(keys)):
        await _remove_folder(outside, key, before[key], touched)
    if limit is not None and touched.count > limit:
        raise DAVError(403, VALID_SYNC_TOKEN,
                       "more cards left the address book than DAV:limit allows")
    reached = {key: before[key] for key in keys if key in before}
    listed: dict[int, dict[str, ObjectMeta]] = {}
    truncated = False
    folders = zip(keys, store_collections, strict=True)
    for index, (key, store_collection) in enumerate(folders):
        remaining = None if limit is None else limit - touched.count
        if remaining is not None and remaining <= 0:
            truncated = True
            break
        page = await store_collection.changes(before.get(key), remaining)
        for meta in page.changed:
            touched.add_changed(index, meta)
        for name in page.deleted:
            touched.add_removed(name)
        reached[key] = page.revision
        if key not in before and not page.truncated:
            listed[index] = {meta.name: meta for meta in page.changed}  # the whole folder
        if page.truncated:
            truncated = True
            break
    changed, deleted = await _as_now(aggregate, store_collections, touched, listed)
    return (SyncChanges(revision=0, changed=changed, deleted=deleted, truncated=truncated),
            SyncToken.for_aggregate(aggregate.sync_identity, reached))


async def _remove_folder(outside: Mapping[int, Collection], key: str, since: int,
                         touched: _Touched) -> None:
    """Every name the client can hold from a folder gone from the set."""
    folder_id = segment_id(key)
    store_collection = None if folder_id is None else outside.get(folder_id)
    if store_collection is None:
        raise DAVError(403, VALID_SYNC_TOKEN,
                       "an address book this token covers is no longer readable")
    deleted = (await store_collection.changes(since)).deleted
    for meta in await store_collection.list():
        touched.add_removed(meta.name)
    for name in deleted:
        touched.add_removed(name)


async def _as_now(aggregate: FolderCollection, store_collections: Sequence[Collection],
                  touched: _Touched,
                  listed: dict[int, dict[str, ObjectMeta]]
                  ) -> tuple[list[AddressObject], list[str]]:
    """Each touched name as the collection shows it now: the card of the first folder of
    the set holding it (changed), or a removed member's path when none does.

    ``listed`` holds the whole membership of folders listed in this sync; other folders
    are asked for the names still open in one store call each."""
    found: dict[str, AddressObject] = {}
    pending = dict(touched.names)
    for index, store_collection in enumerate(store_collections):
        if not pending:
            break
        ask: list[str] = []
        for name in list(pending):
            first = touched.changed.get(name)
            if first is not None and first[0] == index:
                found[name] = AddressObject(aggregate, store_collection, first[1])
            elif index in listed:
                if name not in listed[index]:
                    continue
                found[name] = AddressObject(aggregate, store_collection, listed[index][name])
            else:
                ask.append(name)
                continue
            del pending[name]
        for stored in await store_collection.get_many(ask) if ask else ():
            found[stored.name] = AddressObject(aggregate, store_collection, stored.meta, stored)
            del pending[stored.name]
    changed = [found[name] for name in touched.names if name in found]
    deleted = [f"{aggregate.path}/{name}" for name in touched.names if name not in found]
    return changed, deleted
