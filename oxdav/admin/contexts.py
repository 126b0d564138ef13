"""``oxdav-admin context create|change|delete|list``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from oxdav.store import UNSET, Context, Store

from .lookup import add_context_argument, find_context, merged_config, parse_overrides
from .output import print_rows

COLUMNS = ("id", "name", "enabled", "mappings", "taxonomy", "config")


def context_row(context: Context) -> dict[str, Any]:
    """One listing row (also the JSON object) for ``context``."""
    return {"id": context.id, "name": context.name, "enabled": context.enabled,
            "mappings": list(context.mappings), "taxonomy": list(context.taxonomy_types),
            "config": dict(context.config)}


async def create(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Create a context (with its global address list)."""
    config = parse_overrides(args.config)
    async with store.transaction("admin: context create", write=True) as txn:
        context = await txn.create_context(args.name, mappings=args.mapping,
                                           taxonomy_types=args.taxonomy, config=config,
                                           context_id=args.id, enabled=not args.disabled)
    out.write(f"created context {context.id} ({context.name})\n")


async def change(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Change a context's name, mappings, taxonomy, overrides or state."""
    async with store.transaction("admin: context change", write=True) as txn:
        context = await find_context(txn, args.context)
        config: Any = UNSET
        if args.config or args.unset_config:
            config = merged_config(context.config, args.config, args.unset_config)
        context = await txn.update_context(
            context.id,
            name=UNSET if args.name is None else args.name,
            mappings=UNSET if args.mapping is None else args.mapping,
            taxonomy_types=UNSET if args.taxonomy is None else args.taxonomy,
            config=config,
            enabled=UNSET if args.enabled is None else args.enabled)
    out.write(f"changed context {context.id} ({context.name})\n")


async def delete(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Delete a context with everything in it."""
    async with store.transaction("admin: context delete", write=True) as txn:
        context = await find_context(txn, args.context)
        await txn.delete_context(context.id)
    out.write(f"deleted context {context.id} ({context.name})\n")


async def list_(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """List every context."""
    async with store.transaction("admin: context list") as txn:
        contexts = await txn.contexts()
    print_rows(out, COLUMNS, [context_row(c) for c in contexts], as_json=args.json)


def register(nouns: Any) -> None:
    """Add the ``context`` subcommands to the top-level subparsers."""
    noun = nouns.add_parser("context", help="manage contexts (tenants)")
    verbs = noun.add_subparsers(dest="verb", required=True, metavar="VERB")
    config_help = "cascade-aware property override PROPERTY=VALUE (repeatable)"

    p = verbs.add_parser("create", help="create a context")
    p.add_argument("name")
    p.add_argument("--id", type=int, help="explicit context id")
    p.add_argument("--mapping", action="append", default=[],
                   help="login mapping, e.g. the mail domain (repeatable)")
    p.add_argument("--taxonomy", action="append", default=[],
                   help="taxonomy/types tag for context sets (repeatable)")
    p.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                   help=config_help)
    p.add_argument("--disabled", action="store_true", help="create it disabled")
    p.set_defaults(handler=create)

    p = verbs.add_parser("change", help="change a context")
    add_context_argument(p)
    p.add_argument("--name")
    p.add_argument("--mapping", action="append",
                   help="login mapping (repeatable; replaces all mappings)")
    p.add_argument("--taxonomy", action="append",
                   help="taxonomy/types tag (repeatable; replaces all tags)")
    p.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                   help=config_help)
    p.add_argument("--unset-config", action="append", default=[], metavar="KEY",
                   help="remove an override (repeatable)")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="enabled", action="store_const", const=True)
    state.add_argument("--disable", dest="enabled", action="store_const", const=False)
    p.set_defaults(handler=change, enabled=None)

    p = verbs.add_parser("delete", help="delete a context with all its data")
    add_context_argument(p)
    p.set_defaults(handler=delete)

    p = verbs.add_parser("list", help="list contexts")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.set_defaults(handler=list_)
