"""``oxdav-admin user create|change|delete|list``.

Users are created, changed and deleted through ``oxdav.directory.provisioning`` so
default folders and the global-address-list card stay in step (DESIGN.md §2).
Passwords are hashed with Argon2id and never printed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from oxdav.carddav.representations import alternate_of
from oxdav.directory import provisioning
from oxdav.directory.passwords import hash_password
from oxdav.store import Store, User

from .errors import AdminError
from .lookup import (
    add_context_argument,
    find_context,
    find_user,
    id_number,
    merged_config,
    parse_overrides,
    shown_text,
)
from .output import print_rows

COLUMNS = ("id", "login", "display_name", "email", "enabled", "permissions", "aliases",
           "phones", "config")


def user_row(user: User) -> dict[str, Any]:
    """One listing row (also the JSON object) for ``user``; never the password hash."""
    return {"id": user.id, "login": user.login, "display_name": user.display_name,
            "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "enabled": user.enabled,
            "permissions": sorted(user.permissions), "aliases": list(user.aliases),
            "phones": list(user.phones), "config": dict(user.config)}


def parse_permissions(values: list[str]) -> frozenset[str]:
    """``--permission calendar,tasks`` (repeatable) as a set of module names."""
    names = {name.strip() for value in values for name in value.split(",")}
    names.discard("")
    return frozenset(names)


def read_password(args: argparse.Namespace) -> str | None:
    """The new password from ``--password`` or one line of stdin, if either was given."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif args.password is not None:
        password = args.password
    else:
        return None
    if not password:
        raise AdminError("the password must not be empty")
    return password


async def create(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Create a user with default folders and a GAL card."""
    password = read_password(args)
    if password is None:
        raise AdminError("user create needs --password or --password-stdin")
    config = parse_overrides(args.config)
    permissions = (parse_permissions(args.permission) if args.permission
                   else provisioning.DEFAULT_PERMISSIONS)
    password_hash = hash_password(password)
    async with store.transaction("admin: user create", write=True) as txn:
        context = await find_context(txn, args.context)
        user = await provisioning.create_user(
            txn, context.id, args.login, password_hash=password_hash,
            display_name=args.display_name or args.login, first_name=args.first_name,
            last_name=args.last_name, email=args.email, aliases=args.alias,
            phones=args.phone, permissions=permissions, config=config, enabled=not args.disabled,
            user_id=args.id, card_alternate=alternate_of)
    out.write(f"created user {user.id} ({user.login}) in context {context.id}\n")


async def change(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Change a user; the GAL card follows."""
    password = read_password(args)
    fields: dict[str, Any] = {}
    if password is not None:
        fields["password_hash"] = hash_password(password)
    for name in ("login", "display_name", "first_name", "last_name", "email", "enabled"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    if args.alias is not None:
        fields["aliases"] = tuple(args.alias)
    if args.phone is not None:
        fields["phones"] = tuple(args.phone)
    if args.permission is not None:
        fields["permissions"] = parse_permissions(args.permission)
    async with store.transaction("admin: user change", write=True) as txn:
        context = await find_context(txn, args.context)
        user = await find_user(txn, context, args.user)
        if args.config or args.unset_config:
            fields["config"] = merged_config(user.config, args.config, args.unset_config)
        user = await provisioning.update_user(txn, context.id, user.id,
                                              card_alternate=alternate_of, **fields)
    out.write(f"changed user {user.id} ({user.login}) in context {context.id}\n")


async def delete(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Delete a user with their folders, objects and GAL card."""
    async with store.transaction("admin: user delete", write=True) as txn:
        context = await find_context(txn, args.context)
        user = await find_user(txn, context, args.user)
        await provisioning.delete_user(txn, context.id, user.id)
    out.write(f"deleted user {user.id} ({user.login}) from context {context.id}\n")


async def list_(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """List the users of a context."""
    async with store.transaction("admin: user list") as txn:
        context = await find_context(txn, args.context)
        users = await txn.users(context.id)
    print_rows(out, COLUMNS, [user_row(u) for u in users], as_json=args.json)


def _common(p: argparse.ArgumentParser, *, create: bool) -> None:
    default: Any = [] if create else None
    p.add_argument("--display-name", type=shown_text)
    p.add_argument("--first-name", type=shown_text)
    p.add_argument("--last-name", type=shown_text)
    p.add_argument("--email", type=shown_text,
                   help="primary e-mail address (unique across contexts)")
    p.add_argument("--alias", action="append", default=default, type=shown_text,
                   help="further e-mail address (repeatable" +
                   ("" if create else "; replaces all aliases") + ")")
    p.add_argument("--phone", action="append", default=default, metavar="NUMBER",
                   type=shown_text,
                   help="telephone number for the global address list card (repeatable" +
                   ("" if create else "; replaces all numbers") + ")")
    p.add_argument("--permission", action="append", default=None,
                   help="module permissions, comma separated: calendar,tasks,contacts,"
                   "infostore (default on create: all four)")
    p.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                   help="cascade-aware property override (repeatable)")
    secret = p.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin")
    secret.add_argument("--password", help="the password (visible in the process list; "
                        "prefer --password-stdin)")


def register(nouns: Any) -> None:
    """Add the ``user`` subcommands to the top-level subparsers."""
    noun = nouns.add_parser("user", help="manage users")
    verbs = noun.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("create", help="create a user with default folders and GAL card")
    add_context_argument(p)
    p.add_argument("login", type=shown_text)
    p.add_argument("--id", type=id_number, help="explicit user id")
    p.add_argument("--disabled", action="store_true", help="create the user disabled")
    _common(p, create=True)
    p.set_defaults(handler=create)

    p = verbs.add_parser("change", help="change a user")
    add_context_argument(p)
    p.add_argument("user", metavar="LOGIN|ID")
    p.add_argument("--login", type=shown_text, help="new login name")
    p.add_argument("--unset-config", action="append", default=[], metavar="KEY",
                   help="remove an override (repeatable)")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="enabled", action="store_const", const=True)
    state.add_argument("--disable", dest="enabled", action="store_const", const=False)
    _common(p, create=False)
    p.set_defaults(handler=change, enabled=None)

    p = verbs.add_parser("delete", help="delete a user, their data and GAL card")
    add_context_argument(p)
    p.add_argument("user", metavar="LOGIN|ID")
    p.set_defaults(handler=delete)

    p = verbs.add_parser("list", help="list the users of a context")
    add_context_argument(p)
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.set_defaults(handler=list_)
