"""Typed errors raised by every store backend.

They carry no HTTP status codes: the WebDAV layer maps them to responses in one place
(DESIGN.md §7, STYLE.md "one error type → one response map"), after the example of
CalendarServer's ``txdav/common/icommondatastore.py``.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error a store raises on purpose."""


class NotFound(StoreError):
    """The context, user, group, folder or object does not exist, or is not visible.

    A folder the acting user may not read is reported as NotFound, so that the store
    never leaks the existence of other users' folders.
    """


class AlreadyExists(StoreError):
    """A create or conditional write hit something that already exists.

    Raised for duplicate context names, login mappings, logins, e-mail addresses, group
    names, explicit ids, a second default folder, and ``put(..., if_absent=True)`` on an
    existing object name.
    """


class UIDConflict(StoreError):
    """Another object in the same collection already holds this UID (RFC 4791 §5.3.2.1
    ``no-uid-conflict``, RFC 6352 §6.3.2.1).

    Attributes:
        uid: the UID that is taken.
        holder: the resource name of the object that holds it.
    """

    def __init__(self, uid: str, holder: str) -> None:
        super().__init__(f"UID {uid!r} is already used by {holder!r}")
        self.uid = uid
        self.holder = holder


class ETagMismatch(StoreError):
    """A write conditioned on an entity tag found a different (or no) object.

    Attributes:
        current: the object's current entity tag, or None when it does not exist.
    """

    def __init__(self, current: str | None) -> None:
        super().__init__(f"entity tag does not match (current: {current!r})")
        self.current = current


class Forbidden(StoreError):
    """The acting user's folder permissions do not allow the operation.

    Attributes:
        right: which right was missing: ``"read"``, ``"write"``, ``"delete"``,
            ``"admin"``, or ``"create"`` (an object in a system folder, see
            ``permissions.may_create_objects``).
    """

    def __init__(self, right: str, message: str = "") -> None:
        super().__init__(message or f"missing {right} permission")
        self.right = right


class InvalidSyncToken(StoreError):
    """``changes(since)`` was given a revision the store cannot answer from: negative,
    newer than the collection, or older than the pruned change history (RFC 6578 §3.2
    ``valid-sync-token``)."""


class QuotaExceeded(StoreError):
    """A write would make the bytes stored in a user's own folders exceed their limit
    (RFC 4331 §6 ``quota-not-exceeded``; the limit is given to ``Transaction.home``).

    Attributes:
        limit: the user's limit in bytes.
        used: bytes stored before the write.
        requested: by how many bytes the write would grow the total.
    """

    def __init__(self, limit: int, used: int, requested: int) -> None:
        super().__init__(f"storing {requested} more bytes would exceed the quota "
                         f"({used} of {limit} bytes used)")
        self.limit = limit
        self.used = used
        self.requested = requested


class Locked(StoreError):
    """A lock request met an unexpired conflicting lock on the same member: an exclusive
    one, or any one when an exclusive lock was asked for (RFC 4918 §6.1, §9.10.6
    ``no-conflicting-lock``).

    Attributes:
        name: the locked member name.
    """

    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} is locked")
        self.name = name


class LockLimitExceeded(StoreError):
    """A user who already holds ``limit`` unexpired locks in the context asked for
    another (the cap given to ``Collection.lock``).

    Attributes:
        limit: the most locks a user may hold.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(f"a user may hold at most {limit} locks; unlock some first")
        self.limit = limit


class PushLimitExceeded(StoreError):
    """A user who already holds ``limit`` unexpired push subscriptions in the context
    asked for another (the cap given to ``register_push``).

    Attributes:
        limit: the most subscriptions a user may hold.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(f"a user may hold at most {limit} push subscriptions")
        self.limit = limit


class ReadOnlyTransaction(StoreError):
    """A write was attempted in a transaction opened with ``write=False``."""


class TransactionClosed(StoreError):
    """The transaction (or a home/collection obtained from it) was used after it ended."""


class StoreNotRunning(StoreError):
    """The store was used before ``start()`` or after ``stop()``."""


class StoreUnavailable(StoreError):
    """The database cannot be reached now, or the connection to it was lost (a
    restart, a failover, the network): nothing of the call took effect that was not
    committed before, and trying again later may succeed."""


class WriteConflict(StoreError):
    """Writers waited for each other in a circle and the database ended this one (a
    deadlock, e.g. two organizers inviting each other at once): nothing of the
    transaction took effect; trying again succeeds."""


class UnsupportedStorageURL(StoreError, ValueError):
    """``open_store`` was given a storage URL whose scheme has no backend."""


class ContextChanged(StoreError):
    """A transaction opened with ``confirm=context`` found that context's version moved
    (or the context gone): what the caller kept from it, such as a login's verdict, is
    out of date and must be read again. Nothing was done in the transaction."""


class TargetNotEmpty(StoreError):
    """A store copy was pointed at a store that holds data already."""
