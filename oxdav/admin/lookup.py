"""Resolving what the operator typed: contexts, users, groups, config overrides."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping

from oxdav.config import DECLARATIONS
from oxdav.dav.xmlchars import non_xml_character
from oxdav.store import MAX_ID, Context, Group, NotFound, Transaction, User

from .errors import AdminError, not_found


def add_context_argument(parser: argparse.ArgumentParser) -> None:
    """The positional CONTEXT every command that works in one context takes."""
    parser.add_argument("context", metavar="CONTEXT", help="id, name or mapping")


def id_number(text: str) -> int:
    """An argparse type: a folder or user id, decimal ASCII digits up to :data:`MAX_ID`."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_ID:
        raise argparse.ArgumentTypeError(f"invalid id {text!r}")
    return int(text)


def shown_text(text: str) -> str:
    """An argparse type: a name or address users will see over CalDAV/CardDAV, so
    without characters XML cannot carry (control characters, U+FFFE, U+FFFF)."""
    where = non_xml_character(text)
    if where is not None:
        raise argparse.ArgumentTypeError(f"{text!r} holds {where}, which CalDAV and "
                                         "CardDAV cannot show")
    return text


async def find_context(txn: Transaction, spec: str) -> Context:
    """A context by id, name or login mapping (in that order).

    Raises:
        AdminError: (exit 2) nothing matches.
    """
    if spec.isdigit():
        try:
            return await txn.context(int(spec))
        except NotFound:
            pass
    for context in await txn.contexts():
        if context.name.lower() == spec.lower():
            return context
    try:
        return await txn.context_by_mapping(spec)
    except NotFound:
        raise not_found(f"no context with id, name or mapping {spec!r}") from None


async def find_user(txn: Transaction, context: Context, spec: str) -> User:
    """A user of ``context`` by id or login.

    Raises:
        AdminError: (exit 2) nothing matches.
    """
    if spec.isdigit():
        try:
            return await txn.user(context.id, int(spec))
        except NotFound:
            pass
    try:
        return await txn.user_by_login(context.id, spec)
    except NotFound:
        raise not_found(f"no user {spec!r} in context {context.name!r} "
                        f"(id {context.id})") from None


async def find_users(txn: Transaction, context: Context, specs: Iterable[str]) -> list[User]:
    """Every user named in ``specs`` (ids or logins)."""
    return [await find_user(txn, context, spec) for spec in specs]


async def find_group(txn: Transaction, context: Context, spec: str) -> Group:
    """A group of ``context`` by id or name.

    Raises:
        AdminError: (exit 2) nothing matches.
    """
    groups = await txn.groups(context.id)
    for group in groups:
        if (spec.isdigit() and group.id == int(spec)) or group.name.lower() == spec.lower():
            return group
    raise not_found(f"no group {spec!r} in context {context.name!r} (id {context.id})")


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """Check ``key=value`` config overrides against the property declarations.

    Only cascade-aware properties (DESIGN.md §6) may be set per context or user.

    Raises:
        AdminError: (exit 1) malformed item, unknown or non-cascade property, or a value
            the property does not allow; the message names the property and what is
            allowed.
    """
    overrides: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise AdminError(f"--config {item!r}: expected PROPERTY=VALUE")
        declaration = DECLARATIONS.get(name)
        if declaration is None:
            raise AdminError(f"--config: unknown property {name!r}")
        if not declaration.cascade:
            cascading = ", ".join(sorted(n for n, d in DECLARATIONS.items() if d.cascade))
            raise AdminError(f"--config: {name} is a server-wide property and cannot be set "
                             f"per context or user; these can: {cascading}")
        try:
            declaration.parse(value)
        except ValueError as error:
            raise AdminError(f"--config: invalid value for {name}: {error}; "
                             f"allowed: {declaration.kind.allowed}") from None
        overrides[name] = value
    return overrides


def merged_config(current: Mapping[str, str], set_items: Iterable[str],
                  unset: Iterable[str]) -> dict[str, str]:
    """``current`` with validated overrides applied and the ``unset`` names removed."""
    config = dict(current)
    config.update(parse_overrides(set_items))
    for name in unset:
        if name not in config:
            raise not_found(f"--unset-config: {name} is not set here")
        del config[name]
    return config
