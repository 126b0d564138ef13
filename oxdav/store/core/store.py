"""The store: transactions of the core over one engine (``Store`` Protocol)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from twisted.logger import Logger

from ..errors import StoreNotRunning
from ..executor import PoolStats
from ..models import Context
from .events import EventHub
from .session import Engine
from .transaction import CoreTransaction


class CoreStore:
    """A ``Store`` over ``engine``: every rule is the core's, every row the engine's.

    Args:
        engine: the database (``oxdav.store.sqlite.SQLiteEngine``, …).
    """

    log = Logger()

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: Subscribers to what committed transactions changed (``core.events``).
        self.events = EventHub()

    async def start(self) -> None:
        """See ``Store.start``. An engine shared by several processes (one with a
        ``listen(publish)`` method) is told the hub, to hand it what the others commit."""
        await self.engine.start()
        listen = getattr(self.engine, "listen", None)
        if listen is not None:
            listen(self.events.publish)

    async def stop(self) -> None:
        """See ``Store.stop``."""
        await self.engine.stop()

    async def ping(self) -> bool:
        """See ``Store.ping``: the engine's own check (one with a ``ping`` method), else
        whether the store is running."""
        ping = getattr(self.engine, "ping", None)
        if ping is None:
            return self.engine.running
        return bool(await ping())

    def pool_stats(self) -> list[PoolStats]:
        """Thread pool gauges (``oxdav_store_pool_*``)."""
        return self.engine.pool_stats()

    @asynccontextmanager
    async def transaction(self, label: str, *, write: bool = False, snapshot: bool = True,
                          confirm: Context | None = None) -> AsyncIterator[CoreTransaction]:
        """See ``Store.transaction``. Never open a write transaction inside another in
        one call chain: with one writer (SQLite) the second waits for the first."""
        if not self.engine.running:
            raise StoreNotRunning("the store is not running")
        if write and not snapshot:
            raise ValueError("a write transaction spans its calls")
        async with self.engine.session(write=write) as (session, pool):
            txn = CoreTransaction(self.engine.executor, pool, session, label, write,
                                  snapshot, confirm)
            try:
                yield txn
            except BaseException:
                try:
                    await txn.end(commit=False)
                except Exception:
                    self.log.failure("rollback of {label} failed", label=label)
                raise
            await txn.end(commit=True)
        self.events.publish_commit(txn.events, txn.muted)
