"""Write locks on folder members: the rules (database-thread functions).

A lock is held on one member name of one folder, by one user, until a wall-clock
expiry in epoch seconds (the time every node on a shared database agrees on). Reads
leave expired locks out, so an expired lock never has an effect; ``acquire`` drops
those on its name and ``prune_locks`` the rest. Taking or refreshing a lock needs the
right to write the object (or to create it, for a free name).
"""

from __future__ import annotations

import uuid

from ..errors import Forbidden, Locked, LockLimitExceeded
from ..models import Lock
from .rows import ContentRows
from .scope import Scope


def _shown(scope: Scope, lock: Lock) -> Lock:
    """``lock`` with token and owner only for its creator, a folder admin or the system
    (RFC 4918 §15.8 lets a server withhold what others may not use)."""
    if scope.user_id is None or lock.creator_id == scope.user_id or scope.rights.admin:
        return lock
    return Lock(None, lock.name, lock.creator_id, lock.exclusive, None, lock.timeout,
                lock.expires)


def list_locks(rows: ContentRows, scope: Scope, name: str | None, now: float) -> list[Lock]:
    """Unexpired locks on ``name`` (every name when None) that the scope may see: on an
    object it may read, or on a name no object holds."""
    return [_shown(scope, lock) for lock in rows.locks(scope, name, now)]


def _require_write(rows: ContentRows, scope: Scope, name: str) -> None:
    """Forbidden unless the scope may write the object ``name`` or, when no object holds
    the name, create one there (RFC 4918 §7.3: locking a free name needs bind), as
    ``put`` decides."""
    existing = rows.object_state(scope.context_id, scope.folder_id, name)
    if existing is None and not scope.creates:
        raise Forbidden("create", f"locking {name!r}: objects of folder {scope.folder_id}"
                        " are made by the directory only")
    scope.require("write", scope.user_id if existing is None else existing.created_by,
                  f"locking {name!r}")


def acquire(rows: ContentRows, scope: Scope, name: str, exclusive: bool, owner: str | None,
            timeout: int, limit: int | None, now: float) -> Lock:
    """Take a lock for the scope's user (``Collection.lock``)."""
    if scope.user_id is None:
        raise ValueError("a lock is taken by a user, not the system")
    if timeout < 1:
        raise ValueError("a lock lasts at least one second")
    rows.hold_writers(scope.context_id, scope.folder_id, None)
    _require_write(rows, scope, name)
    rows.drop_expired_locks(scope.context_id, scope.folder_id, name, now)
    held = rows.lock_kinds(scope.context_id, scope.folder_id, name)
    if held and (exclusive or any(held)):
        raise Locked(name)
    if limit is not None and rows.count_locks(scope.context_id, scope.user_id, now) >= limit:
        raise LockLimitExceeded(limit)
    lock = Lock(f"urn:uuid:{uuid.uuid4()}", name, scope.user_id, exclusive, owner, timeout,
                int(now) + timeout)
    rows.insert_lock(scope.context_id, scope.folder_id, lock, int(now))
    return lock


def refresh(rows: ContentRows, scope: Scope, name: str, token: str, timeout: int,
            now: float) -> Lock | None:
    """Restart the user's own lock ``token`` (``Collection.refresh_lock``)."""
    if timeout < 1:
        raise ValueError("a lock lasts at least one second")
    lock = rows.lock(scope.context_id, scope.folder_id, name, token, now)
    if lock is None or lock.creator_id != scope.user_id:
        return None
    _require_write(rows, scope, name)
    expires = int(now) + timeout
    rows.set_lock_expiry(token, timeout, expires)
    shown = _shown(scope, lock)
    return Lock(shown.token, name, lock.creator_id, lock.exclusive, shown.owner, timeout,
                expires)


def release(rows: ContentRows, scope: Scope, name: str, token: str, now: float) -> bool:
    """Remove lock ``token``: its creator's or a folder admin's (``Collection.unlock``)."""
    lock = rows.lock(scope.context_id, scope.folder_id, name, token, now)
    if lock is None:
        return False
    if scope.user_id is not None and lock.creator_id != scope.user_id and \
            not scope.rights.admin:
        # RFC 3744 §3.5: removing another principal's lock is DAV:unlock (folder admin).
        raise Forbidden("admin", f"the lock on {name!r} is another user's")
    rows.delete_lock(token)
    return True


def prune_locks(rows: ContentRows, now: float) -> int:
    """Delete every expired lock; returns how many."""
    return rows.prune_locks(now)
