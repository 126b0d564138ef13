"""The embedded SQLite engine (DESIGN.md §8, OPS.md §B10): connections and sessions.

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

from ..core.cache import MetadataCache
from ..core.store import CoreStore
from ..errors import StoreError
from ..executor import DBExecutor, PoolStats
from .migrate import migrate
from .rows import SQLiteRows

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


class SQLiteSession:
    """One connection lent to one transaction (``core.session.Session``)."""

    def __init__(self, conn: sqlite3.Connection, rows: SQLiteRows) -> None:
        self.conn = conn
        self.rows = rows

    def begin(self, *, write: bool) -> None:
        self.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def savepoint(self) -> None:
        self.conn.execute("SAVEPOINT store_call")

    def release_savepoint(self) -> None:
        self.conn.execute("RELEASE store_call")

    def rollback_to_savepoint(self) -> None:
        self.conn.execute("ROLLBACK TO store_call")
        self.conn.execute("RELEASE store_call")

    def announce(self, events: str) -> None:
        """Nothing: a SQLite file has one daemon; other writers (``oxdav-admin``) are
        seen through the context versions the caches check."""


class SQLiteEngine:
    """One SQLite file (``core.session.Engine``).

    Args:
        path: the database file (created with its directory if missing).
        reactor: delivers results from the database threads.
        synchronous: ``"FULL"`` (default) or ``"NORMAL"``.
        readers: number of read-only connections: read transactions open at once (a
            streamed PROPFIND keeps one until its last chunk is written).
        reader_threads: threads the read calls run on. One by default: the calls are
            short and hold the GIL for most of their time, and more threads only fight
            the reactor thread for it.
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
        self.executor = DBExecutor(reactor, {WRITER: 1, READER: self._reader_threads})
        self._write_lock = DeferredLock()
        self._readers: DeferredQueue[SQLiteSession] = DeferredQueue()
        self._writer: SQLiteSession | None = None
        self._all: list[sqlite3.Connection] = []
        self._running = False
        #: Folders and groups kept between transactions (``core.cache``).
        self.metadata = MetadataCache()

    @property
    def running(self) -> bool:
        """Whether sessions are lent."""
        return self._running

    # -- lifecycle --------------------------------------------------------------------

    def _open_connection(self, readonly: bool) -> sqlite3.Connection:
        """Open and configure one connection (runs on a database thread)."""
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=self._busy_timeout_ms / 1000)
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

    def _session(self, conn: sqlite3.Connection, readonly: bool) -> SQLiteSession:
        # Only readers fill the shared cache (core.cache says why).
        return SQLiteSession(conn, SQLiteRows(conn, self.metadata, fills_metadata=readonly))

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
        self.executor = DBExecutor(self._reactor, {WRITER: 1, READER: self._reader_threads})
        self.executor.start()
        try:
            writer, applied = await self.executor.run(WRITER, self._open_writer)
            self._all = [writer]
            self._writer = self._session(writer, readonly=False)
            for name in applied:
                self.log.info("applied schema migration {migration} to {path}",
                              migration=name, path=str(self.path))
            for _ in range(self._readers_count):
                reader = await self.executor.run(READER, self._open_connection, True)
                self._all.append(reader)
                self._readers.put(self._session(reader, readonly=True))
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
            await self.executor.run(WRITER, conn.close)
        self._all = []
        self._writer = None
        self.executor.stop()

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
        return self.executor.stats()

    # -- sessions ---------------------------------------------------------------------

    @asynccontextmanager
    async def session(self, *, write: bool) -> AsyncIterator[tuple[SQLiteSession, str]]:
        """The writer's session for a write transaction (one at a time), a reader's for
        a read (never waiting for the writer: WAL snapshots)."""
        if write:
            await self._write_lock.acquire()
            assert self._writer is not None
            try:
                yield self._writer, WRITER
            finally:
                self._write_lock.release()
        else:
            session = await self._readers.get()
            try:
                yield session, READER
            finally:
                self._readers.put(session)


class SQLiteStore(CoreStore):
    """A ``Store`` in one SQLite file: the core over :class:`SQLiteEngine` (same
    arguments)."""

    def __init__(self, path: Path, reactor: IReactorFromThreads, **options: object) -> None:
        self.engine: SQLiteEngine = SQLiteEngine(path, reactor, **options)  # type: ignore[arg-type]
        super().__init__(self.engine)

    @property
    def path(self) -> Path:
        """The database file."""
        return self.engine.path

    @property
    def synchronous(self) -> Synchronous:
        """The ``synchronous`` level the connections use."""
        return self.engine.synchronous

    @property
    def metadata(self) -> MetadataCache:
        """Folders and groups kept between transactions."""
        return self.engine.metadata
