"""What an engine offers the core besides rows: connections in transactions.

An :class:`Engine` owns the database connections and the thread pools they are used
on, and decides who waits for whom: SQLite lets one write transaction run at a time
(one writer connection), PostgreSQL many (each on its own connection; rows hold off
the writers of the same folder, ``ContentRows.hold_writers``). A :class:`Session` is
one connection lent to one transaction; its methods run on a database thread.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from ..executor import DBExecutor, PoolStats
from .cache import MetadataCache
from .rows import Rows


class Session(Protocol):
    """One connection, lent to one transaction (database-thread methods)."""

    rows: Rows

    def begin(self, *, write: bool) -> None:
        """Start a transaction that sees one snapshot (and may write, with ``write``)."""

    def commit(self) -> None: ...

    def rollback(self) -> None:
        """Roll back, if a transaction is open."""

    def savepoint(self) -> None:
        """Mark the state a failing call is undone to."""

    def release_savepoint(self) -> None: ...

    def rollback_to_savepoint(self) -> None:
        """Undo everything since :meth:`savepoint`, and forget it."""

    def announce(self, events: str) -> None:
        """Carry encoded events (``core.events.encode``) to the other processes sharing
        the database once this transaction commits (nothing, where none can)."""


class Engine(Protocol):
    """A database: its connections, thread pools and the cache they share."""

    executor: DBExecutor
    metadata: MetadataCache

    @property
    def running(self) -> bool: ...

    async def start(self) -> None:
        """Open the database, apply pending migrations, start the thread pools."""

    async def stop(self) -> None:
        """Wait for the sessions lent out, close the connections, stop the threads."""

    def session(self, *, write: bool) -> AbstractAsyncContextManager[tuple[Session, str]]:
        """Lend a session for one transaction, with the name of the pool it runs on."""

    def pool_stats(self) -> list[PoolStats]: ...

    # Optional, for engines that have them (``CoreStore`` looks them up):
    # ``listen(publish)``: hand the events other processes commit to ``publish`` on
    # the reactor thread, from start until stop (PostgreSQL LISTEN);
    # ``async ping() -> bool``: whether the database answers now, with a short timeout.
