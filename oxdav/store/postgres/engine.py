"""The PostgreSQL engine (DESIGN.md §8, OPS.md §B10): connections and sessions.

* psycopg 3, used synchronously on the store's own thread pools (``DBExecutor``): a
  ``writer`` and a ``reader`` pool of ``pool_size`` threads each, never the reactor's.
* At most ``pool_size`` connections, each lent to one transaction for its lifetime.
  The pool is kept on the reactor side (a ``DeferredSemaphore`` and a list of idle
  connections) rather than in ``psycopg_pool``: a transaction waits for a connection
  without holding a thread, so the threads always serve the transactions that hold
  connections (a thread blocked in ``getconn`` could starve the very transaction it
  waits for); connections open on the database threads, and an open that fails says
  why (the server's own words) instead of a pool timeout.
* Reads: ``REPEATABLE READ READ ONLY``, one snapshot per transaction. Writes: ``READ
  COMMITTED``, any number at once; ``ContentRows.hold_writers`` makes the checks of a
  write race-free across nodes with row locks. Only read sessions fill the shared
  metadata cache (``core.cache``).
* Migrations at start under an advisory lock (``migrate``); events to and from the
  other nodes through NOTIFY/LISTEN (``notify``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from twisted.internet.defer import DeferredSemaphore
from twisted.internet.interfaces import IReactorFromThreads
from twisted.logger import Logger

from ..core.cache import MetadataCache
from ..core.events import decode
from ..core.store import CoreStore
from ..errors import NotFound, StoreError, StoreUnavailable, WriteConflict
from ..executor import DBExecutor, PoolStats
from .migrate import migrate
from .notify import CHANNEL, MAX_PAYLOAD, Listener, Publish, payloads
from .rows import PostgresRows
from .target import DatabaseTarget

WRITER = "writer"
READER = "reader"
HEALTH = "health"

_BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
_BEGIN_WRITE = "BEGIN ISOLATION LEVEL READ COMMITTED"


class _Cursor(psycopg.Cursor[Any]):
    """A cursor that says what a text with a NUL character is to this store.

    PostgreSQL text cannot hold NUL (psycopg refuses it before sending anything, so
    the transaction goes on). Such a text names nothing stored here: a lookup finds
    nothing, and a write of it is refused the same way (``NotFound``), where SQLite
    would store it.
    """

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        try:
            return super().execute(query, params, **kwargs)
        except psycopg.DataError as e:
            raise _nul(e) from e
        except psycopg.OperationalError as e:
            raise _lost(self.connection, e) from e

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        try:
            super().executemany(query, params_seq, **kwargs)
        except psycopg.DataError as e:
            raise _nul(e) from e
        except psycopg.OperationalError as e:
            raise _lost(self.connection, e) from e


def _lost(conn: psycopg.Connection[Any], error: psycopg.OperationalError) -> Exception:
    """``StoreUnavailable`` when ``error`` lost the connection (the server went away or
    ended the session), else ``error`` itself (a statement timeout, …)."""
    if conn.broken or conn.closed:
        return StoreUnavailable(f"lost the connection to the database: {_reason(error)}")
    if isinstance(error, psycopg.errors.DeadlockDetected):
        return WriteConflict(f"ended to break a deadlock: {_reason(error)}")
    return error


def _nul(error: psycopg.DataError) -> Exception:
    if "NUL (0x00)" in str(error):
        return NotFound("a name with a NUL character names nothing in this store")
    return error


class PostgresSession:
    """One connection lent to one transaction (``core.session.Session``)."""

    def __init__(self, engine: PostgresEngine, conn: psycopg.Connection[Any]) -> None:
        self._engine = engine
        self.conn = conn
        self.rows = PostgresRows(conn, engine.metadata)
        self.write = False
        #: Statements without parameters held back to go with the next one the
        #: session sends (a savepoint's release, NOTIFYs).
        self._pending: list[str] = []

    def begin(self, *, write: bool) -> None:
        self.write = write
        self._pending = []
        # Only reads fill the shared cache (core.cache says why).
        self.rows.fills_metadata = not write
        statement = _BEGIN_WRITE if write else _BEGIN_READ
        try:
            self.conn.execute(statement)
        except (psycopg.OperationalError, StoreUnavailable):
            if not self.conn.broken:
                raise
            # The server dropped the idle connection (a restart, a failover): nothing
            # has happened in this transaction yet, so it starts on a new one.
            self.conn.close()
            self.conn = self._engine.connect()
            self.rows.conn = self.conn
            self.conn.execute(statement)

    def commit(self) -> None:
        # A transaction in which a statement failed (and was not undone to a savepoint)
        # ends with ROLLBACK whatever is sent: a write must not look committed then.
        try:
            cursor = self._send("COMMIT")
        except psycopg.errors.InFailedSqlTransaction as e:
            raise StoreError("the transaction was rolled back: a statement in it failed"
                             ) from e
        status = cursor.statusmessage
        while cursor.nextset():
            status = cursor.statusmessage
        if status != "COMMIT" and self.write:
            raise StoreError("the transaction was rolled back: a statement in it failed")

    def rollback(self) -> None:
        self._pending = []
        if not self.conn.broken and self.conn.info.transaction_status != TransactionStatus.IDLE:
            self.conn.execute("ROLLBACK")

    def savepoint(self) -> None:
        self._send("SAVEPOINT store_call")

    def release_savepoint(self) -> None:
        # Sent with the next SAVEPOINT or COMMIT, one round trip instead of two.
        self._pending.append("RELEASE SAVEPOINT store_call")

    def rollback_to_savepoint(self) -> None:
        self._send("ROLLBACK TO SAVEPOINT store_call; RELEASE SAVEPOINT store_call")

    def announce(self, events: str) -> None:
        """NOTIFY the other nodes in this transaction, sent with its COMMIT: PostgreSQL
        delivers it once the transaction has committed (``notify``)."""
        node = self._engine.node
        if len(node) + 1 + len(events) <= MAX_PAYLOAD:
            sent = [f"{node} {events}"]
        else:
            sent = payloads(node, decode(events))
        self._pending += [
            sql.SQL("SELECT pg_notify({}, {})").format(sql.Literal(CHANNEL), sql.Literal(p))
            .as_string(self.conn) for p in sent]

    def _send(self, statement: str) -> psycopg.Cursor[Any]:
        """``statement`` after the statements held back, in one round trip (none of
        them has parameters, so they go as one simple query)."""
        statements, self._pending = [*self._pending, statement], []
        return self.conn.execute("; ".join(statements))

    @property
    def reusable(self) -> bool:
        """Whether the connection may serve the next transaction."""
        return (not self.conn.closed and not self.conn.broken
                and self.conn.info.transaction_status == TransactionStatus.IDLE)


class PostgresEngine:
    """One PostgreSQL database (``core.session.Engine``).

    Args:
        url: the libpq URL (``target``), without a password.
        reactor: delivers results from the database threads.
        password_file: the file holding the password; None: libpq's own sources.
        pool_size: connections at most, and threads per pool (reads, writes).
        statement_timeout: seconds a statement may run before the server cancels it.
        connect_timeout: seconds a connection attempt may take.
    """

    log = Logger()

    def __init__(self, url: str, reactor: IReactorFromThreads, *,
                 password_file: Path | None = None, pool_size: int = 10,
                 statement_timeout: float = 30.0, connect_timeout: float = 10.0) -> None:
        if pool_size < 1:
            raise ValueError("at least one connection is needed")
        self.target = DatabaseTarget.parse(url, password_file)
        self.pool_size = pool_size
        self.statement_timeout = statement_timeout
        self.connect_timeout = connect_timeout
        #: Tags this node's NOTIFY payloads, so that it skips its own.
        self.node = uuid.uuid4().hex[:16]
        self._reactor = reactor
        self.executor = self._new_executor()
        self._slots = DeferredSemaphore(pool_size)
        self._idle: list[PostgresSession] = []
        self._health: psycopg.Connection[Any] | None = None
        self._listener: Listener | None = None
        self._running = False
        #: Folders and groups kept between transactions (``core.cache``).
        self.metadata = MetadataCache()

    @property
    def running(self) -> bool:
        """Whether sessions are lent."""
        return self._running

    def _new_executor(self) -> DBExecutor:
        return DBExecutor(self._reactor, {WRITER: self.pool_size, READER: self.pool_size,
                                          HEALTH: 1})

    # -- connections (database threads) ----------------------------------------------

    def connect(self, *, timeout: float | None = None,
                statement_timeout: float | None = None) -> psycopg.Connection[Any]:
        """A new connection in autocommit mode (the sessions send BEGIN themselves).

        Raises:
            StoreError: the server cannot be reached or refuses the login; the message
                names the database (never the password).
        """
        password = self.target.password()
        options: dict[str, Any] = {} if password is None else {"password": password}
        try:
            conn = psycopg.connect(
                self.target.url, autocommit=True, fallback_application_name="oxdav",
                cursor_factory=_Cursor,
                connect_timeout=max(2, round(timeout or self.connect_timeout)), **options)
        except psycopg.Error as e:
            raise StoreUnavailable(f"cannot connect to the database {self.target.name}:"
                                   f" {_reason(e)}") from e
        try:
            _set_statement_timeout(conn, self.statement_timeout if statement_timeout is None
                                   else statement_timeout)
        except BaseException:
            conn.close()
            raise
        return conn

    def _open(self) -> tuple[PostgresSession, list[str]]:
        """The first connection: migrate the schema with it, without a statement
        timeout (a migration of a large table, or the wait for another node's, may
        take longer than any statement should)."""
        conn = self.connect(statement_timeout=0)
        try:
            applied = migrate(conn)
            _set_statement_timeout(conn, self.statement_timeout)
        except BaseException:
            conn.close()
            raise
        return PostgresSession(self, conn), applied

    def _new_session(self) -> PostgresSession:
        return PostgresSession(self, self.connect())

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """See ``Store.start``: connect, migrate, start the thread pools.

        Raises:
            StoreError: the database cannot be reached, logged in to or migrated; the
                message names it.
        """
        if self._running:
            return
        # Nothing kept from before a restart: the database may have been replaced.
        self.metadata.clear()
        self.executor = self._new_executor()
        self.executor.start()
        try:
            session, applied = await self.executor.run(WRITER, self._open)
        except StoreError:
            self.executor.stop()
            raise
        except (psycopg.Error, RuntimeError, OSError) as e:
            self.executor.stop()
            raise StoreError(f"cannot open the database {self.target.name}:"
                             f" {_reason(e)}") from e
        except BaseException:
            self.executor.stop()
            raise
        self._idle = [session]
        for name in applied:
            self.log.info("applied schema migration {migration} to {database}",
                          migration=name, database=self.target.name)
        self._running = True
        self.log.info("PostgreSQL store {database} open (up to {n} connections)",
                      database=self.target.name, n=self.pool_size)

    def listen(self, publish: Publish) -> None:
        """Hand the events other nodes commit to ``publish`` (on the reactor thread)
        until :meth:`stop`."""
        if self._listener is None:
            self._listener = Listener(self.connect, self.node, publish, self._reactor)
            self._listener.start()

    async def stop(self) -> None:
        """See ``Store.stop``: wait for the sessions lent, close, stop the threads."""
        if not self._running:
            return
        self._running = False
        for _ in range(self.pool_size):
            await self._slots.acquire()
        try:
            listener, self._listener = self._listener, None
            idle, self._idle = self._idle, []
            if listener is not None:
                wake = None if not idle else (
                    lambda channel: idle[0].conn.execute(f"NOTIFY {channel}"))
                await self.executor.run(HEALTH, listener.stop, wake)
            for session in idle:
                await self.executor.run(WRITER, session.conn.close)
            if self._health is not None:
                await self.executor.run(HEALTH, self._health.close)
                self._health = None
            self.executor.stop()
        finally:
            for _ in range(self.pool_size):
                self._slots.release()
        self.log.info("PostgreSQL store {database} closed", database=self.target.name)

    def pool_stats(self) -> list[PoolStats]:
        """Thread pool gauges (``oxdav_store_pool_*``)."""
        return self.executor.stats()

    # -- sessions ---------------------------------------------------------------------

    @asynccontextmanager
    async def session(self, *, write: bool) -> AsyncIterator[tuple[PostgresSession, str]]:
        """A connection of its own for one transaction, waiting (without a thread)
        while all ``pool_size`` are lent."""
        pool = WRITER if write else READER
        await self._slots.acquire()
        try:
            session = self._idle.pop() if self._idle else None
            if session is None:
                session = await self.executor.run(pool, self._new_session)
            try:
                yield session, pool
            finally:
                if session.reusable:
                    self._idle.append(session)
                else:
                    await self.executor.run(pool, session.conn.close)
        finally:
            self._slots.release()

    # -- health -----------------------------------------------------------------------

    def _ping(self, timeout: float) -> bool:
        """``SELECT 1`` on a connection of its own (a health thread's)."""
        try:
            if self._health is None or self._health.broken or self._health.closed:
                self._health = self.connect(timeout=timeout, statement_timeout=timeout)
            self._health.execute("SELECT 1")
        except (psycopg.Error, StoreError):
            if self._health is not None:
                self._health.close()
                self._health = None
            raise
        return True

    async def ping(self, timeout: float = 2.0) -> bool:
        """Whether the database answers ``SELECT 1`` within ``timeout`` seconds, asked
        on a connection and thread of their own, so that a busy pool does not make a
        healthy database look down.

        Raises:
            StoreError: it does not; the message says why.
        """
        if not self._running:
            return False
        try:
            result: bool = await self.executor.run(HEALTH, self._ping, timeout)
        except psycopg.Error as e:
            raise StoreError(f"database {self.target.name}: {_reason(e)}") from e
        except StoreUnavailable as e:
            if self.target.name in str(e):
                raise
            raise StoreUnavailable(f"database {self.target.name}: {e}") from e
        return result


def _set_statement_timeout(conn: psycopg.Connection[Any], seconds: float) -> None:
    """The connection's ``statement_timeout`` (0: none)."""
    conn.execute("SELECT set_config('statement_timeout', %s, false)",
                 (f"{round(seconds * 1000)}ms",))


def _reason(error: BaseException) -> str:
    """An error's message on one line."""
    return " ".join(str(error).split()) or type(error).__name__


class PostgresStore(CoreStore):
    """A ``Store`` in one PostgreSQL database: the core over :class:`PostgresEngine`
    (same arguments)."""

    def __init__(self, url: str, reactor: IReactorFromThreads, **options: Any) -> None:
        self.engine: PostgresEngine = PostgresEngine(url, reactor, **options)
        super().__init__(self.engine)

    @property
    def metadata(self) -> MetadataCache:
        """Folders and groups kept between transactions."""
        return self.engine.metadata
