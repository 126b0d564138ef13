"""``oxdav-admin folder create|list|delete|share``."""

from __future__ import annotations

import argparse
import socket
from typing import Any, TextIO

from oxdav.caldav.collection import folder_components
from oxdav.config import ConfigSnapshot
from oxdav.directory.scope import scope_for
from oxdav.folders.naming import shown_folder_url
from oxdav.store import (
    ALL_USERS_GROUP,
    MODULES,
    Context,
    Folder,
    FolderPermission,
    NotFound,
    Store,
    Transaction,
    User,
)

from . import folder_files
from .errors import AdminError, not_found
from .lookup import add_context_argument, find_context, find_group, find_user, shown_text
from .output import print_rows

COLUMNS = ("id", "module", "components", "name", "owner", "default", "color", "permissions",
           "url")
#: Modules whose folders CalDAV serves (their ``com.openexchange.caldav.url`` is shown).
CALDAV_MODULES = ("calendar", "tasks")
LEVEL_CHOICES = ("none", "own", "all")


async def _folder(txn: Transaction, context_id: int, folder_id: int) -> Folder:
    for folder in await txn.folders(context_id):
        if folder.id == folder_id:
            return folder
    raise not_found(f"no folder {folder_id} in context {context_id}")


def _describe(permission: FolderPermission, logins: dict[int, str],
              groups: dict[int, str]) -> str:
    if permission.is_group:
        who = "all-users" if permission.entity == ALL_USERS_GROUP else \
            "group:" + groups.get(permission.entity, str(permission.entity))
    else:
        who = "user:" + logins.get(permission.entity, str(permission.entity))
    admin = "+admin" if permission.admin else ""
    return (f"{who}=r:{permission.read}/w:{permission.write}/d:{permission.delete}{admin}")


async def create(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Create a folder owned by a user."""
    async with store.transaction("admin: folder create", write=True) as txn:
        context = await find_context(txn, args.context)
        owner = await find_user(txn, context, args.owner)
        home = await txn.home(context.id, owner.id)
        folder = await home.create_folder(args.module, args.name, color=args.color,
                                          description=args.description)
    out.write(f"created folder {folder.id} ({folder.module} {folder.name!r}) "
              f"for {owner.login}\n")


def caldav_url(snapshot: ConfigSnapshot, context: Context, owner: User | None,
               folder: Folder) -> str | None:
    """``com.openexchange.caldav.url`` of a calendar or tasks folder, resolved through
    the cascade of its owner, with ``[hostname]`` and ``[folderId]`` filled in."""
    if folder.module not in CALDAV_MODULES:
        return None
    settings = snapshot.for_scope(scope_for(context, owner)) if owner is not None else snapshot
    host = snapshot.get("oxdav.hostname") or socket.getfqdn()
    return shown_folder_url(str(settings.get("com.openexchange.caldav.url")), host, folder.id)


async def list_(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """List a context's folders, or those a user can see."""
    async with store.transaction("admin: folder list") as txn:
        context = await find_context(txn, args.context)
        if args.user:
            user = await find_user(txn, context, args.user)
            found = await (await txn.home(context.id, user.id)).folders(args.module)
        else:
            found = await txn.folders(context.id, module=args.module)
        users = {u.id: u for u in await txn.users(context.id)}
        groups = {g.id: g.name for g in await txn.groups(context.id)}
    logins = {uid: u.login for uid, u in users.items()}
    rows = [{"id": f.id, "module": f.module,
             "components": sorted(folder_components(f)) if f.module in CALDAV_MODULES
             else None, "name": f.name,
             "owner": logins.get(f.owner_id, f.owner_id) if f.owner_id is not None else None,
             "default": f.is_default, "color": f.color,
             "permissions": [_describe(p, logins, groups) for p in f.permissions],
             "url": caldav_url(args.snapshot, context, users.get(f.owner_id or -1), f)}
            for f in found]
    print_rows(out, COLUMNS, rows, as_json=args.json)


async def delete(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Delete a folder with its objects (not a default or system folder)."""
    async with store.transaction("admin: folder delete", write=True) as txn:
        context = await find_context(txn, args.context)
        folder = await _folder(txn, context.id, args.folder)
        if folder.owner_id is None or folder.is_default:
            raise AdminError(f"folder {folder.id} ({folder.name!r}) is a system or default "
                             "folder; it goes only with its context or user")
        collection = await txn.system_collection(context.id, folder.id)
        await collection.delete_folder()
    out.write(f"deleted folder {folder.id} ({folder.name!r})\n")


async def share(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Grant (or with ``--revoke`` remove) one permission entry of a folder."""
    async with store.transaction("admin: folder share", write=True) as txn:
        context = await find_context(txn, args.context)
        folder = await _folder(txn, context.id, args.folder)
        if args.user:
            entity, is_group = (await find_user(txn, context, args.user)).id, False
        elif args.group:
            entity, is_group = (await find_group(txn, context, args.group)).id, True
        else:
            entity, is_group = ALL_USERS_GROUP, True
        kept = [p for p in folder.permissions
                if (p.entity, p.is_group) != (entity, is_group)]
        if not args.revoke:
            kept.append(FolderPermission(entity, is_group, args.read, args.write,
                                         args.delete, args.admin))
        try:
            collection = await txn.system_collection(context.id, folder.id)
        except NotFound:
            raise not_found(f"no folder {folder.id} in context {context.id}") from None
        await collection.update_folder(permissions=kept)
    verb = "revoked" if args.revoke else "shared"
    out.write(f"{verb} folder {folder.id} ({folder.name!r})\n")


def register(nouns: Any) -> None:
    """Add the ``folder`` subcommands to the top-level subparsers."""
    noun = nouns.add_parser("folder", help="manage calendar, task and contacts folders")
    verbs = noun.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("create", help="create a folder owned by a user")
    add_context_argument(p)
    p.add_argument("owner", metavar="OWNER", help="owner login or id")
    p.add_argument("name", type=shown_text)
    p.add_argument("--module", choices=MODULES, required=True)
    p.add_argument("--color", type=shown_text, help="colour, e.g. #3a87ad")
    p.add_argument("--description", type=shown_text)
    p.set_defaults(handler=create)

    p = verbs.add_parser("list", help="list folders")
    add_context_argument(p)
    p.add_argument("--user", metavar="LOGIN", help="only folders this user can see")
    p.add_argument("--module", choices=MODULES)
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.set_defaults(handler=list_)

    p = verbs.add_parser("delete", help="delete a folder and its objects")
    add_context_argument(p)
    p.add_argument("folder", type=int, metavar="FOLDER_ID")
    p.set_defaults(handler=delete)

    p = verbs.add_parser("share", help="set one user's or group's rights on a folder")
    add_context_argument(p)
    p.add_argument("folder", type=int, metavar="FOLDER_ID")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="LOGIN")
    who.add_argument("--group", metavar="NAME")
    who.add_argument("--all-users", action="store_true", help="every user of the context")
    p.add_argument("--read", choices=LEVEL_CHOICES, default="all")
    p.add_argument("--write", choices=LEVEL_CHOICES, default="none")
    p.add_argument("--delete", choices=LEVEL_CHOICES, default="none")
    p.add_argument("--admin", action="store_true", help="may change the folder itself")
    p.add_argument("--revoke", action="store_true", help="remove the entry instead")
    p.set_defaults(handler=share)

    folder_files.register_verbs(verbs)
