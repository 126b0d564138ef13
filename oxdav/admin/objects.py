"""``oxdav-admin object list|delete|reindex``: the objects of any folder.

A PUT parses an object once and stores its index (time range, instance spans, the
prepared expansion, a card's other vCard version) with it. Objects written before an
upgrade that changed the indexing keep the old index and take the slow read paths
until rewritten; ``reindex`` rebuilds the index from the stored bytes, folder by
folder, without changing any object (no new ETag, revision or sync change).

Each batch is read and parsed outside a write transaction and written in a short
one, each object only if its ETag is still the one parsed, so it is safe to run while
the daemon serves clients.

``list`` and ``delete`` are the repair path: they reach every folder of a context,
the global address list included, past the folder permissions users have, so an
object stored before PUT refused what it holds can be found (``list --check``) and
removed; its deletion is synchronised to clients like any other.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TextIO

from oxdav.caldav.collection import stored_object_index
from oxdav.caldav.errors import CalendarDataError
from oxdav.carddav.errors import CardDAVPreconditionError
from oxdav.carddav.tasks import checked_card
from oxdav.dav.xmlchars import non_xml_character
from oxdav.store import Collection, Folder, NotFound, ObjectIndex, Store, Transaction

from .errors import not_found
from .lookup import add_context_argument, find_context, id_number
from .output import print_rows

#: Objects read, parsed and written per transaction.
BATCH = 200

COLUMNS = ("name", "uid", "etag", "size", "modified")


def _card_index(data: bytes) -> ObjectIndex:
    """A stored card's index, made as a PUT makes it."""
    return checked_card(data, None, len(data)).index


#: How the index of an object of each folder module is made (from stored bytes).
INDEXERS: dict[str, Callable[[bytes], ObjectIndex]] = {
    "calendar": stored_object_index, "tasks": stored_object_index, "contacts": _card_index}


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
                    indexes.append((item.name, item.meta.etag, indexer(item.data)))
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


async def _collection(txn: Transaction, spec: str, folder: int) -> tuple[int, Collection]:
    """The context's id and its folder ``folder``, unrestricted. Raises: AdminError
    (exit 2) for an unknown context or folder."""
    context = await find_context(txn, spec)
    try:
        return context.id, await txn.system_collection(context.id, folder)
    except NotFound:
        raise not_found(f"no folder {folder} in context {context.name!r}") from None


async def _unservable(store: Store, spec: str, folder: int, names: list[str]
                      ) -> dict[str, str]:
    """Why each of ``names`` that cannot be served inside XML cannot, by name (its bytes
    are no UTF-8, or hold a character XML cannot carry); read ``BATCH`` at a time."""
    found: dict[str, str] = {}
    for first in range(0, len(names), BATCH):
        async with store.transaction("admin: object list, check") as txn:
            _, collection = await _collection(txn, spec, folder)
            stored = await collection.get_many(names[first:first + BATCH])
        for item in stored:
            try:
                where = non_xml_character(item.data.decode("utf-8"))
            except UnicodeDecodeError as error:
                where = f"no UTF-8 at byte {error.start}"
            if where is not None:
                found[item.name] = where
    return found


async def list_(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """List the objects of one folder (with ``--check``: which cannot be served)."""
    async with store.transaction("admin: object list") as txn:
        _, collection = await _collection(txn, args.context, args.folder)
        metas = await collection.list()
    columns: tuple[str, ...] = COLUMNS
    problems: dict[str, str] = {}
    if args.check:
        columns += ("problem",)
        problems = await _unservable(store, args.context, args.folder,
                                     [m.name for m in metas])
    rows = [{"name": m.name, "uid": m.uid, "etag": m.etag, "size": m.size,
             "modified": m.modified.isoformat(timespec="seconds"),
             "problem": problems.get(m.name)} for m in metas]
    print_rows(out, columns, [{c: row[c] for c in columns} for row in rows], as_json=args.json)


async def delete(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Delete objects of one folder by name, leaving tombstones clients sync."""
    async with store.transaction("admin: object delete", write=True) as txn:
        context_id, collection = await _collection(txn, args.context, args.folder)
        for name in args.names:
            try:
                await collection.delete(name)
            except NotFound:
                raise not_found(f"no object {name!r} in folder {args.folder} of context "
                                f"{args.context!r}; nothing was deleted") from None
    for name in args.names:
        out.write(f"deleted object {name!r} from folder {args.folder} "
                  f"(context {context_id})\n")


def register(nouns: Any) -> None:
    """Add the ``object`` subcommands to the top-level subparsers."""
    noun = nouns.add_parser("object", help="calendar objects and cards")
    verbs = noun.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("list", help="list the objects of a folder (any folder)")
    add_context_argument(p)
    p.add_argument("--folder", type=id_number, required=True, metavar="ID")
    p.add_argument("--check", action="store_true",
                   help="read every object and name those that cannot be served in XML "
                        "(control characters, no UTF-8)")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.set_defaults(handler=list_)

    p = verbs.add_parser("delete", help="delete objects of a folder by name (any folder)")
    add_context_argument(p)
    p.add_argument("--folder", type=id_number, required=True, metavar="ID")
    p.add_argument("names", nargs="+", metavar="NAME", help="resource name, e.g. abc.vcf")
    p.set_defaults(handler=delete)

    p = verbs.add_parser(
        "reindex", help="rebuild the stored index of every object (after an upgrade)",
        description=__doc__.split("\n\n")[1].replace("\n", " ").replace("``", ""))
    p.add_argument("context", metavar="CONTEXT", nargs="?",
                   help="id, name or mapping (default: every context)")
    p.add_argument("--folder", type=id_number, metavar="ID",
                   help="only the folder of this id (in each chosen context)")
    p.set_defaults(handler=reindex)
