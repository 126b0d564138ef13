"""``oxdav-admin group create|change|delete|list`` (members named by login or id)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from oxdav.store import UNSET, Store

from .lookup import add_context_argument, find_context, find_group, find_users
from .output import print_rows

COLUMNS = ("id", "name", "display_name", "members")


async def create(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Create a group."""
    async with store.transaction("admin: group create", write=True) as txn:
        context = await find_context(txn, args.context)
        members = await find_users(txn, context, args.member)
        group = await txn.create_group(context.id, args.name, display_name=args.display_name,
                                       members=[u.id for u in members], group_id=args.id)
    out.write(f"created group {group.id} ({group.name}) in context {context.id}\n")


async def change(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Rename a group or change its members."""
    async with store.transaction("admin: group change", write=True) as txn:
        context = await find_context(txn, args.context)
        group = await find_group(txn, context, args.group)
        members: Any = UNSET
        if args.member is not None or args.add_member or args.remove_member:
            ids = set(group.members) if args.member is None else {
                u.id for u in await find_users(txn, context, args.member)}
            ids |= {u.id for u in await find_users(txn, context, args.add_member)}
            ids -= {u.id for u in await find_users(txn, context, args.remove_member)}
            members = ids
        group = await txn.update_group(
            context.id, group.id, name=UNSET if args.name is None else args.name,
            display_name=UNSET if args.display_name is None else args.display_name,
            members=members)
    out.write(f"changed group {group.id} ({group.name}) in context {context.id}\n")


async def delete(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Delete a group and the folder permissions naming it."""
    async with store.transaction("admin: group delete", write=True) as txn:
        context = await find_context(txn, args.context)
        group = await find_group(txn, context, args.group)
        await txn.delete_group(context.id, group.id)
    out.write(f"deleted group {group.id} ({group.name}) from context {context.id}\n")


async def list_(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """List groups with their members' logins."""
    async with store.transaction("admin: group list") as txn:
        context = await find_context(txn, args.context)
        logins = {u.id: u.login for u in await txn.users(context.id)}
        rows = [{"id": g.id, "name": g.name, "display_name": g.display_name,
                 "members": sorted(logins.get(m, str(m)) for m in g.members)}
                for g in await txn.groups(context.id)]
    print_rows(out, COLUMNS, rows, as_json=args.json)


def register(nouns: Any) -> None:
    """Add the ``group`` subcommands to the top-level subparsers."""
    noun = nouns.add_parser("group", help="manage groups")
    verbs = noun.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("create", help="create a group")
    add_context_argument(p)
    p.add_argument("name")
    p.add_argument("--id", type=int, help="explicit group id")
    p.add_argument("--display-name")
    p.add_argument("--member", action="append", default=[], metavar="LOGIN",
                   help="member login or id (repeatable)")
    p.set_defaults(handler=create)

    p = verbs.add_parser("change", help="change a group")
    add_context_argument(p)
    p.add_argument("group", metavar="NAME|ID")
    p.add_argument("--name", help="new name")
    p.add_argument("--display-name")
    p.add_argument("--member", action="append", metavar="LOGIN",
                   help="member (repeatable; replaces all members)")
    p.add_argument("--add-member", action="append", default=[], metavar="LOGIN")
    p.add_argument("--remove-member", action="append", default=[], metavar="LOGIN")
    p.set_defaults(handler=change)

    p = verbs.add_parser("delete", help="delete a group")
    add_context_argument(p)
    p.add_argument("group", metavar="NAME|ID")
    p.set_defaults(handler=delete)

    p = verbs.add_parser("list", help="list the groups of a context")
    add_context_argument(p)
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.set_defaults(handler=list_)
