"""``oxdav-admin``: manage contexts, users, groups and folders from the command line.

Reads the same configuration directory as the daemon (``-c DIR``) and opens its own
short-lived store instance; SQLite in WAL mode with a busy timeout makes it safe to run
while the daemon runs. Each invocation runs one reactor with ``twisted.internet.task.react``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from twisted.internet.defer import ensureDeferred
from twisted.internet.task import react

from oxdav.config import ConfigError, load_config
from oxdav.store import AlreadyExists, NotFound, StoreError

from . import contexts, dns, folders, groups, mail, objects, store, users
from .errors import (
    EXIT_CODES_HELP,
    EXIT_EXISTS,
    EXIT_NOT_FOUND,
    EXIT_OTHER,
    EXIT_USAGE,
    AdminError,
)

PROG = "oxdav-admin"


class ArgumentParser(argparse.ArgumentParser):
    """argparse with usage errors on exit code 1 (argparse's own 2 means "not found")."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> ArgumentParser:
    """The whole command line."""
    parser = ArgumentParser(
        prog=PROG, description="Manage oxdav contexts, users, groups, folders, objects and "
        "the scheduling mail queue.",
        epilog=EXIT_CODES_HELP + "\nCONTEXT is a context id, name or login mapping.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--config", dest="config_dir", type=Path,
                        default=Path("/etc/oxdav"),
                        help="configuration directory (default /etc/oxdav)")
    nouns = parser.add_subparsers(dest="noun", required=True, metavar="COMMAND")
    for module in (contexts, users, groups, folders, objects, mail, store, dns):
        module.register(nouns)
    return parser


async def run(reactor: Any, args: argparse.Namespace) -> None:
    """Load the configuration, open the store if needed and run the chosen command."""
    snapshot = load_config(args.config_dir)
    if not getattr(args, "needs_store", True):
        args.handler(snapshot, args, sys.stdout)
        return
    from oxdav.storage import configured_store

    store = configured_store(snapshot, reactor)
    await store.start()
    args.snapshot = snapshot  # for commands that show configured values
    args.reactor = reactor  # for commands that open a store of their own
    try:
        await args.handler(store, args, sys.stdout)
    finally:
        await store.stop()


def exit_code(error: BaseException) -> tuple[int, str]:
    """The exit code and the stderr message for a failure."""
    if isinstance(error, AdminError):
        return error.code, str(error)
    if isinstance(error, ConfigError):
        return EXIT_USAGE, f"invalid configuration:\n{error}"
    if isinstance(error, NotFound):
        return EXIT_NOT_FOUND, f"not found: {error}"
    if isinstance(error, AlreadyExists):
        return EXIT_EXISTS, f"already exists: {error}"
    if isinstance(error, StoreError):
        return EXIT_OTHER, f"storage error: {error}"
    if isinstance(error, ValueError):
        return EXIT_USAGE, str(error)
    return EXIT_OTHER, f"{type(error).__name__}: {error}"


async def run_reporting(reactor: Any, args: argparse.Namespace) -> None:
    """``run`` with failures turned into a message and an exit code."""
    try:
        await run(reactor, args)
    except Exception as error:  # every failure ends as a documented exit code
        code, message = exit_code(error)
        sys.stderr.write(f"{PROG}: {message}\n")
        raise SystemExit(code) from None
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point; exits with the documented code."""
    args = build_parser().parse_args(argv)
    react(lambda reactor: ensureDeferred(run_reporting(reactor, args)))


if __name__ == "__main__":
    main()
