"""``oxdav-admin mail list|retry|drop``: the outgoing scheduling mail queue (iMIP).

``list`` shows every context's messages, or one context's; ``retry`` and ``drop`` act
within the context named, so a message of another context is not found there.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any, TextIO

from oxdav.store import MAIL_STATES, Store

from .errors import not_found
from .lookup import add_context_argument, find_context, id_number
from .output import print_rows

COLUMNS = ("id", "context", "sender", "recipient", "method", "uid", "state", "attempts",
           "due", "last_error")


def _time(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def list_(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """List queued, sent, failed and skipped messages, oldest first."""
    async with store.transaction("admin: mail list") as txn:
        context = None if args.context is None else await find_context(txn, args.context)
        mails = await txn.list_mail(context_id=None if context is None else context.id,
                                    state=args.state, after_id=args.after, limit=args.limit)
        logins: dict[tuple[int, int], str] = {}
        for context_id in {m.context_id for m in mails}:
            logins.update({(context_id, u.id): u.login for u in await txn.users(context_id)})
    rows = [{"id": m.id, "context": m.context_id,
             "sender": logins.get((m.context_id, m.sender_id), str(m.sender_id)),
             "recipient": m.recipient, "method": m.method, "uid": m.uid, "state": m.state,
             "attempts": m.attempts,
             "due": _time(m.due) if m.state == "queued" else _time(m.settled),
             "last_error": m.last_error} for m in mails]
    print_rows(out, COLUMNS, rows, as_json=args.json)


async def retry(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Send a queued or failed message now, its attempts starting over."""
    async with store.transaction("admin: mail retry", write=True) as txn:
        context = await find_context(txn, args.context)
        if not await txn.retry_mail(args.id, context_id=context.id):
            raise not_found(f"no queued or failed mail {args.id} in context {context.id}")
    out.write(f"mail {args.id} of context {context.id} is due now\n")


async def drop(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Delete a message that was not sent."""
    async with store.transaction("admin: mail drop", write=True) as txn:
        context = await find_context(txn, args.context)
        if not await txn.drop_mail(args.id, context_id=context.id):
            raise not_found(f"no unsent mail {args.id} in context {context.id}")
    out.write(f"dropped mail {args.id} of context {context.id}\n")


def register(nouns: Any) -> None:
    """Add the ``mail`` subcommands to the top-level subparsers."""
    noun = nouns.add_parser("mail", help="the outgoing scheduling mail queue (iMIP)")
    verbs = noun.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("list", help="list messages (of one context)")
    p.add_argument("context", metavar="CONTEXT", nargs="?",
                   help="id, name or mapping (default: every context)")
    p.add_argument("--state", choices=MAIL_STATES)
    p.add_argument("--after", type=id_number, default=0, metavar="ID",
                   help="only messages with a higher id (paging)")
    p.add_argument("--limit", type=int, choices=range(1, 1001), default=100,
                   metavar="1..1000")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.set_defaults(handler=list_)

    p = verbs.add_parser("retry", help="send a queued or failed message now")
    add_context_argument(p)
    p.add_argument("id", type=id_number)
    p.set_defaults(handler=retry)

    p = verbs.add_parser("drop", help="delete a message that was not sent")
    add_context_argument(p)
    p.add_argument("id", type=id_number)
    p.set_defaults(handler=drop)
