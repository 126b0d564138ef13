"""Write locks in SQLite (database-thread functions behind ``Collection.lock`` & co.).

A lock is a row of ``locks`` (migration 0006) on one member name of one folder, with
its creator and a wall-clock expiry in epoch seconds. Every read leaves expired rows
out, so an expired lock never has an effect; ``acquire`` deletes those on its name and
``prune_locks`` the rest. Rights are the folder's, as for ``put``: taking or refreshing
a lock needs the right to write the object (or to create it, for a free name).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from typing import Any

from .errors import Forbidden, Locked, LockLimitExceeded
from .models import Lock
from .sqlite_objects import Scope

_COLUMNS = "l.token, l.name, l.creator_id, l.exclusive, l.owner, l.timeout, l.expires"


def seconds(now: float | None) -> float:
    """``now`` when given (tests pass it), else the wall clock in epoch seconds, the one
    time every node on the database shares."""
    return time.time() if now is None else now


def _as_lock(scope: Scope, row: Any) -> Lock:
    """A row of ``_COLUMNS``; token and owner only for the creator, a folder admin or
    the system (``Collection.locks``)."""
    shown = scope.user_id is None or row[2] == scope.user_id or scope.rights.admin
    return Lock(token=row[0] if shown else None, name=row[1], creator_id=row[2],
                exclusive=bool(row[3]), owner=row[4] if shown else None, timeout=row[5],
                expires=row[6])


def list_locks(conn: sqlite3.Connection, scope: Scope, name: str | None, now: float
               ) -> list[Lock]:
    """Unexpired locks on ``name`` (every name when None) that the scope may see: on an
    object it may read, or on a name no object holds."""
    sql = f"SELECT {_COLUMNS} FROM locks l"
    where = "l.context_id = :c AND l.folder_id = :f AND l.expires > :now"
    params: dict[str, Any] = {"c": scope.context_id, "f": scope.folder_id, "now": now,
                              "u": scope.user_id, "n": name}
    if name is not None:
        where += " AND l.name = :n"
    if scope.own_only:
        sql += (" LEFT JOIN objects o ON o.context_id = l.context_id"
                " AND o.folder_id = l.folder_id AND o.name = l.name")
        where += " AND (o.name IS NULL OR o.created_by = :u)"
    rows = conn.execute(f"{sql} WHERE {where} ORDER BY l.name, l.created, l.token", params)
    return [_as_lock(scope, row) for row in rows]


def _require_write(conn: sqlite3.Connection, scope: Scope, name: str) -> None:
    """Forbidden unless the scope may write the object ``name`` or, when no object holds
    the name, create one there (RFC 4918 §7.3: locking a free name needs bind), as
    ``put`` decides."""
    row = conn.execute(
        "SELECT created_by FROM objects WHERE context_id = ? AND folder_id = ? AND name = ?",
        (scope.context_id, scope.folder_id, name)).fetchone()
    if row is None and not scope.creates:
        raise Forbidden("create", f"locking {name!r}: objects of folder {scope.folder_id}"
                        " are made by the directory only")
    scope.require("write", scope.user_id if row is None else row[0], f"locking {name!r}")


def acquire(conn: sqlite3.Connection, scope: Scope, name: str, exclusive: bool,
            owner: str | None, timeout: int, limit: int | None, now: float) -> Lock:
    """Take a lock for the scope's user (``Collection.lock``)."""
    if scope.user_id is None:
        raise ValueError("a lock is taken by a user, not the system")
    if timeout < 1:
        raise ValueError("a lock lasts at least one second")
    _require_write(conn, scope, name)
    key = (scope.context_id, scope.folder_id, name)
    conn.execute("DELETE FROM locks WHERE context_id = ? AND folder_id = ? AND name = ?"
                 " AND expires <= ?", (*key, now))
    held = [row[0] for row in conn.execute(
        "SELECT exclusive FROM locks WHERE context_id = ? AND folder_id = ? AND name = ?",
        key)]
    if held and (exclusive or any(held)):
        raise Locked(name)
    if limit is not None:
        count = conn.execute(
            "SELECT COUNT(*) FROM locks WHERE context_id = ? AND creator_id = ?"
            " AND expires > ?", (scope.context_id, scope.user_id, now)).fetchone()[0]
        if count >= limit:
            raise LockLimitExceeded(limit)
    token = f"urn:uuid:{uuid.uuid4()}"
    expires = int(now) + timeout
    conn.execute(
        "INSERT INTO locks (token, context_id, folder_id, name, creator_id, exclusive, owner,"
        " timeout, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (token, *key, scope.user_id, int(exclusive), owner, timeout, int(now), expires))
    return Lock(token, name, scope.user_id, exclusive, owner, timeout, expires)


def _held(conn: sqlite3.Connection, scope: Scope, name: str, token: str, now: float
          ) -> Any:
    """The unexpired lock ``token`` on ``name`` in the scope's folder, as a row."""
    return conn.execute(
        f"SELECT {_COLUMNS} FROM locks l WHERE l.token = ? AND l.context_id = ?"
        " AND l.folder_id = ? AND l.name = ? AND l.expires > ?",
        (token, scope.context_id, scope.folder_id, name, now)).fetchone()


def refresh(conn: sqlite3.Connection, scope: Scope, name: str, token: str, timeout: int,
            now: float) -> Lock | None:
    """Restart the user's own lock ``token`` (``Collection.refresh_lock``)."""
    if timeout < 1:
        raise ValueError("a lock lasts at least one second")
    row = _held(conn, scope, name, token, now)
    if row is None or row[2] != scope.user_id:
        return None
    _require_write(conn, scope, name)
    expires = int(now) + timeout
    conn.execute("UPDATE locks SET timeout = ?, expires = ? WHERE token = ?",
                 (timeout, expires, token))
    lock = _as_lock(scope, row)
    return Lock(lock.token, name, lock.creator_id, lock.exclusive, lock.owner, timeout,
                expires)


def release(conn: sqlite3.Connection, scope: Scope, name: str, token: str, now: float
            ) -> bool:
    """Remove lock ``token``: its creator's or a folder admin's (``Collection.unlock``)."""
    row = _held(conn, scope, name, token, now)
    if row is None:
        return False
    if scope.user_id is not None and row[2] != scope.user_id and not scope.rights.admin:
        # RFC 3744 §3.5: removing another principal's lock is DAV:unlock (folder admin).
        raise Forbidden("admin", f"the lock on {name!r} is another user's")
    conn.execute("DELETE FROM locks WHERE token = ?", (token,))
    return True


def prune_locks(conn: sqlite3.Connection, now: float) -> int:
    """Delete every expired lock; returns how many."""
    return conn.execute("DELETE FROM locks WHERE expires <= ?", (now,)).rowcount
