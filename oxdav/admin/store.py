"""``oxdav-admin store copy --to URL``: move a whole store into an empty database.

The way up from the embedded SQLite store to PostgreSQL (DESIGN.md §8): every row is
copied as it is stored (ETags, revisions and the change log, so that clients keep
syncing with the tokens they hold), in one snapshot of the source and one transaction
of the target, which must be empty. Stop the daemon first: what it writes after the
snapshot is not copied.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, TextIO

from oxdav.storage import data_directory
from oxdav.store import (
    CopyProgress,
    Store,
    TargetNotEmpty,
    UnsupportedStorageURL,
    copy_store,
    open_store,
)

from .errors import EXIT_EXISTS, AdminError

#: Seconds between progress lines within one table.
PROGRESS_EVERY = 2.0


class ProgressLines:
    """Prints where the copy is: a line when a table is done, and every
    ``PROGRESS_EVERY`` seconds within a large one."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.last = 0.0

    def __call__(self, progress: CopyProgress) -> None:
        now = time.monotonic()
        if progress.done < progress.total and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        self.out.write(f"{progress.table}: {progress.done}/{progress.total} rows"
                       f" ({progress.seconds:.1f}s)\n")
        self.out.flush()


async def copy(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    """Copy the configured store into the empty one ``--to`` names."""
    if args.to == args.snapshot.get("oxdav.storage"):
        raise AdminError("--to names the configured store itself")
    try:
        target = open_store(args.to, data_directory(args.snapshot), args.reactor,
                            password_file=args.password_file)
    except UnsupportedStorageURL as e:
        raise AdminError(f"--to: {e}") from None
    began = time.monotonic()
    await target.start()
    try:
        copied = await copy_store(store, target, progress=ProgressLines(out),
                                  batch_rows=args.batch)
    except TargetNotEmpty as e:
        raise AdminError(str(e), EXIT_EXISTS) from None
    finally:
        await target.stop()
    out.write(f"copied {sum(copied.values())} rows ({copied['objects']} objects) into"
              f" {args.to} in {time.monotonic() - began:.1f}s\n")


def positive(text: str) -> int:
    """A whole number of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(nouns: Any) -> None:
    """Add the ``store`` subcommands to the top-level subparsers."""
    noun = nouns.add_parser("store", help="the store as a whole")
    verbs = noun.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = verbs.add_parser(
        "copy", help="copy the whole store into an empty database (e.g. SQLite to PostgreSQL)",
        description="Copy every context, user, folder, object (with its ETag), sync state, "
        "dead property and lock of the configured store into an empty database, in one "
        "transaction there. Stop the daemon first; point oxdav.storage at the target "
        "afterwards.")
    p.add_argument("--to", required=True, metavar="URL",
                   help="the target store: postgresql://USER@HOST:PORT/DATABASE?sslmode=…"
                   " (or sqlite:FILE)")
    p.add_argument("--password-file", type=Path, metavar="FILE",
                   help="the target's password, its first line (default: libpq's"
                   " PGPASSWORD, PGPASSFILE or ~/.pgpass)")
    p.add_argument("--batch", type=positive, default=1000, metavar="ROWS",
                   help="rows read and written at a time (default 1000)")
    p.set_defaults(handler=copy)
