"""The embedded SQLite backend (DESIGN.md §8, OPS.md §B10).

* WAL journal, ``synchronous=FULL`` by default (``NORMAL`` on request: it never corrupts
  but may lose the last commits on power loss, and a client that got 201 will not resend),
  ``foreign_keys=ON``, ``busy_timeout``.
* One writer connection on its own one-thread pool, ``isolation_level=None`` with explicit
  ``BEGIN IMMEDIATE … COMMIT/ROLLBACK``; a ``DeferredLock`` gives one write transaction
  the writer for its whole lifetime.
* A few read-only connections (``PRAGMA query_only``) on a separate pool; a read
  transaction checks one out and never waits for the writer (WAL snapshots).
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from twisted.internet.defer import DeferredLock, DeferredQueue
from twisted.internet.interfaces import IReactorFromThreads
from twisted.logger import Logger

from .errors import StoreError, StoreNotRunning
from .executor import DBExecutor, PoolStats
from .models import Context
from .sqlite_cache import MetadataCache, StoreConnection
from .sqlite_migrate import migrate
from .sqlite_txn import SQLiteTransaction

Synchronous = Literal["FULL", "NORMAL"]

WRITER = "writer"
READER = "reader"


def _casefold(value: object) -> object:
    """SQL ``casefold(text)``: the text case-folded (anything else as it is)."""
    return value.casefold() if isinstance(value, str) else value


def _check_writable(conn: sqlite3.Connection) -> None:
    """Prove that the writer can write, with a change that is rolled back at once.

    SQLite opens a file it may not write (permissions, a read-only mount) read-only
    without an error, and even ``BEGIN IMMEDIATE`` succeeds; only the first change
    fails, with "attempt to write a readonly database".
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE oxdav_write_check (x)")
    finally:
        conn.execute("ROLLBACK")


class SQLiteStore:
    """A ``Store`` in one SQLite file.

    Args:
        path: the database file (created with its directory if missing).
        reactor: delivers results from the database threads.
        synchronous: ``"FULL"`` (default) or ``"NORMAL"``.
        readers: number of read-only connections: read transactions open at once (a
            streamed PROPFIND keeps one until its last chunk is written).
        reader_threads: threads the read calls run on. One by default: the calls are
            short and hold the GIL for most of their time, and more threads only fight
            the reactor thread for it (three threads cost ~25 % more CPU per GET under
            16 concurrent clients, with lower throughput; bench/RESULTS.md).
        busy_timeout_ms: how long a connection waits for a lock held elsewhere.
    """

    log = Logger()

    def __init__(self, path: Path, reactor: IReactorFromThreads, *,
                 synchronous: Synchronous = "FULL", readers: int = 3,
                 reader_threads: int = 1, busy_timeout_ms: int = 5000) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        if readers < 1 or reader_threads < 1:
            raise ValueError("at least one reader connection and thread are needed")
        self.path = Path(path)
        self.synchronous = synchronous
        self._readers_count = readers
        self._reader_threads = min(reader_threads, readers)
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._reactor = reactor
        self._executor = DBExecutor(reactor, {WRITER: 1, READER: self._reader_threads})
        self._write_lock = DeferredLock()
        self._readers: DeferredQueue[sqlite3.Connection] = DeferredQueue()
        self._writer: sqlite3.Connection | None = None
        self._all: list[sqlite3.Connection] = []
        self._running = False
        #: Folders and groups kept between transactions (``sqlite_cache``).
        self.metadata = MetadataCache()

    # -- lifecycle --------------------------------------------------------------------

    def _open_connection(self, readonly: bool) -> StoreConnection:
        """Open and configure one connection (runs on a database thread)."""
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=self._busy_timeout_ms / 1000, factory=StoreConnection)
        conn.metadata = self.metadata
        conn.fills_metadata = readonly  # see sqlite_cache: readers only
        conn.row_factory = sqlite3.Row
        # Caseless directory searches fold Unicode as Python does (SQLite's own lower()
        # and LIKE fold ASCII only).
        conn.create_function("casefold", 1, _casefold, deterministic=True)
        conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                conn.close()
                raise RuntimeError(f"cannot switch to WAL (journal_mode={mode})")
        conn.execute(f"PRAGMA synchronous = {self.synchronous}")
        if readonly:
            conn.execute("PRAGMA query_only = 1")
        return conn

    def _open_writer(self) -> tuple[sqlite3.Connection, list[str]]:
        directory = self.path.parent
        if directory.exists() and not directory.is_dir():
            # mkdir would only say "File exists".
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(directory))
        directory.mkdir(parents=True, exist_ok=True)
        conn = self._open_connection(readonly=False)
        try:
            applied = migrate(conn)
            _check_writable(conn)
        except BaseException:
            conn.close()
            raise
        return conn, applied

    async def start(self) -> None:
        """See ``Store.start``: open the writer, migrate, open the readers.

        Raises:
            StoreError: the database cannot be opened, migrated or written; the
                message names the file.
        """
        if self._running:
            return
        # Nothing kept from before a restart: the file may have been replaced (a restored
        # backup can repeat version numbers with other contents).
        self.metadata.clear()
        # A fresh executor each time: Twisted thread pools do not restart once stopped.
        self._executor = DBExecutor(self._reactor, {WRITER: 1, READER: self._reader_threads})
        self._executor.start()
        try:
            self._writer, applied = await self._executor.run(WRITER, self._open_writer)
            self._all = [self._writer]
            for name in applied:
                self.log.info("applied schema migration {migration} to {path}",
                              migration=name, path=str(self.path))
            for _ in range(self._readers_count):
                reader = await self._executor.run(READER, self._open_connection, True)
                self._all.append(reader)
                self._readers.put(reader)
        except (OSError, sqlite3.Error, RuntimeError) as e:
            # Unusable directory or file, not a database, read-only, schema too new:
            # the operator needs the file's name more than a traceback.
            await self._close_all()
            raise StoreError(f"cannot open the database {self.path}: {e}") from e
        except BaseException:
            await self._close_all()
            raise
        self._running = True
        self.log.info("SQLite store {path} open (synchronous={sync}, {n} readers)",
                      path=str(self.path), sync=self.synchronous, n=self._readers_count)

    async def _close_all(self) -> None:
        for conn in self._all:
            await self._executor.run(WRITER, conn.close)
        self._all = []
        self._writer = None
        self._executor.stop()

    async def stop(self) -> None:
        """See ``Store.stop``: wait for open transactions, close, stop the threads."""
        if not self._running:
            return
        self._running = False
        await self._write_lock.acquire()
        try:
            for _ in range(self._readers_count):
                await self._readers.get()
            await self._close_all()
        finally:
            self._write_lock.release()
        self.log.info("SQLite store {path} closed", path=str(self.path))

    def pool_stats(self) -> list[PoolStats]:
        """Thread pool gauges (``oxdav_store_pool_*``)."""
        return self._executor.stats()

    # -- transactions -----------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self, label: str, *, write: bool = False, snapshot: bool = True,
                          confirm: Context | None = None) -> AsyncIterator[SQLiteTransaction]:
        """See ``Store.transaction``. Never open a write transaction inside another:
        the second would wait for the first forever."""
        if not self._running:
            raise StoreNotRunning("the store is not running")
        if write and not snapshot:
            raise ValueError("a write transaction spans its calls")
        if write:
            await self._write_lock.acquire()
            assert self._writer is not None
            conn, pool = self._writer, WRITER
        else:
            conn, pool = await self._readers.get(), READER
        txn = SQLiteTransaction(self._executor, pool, conn, label, write, snapshot, confirm)
        try:
            try:
                yield txn
            except BaseException:
                try:
                    await txn.end(commit=False)
                except Exception:
                    self.log.failure("rollback of {label} failed", label=label)
                raise
            await txn.end(commit=True)
        finally:
            if write:
                self._write_lock.release()
            else:
                self._readers.put(conn)
