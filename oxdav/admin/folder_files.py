"""``oxdav-admin folder export|import``: a user's folder to and from an .ics or .vcf file.

Both act as the user, with the user's rights, through the folder's DAV collection:
``export`` writes exactly what a GET of the collection returns (without the answer
bound), ``import`` stores each object of the file through the collection's PUT path
(:func:`oxdav.folders.whole.import_object`): a calendar file split by UID, a card
file card by card; each object is created, updated (its UID is there already) or
refused with the reason a PUT would have been given, and never stored in part.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from oxdav.caldav.space import CalendarSpace
from oxdav.carddav.space import AddressBookSpace
from oxdav.config import ConfigSnapshot
from oxdav.dav.limits import RequestLimits
from oxdav.dav.methods.capabilities import WholeCollection
from oxdav.dav.paths import PathMapper
from oxdav.dav.resource import Principal, RequestContext
from oxdav.directory.scope import scope_for
from oxdav.folders.collection import FolderCollection
from oxdav.folders.space import FolderSpace, space_error_map
from oxdav.folders.tree import DavTree
from oxdav.folders.whole import FileContent, ImportOutcome, import_object
from oxdav.principals.resources import user_principal_path
from oxdav.store import NotFound, Store, Transaction

from .errors import EXIT_OTHER, AdminError, not_found
from .lookup import add_context_argument, find_context, find_user, id_number
from .output import print_rows

#: Objects stored per write transaction on import.
BATCH = 200
#: What the command line says it is in the access log and to User-Agent checks.
USER_AGENT = "oxdav-admin"
COLUMNS = ("result", "name", "uid", "reason")


def spaces() -> dict[str, FolderSpace]:
    """The spaces a folder of each module is served in."""
    return {space.name: space for space in (CalendarSpace(), AddressBookSpace())}


def request_context(snapshot: ConfigSnapshot, method: str, user_id: int,
                    headers: dict[str, str]) -> RequestContext:
    """A request of the user's as the collections see one; no answer bound."""
    mapper = PathMapper(snapshot.get("com.openexchange.dav.prefixPath"),
                        snapshot.get("com.openexchange.dav.proxyPrefixPath"))
    return RequestContext(method=method, path="/", headers={"user-agent": USER_AGENT,
                                                            **headers},
                          paths=mapper, principal=Principal(user_principal_path(user_id)),
                          config=snapshot, limits=RequestLimits(max_answer_bytes=None))


async def user_collection(txn: Transaction, args: argparse.Namespace, method: str,
                          headers: dict[str, str]) -> tuple[FolderCollection, RequestContext]:
    """The user's folder ``args.folder`` as its DAV collection, in the user's view, and
    the request of the user's it is served for.

    Raises:
        AdminError: exit 2 for an unknown context, user or folder (or one the user
            cannot read).
    """
    context = await find_context(txn, args.context)
    user = await find_user(txn, context, args.user)
    settings = args.snapshot.for_scope(scope_for(context, user))
    ctx = request_context(args.snapshot, method, user.id, headers)
    named = spaces()
    tree = DavTree(txn, context.id, user.id, named, ctx, settings)
    try:
        store_collection = await (await tree.home()).collection(args.folder)
    except NotFound:
        raise not_found(f"user {user.login} sees no folder {args.folder} in context "
                        f"{context.name!r}") from None
    for space in named.values():
        if store_collection.folder.module in space.modules:
            return space.folder_collection(tree, store_collection), ctx
    raise AdminError(f"folder {args.folder} is a {store_collection.folder.module} folder, "
                     "which is neither a calendar nor an address book")


async def export(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Write the folder as one .ics or .vcf file, as a GET of it returns it."""
    headers = {"accept": f"text/vcard; version={args.vcard_version}"} \
        if args.vcard_version else {}
    target = sys.stdout.buffer if args.output is None else args.output.open("wb")
    try:
        async with store.transaction("admin: folder export") as txn:
            collection, ctx = await user_collection(txn, args, "GET", headers)
            assert isinstance(collection, WholeCollection)
            chunks, _ = await collection.read_whole(ctx)
            async for chunk in chunks:
                target.write(chunk)
    finally:
        if target is not sys.stdout.buffer:
            target.close()


async def import_(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Store each object of a file in the folder; report each one."""
    data = args.file.read_bytes()
    errors = space_error_map(spaces().values())
    async with store.transaction("admin: folder import, split") as txn:
        collection, _ = await user_collection(txn, args, "PUT", {})
        assert isinstance(collection, FileContent)
        try:
            items = collection.split_file(data)
        except ValueError as error:
            raise AdminError(f"{args.file}: {error}") from None
    outcomes: list[ImportOutcome] = []
    for first in range(0, len(items), BATCH):
        async with store.transaction("admin: folder import", write=True) as txn:
            collection, ctx = await user_collection(txn, args, "PUT", {})
            assert isinstance(collection, FileContent)
            batch = [await import_object(collection, ctx, item, collection.file_suffix,
                                         collection.file_content_type, errors)
                     for item in items[first:first + BATCH]]
        outcomes += batch  # committed
        if not args.json:
            for o in batch:
                out.write(f"{o.result} {o.name} {o.uid or '-'}"
                          + (f": {o.reason}" if o.reason else "") + "\n")
    if args.json:
        print_rows(out, COLUMNS, [{"result": o.result, "name": o.name, "uid": o.uid,
                                   "reason": o.reason} for o in outcomes], as_json=True)
    counts = {r: sum(o.result == r for o in outcomes)
              for r in ("created", "updated", "unchanged", "refused")}
    summary = ", ".join(f"{n} {r}" for r, n in counts.items())
    (sys.stderr if args.json else out).write(f"{len(outcomes)} objects: {summary}\n")
    if counts["refused"]:
        raise AdminError(f"{counts['refused']} of {len(outcomes)} objects refused",
                         EXIT_OTHER)


def register_verbs(verbs: Any) -> None:
    """Add ``export`` and ``import`` to the ``folder`` subcommands."""
    p = verbs.add_parser("export", help="write a user's folder as one .ics or .vcf file",
                         description="Write what a GET of the folder's collection returns: "
                         "a calendar as one iCalendar file, an address book as its vCards.")
    add_context_argument(p)
    p.add_argument("user", metavar="USER", help="login or id; the export shows what they see")
    p.add_argument("folder", type=id_number, metavar="FOLDER_ID")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="file to write (default: standard output)")
    p.add_argument("--vcard-version", choices=("3.0", "4.0"),
                   help="every card in this version (default: each as stored)")
    p.set_defaults(handler=export)

    p = verbs.add_parser("import", help="store the objects of an .ics or .vcf file in a "
                         "user's folder",
                         description="Each object is validated as a PUT of it would be and "
                         "created, updated (its UID is there), unchanged or refused, never in "
                         "part. "
                         "Exit code 4 when any was refused.")
    add_context_argument(p)
    p.add_argument("user", metavar="USER", help="login or id; the import writes as them")
    p.add_argument("folder", type=id_number, metavar="FOLDER_ID")
    p.add_argument("file", type=Path, metavar="FILE", help=".ics or .vcf file")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.set_defaults(handler=import_)
