"""``oxdav-admin object reindex``: rebuild what the store keeps beside each object's bytes.

A PUT parses an object once and stores its index (time range, instance spans, the
prepared expansion, a card's other vCard version) with it. Objects written before an
upgrade that changed the indexing keep the old index and take the slow read paths
until rewritten; this command rebuilds the index from the stored bytes, folder by
folder, without changing any object (no new ETag, revision or sync change).

Each batch is read and parsed outside a write transaction and written in a short
one, each object only if its ETag is still the one parsed, so it is safe to run while
the daemon serves clients.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from oxdav.caldav.collection import stored_object_index
from oxdav.caldav.errors import CalendarDataError
from oxdav.carddav.errors import CardDAVPreconditionError
from oxdav.carddav.representations import stored_card_index
from oxdav.store import Folder, ObjectIndex, Store

from .errors import not_found
from .lookup import find_context

#: Objects read, parsed and written per transaction.
BATCH = 200


async def _calendar_index(data: bytes) -> ObjectIndex:
    return stored_object_index(data)


#: How the index of an object of each folder module is made.
INDEXERS: dict[str, Callable[[bytes], Awaitable[ObjectIndex]]] = {
    "calendar": _calendar_index, "tasks": _calendar_index, "contacts": stored_card_index}


async def _folders(store: Store, spec: str | None, folder_id: int | None
                   ) -> list[tuple[int, Folder]]:
    """The chosen folders. Raises: AdminError (exit 2) for a context or a ``--folder``
    that exists in none of the chosen contexts."""
    async with store.transaction("admin: object reindex, folders") as txn:
        contexts = [await find_context(txn, spec)] if spec else await txn.contexts()
        found = [(context.id, folder) for context in contexts
                 for folder in await txn.folders(context.id)
                 if folder_id in (None, folder.id)]
    if folder_id is not None and not found:
        where = f"context {spec}" if spec else "any context"
        raise not_found(f"no folder {folder_id} in {where}")
    return found


async def reindex(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Rebuild the index of every object in the chosen contexts and folders."""
    folders = await _folders(store, args.context, args.folder)
    done = moved = broken = 0
    for context_id, folder in folders:
        indexer = INDEXERS[folder.module]
        async with store.transaction("admin: object reindex, list") as txn:
            names = [m.name for m in await (await txn.system_collection(
                context_id, folder.id)).list()]
        for first in range(0, len(names), BATCH):
            async with store.transaction("admin: object reindex, read") as txn:
                stored = await (await txn.system_collection(context_id, folder.id)).get_many(
                    names[first:first + BATCH])
            indexes: list[tuple[str, str, ObjectIndex]] = []
            for item in stored:
                try:
                    indexes.append((item.name, item.meta.etag, await indexer(item.data)))
                except (CalendarDataError, CardDAVPreconditionError) as error:
                    broken += 1
                    out.write(f"context {context_id} folder {folder.id} {item.name}: "
                              f"not re-indexed, it no longer parses: {error}\n")
            async with store.transaction("admin: object reindex", write=True) as txn:
                collection = await txn.system_collection(context_id, folder.id)
                for name, etag, index in indexes:
                    if await collection.reindex(name, index, if_etag=etag):
                        done += 1
                    else:
                        moved += 1
    out.write(f"re-indexed {done} objects in {len(folders)} folders"
              f" ({moved} changed or deleted meanwhile, {broken} no longer parse)\n")


def register(nouns: Any) -> None:
    """Add the ``object`` subcommands to the top-level subparsers."""
    noun = nouns.add_parser("object", help="calendar objects and cards")
    verbs = noun.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = verbs.add_parser(
        "reindex", help="rebuild the stored index of every object (after an upgrade)",
        description=__doc__.split("\n\n")[1].replace("\n", " "))
    p.add_argument("context", metavar="CONTEXT", nargs="?",
                   help="id, name or mapping (default: every context)")
    p.add_argument("--folder", type=int, metavar="ID",
                   help="only the folder of this id (in each chosen context)")
    p.set_defaults(handler=reindex)
