"""What the store's errors answer over WebDAV.

The store raises typed errors without HTTP codes (:mod:`oxdav.store.errors`) and
``dav`` knows no store, so the layer that puts the store's folders on DAV says what
each error means to a client. Every store error class is listed, also those no client
ever hears of (None: a server fault or a step of the request lifecycle), so that a new
one cannot go unanswered unnoticed (tests/folders/test_errors.py).
"""

from __future__ import annotations

from typing import Final

from oxdav.dav.errors import DAVError, ErrorFactory, ErrorResponses
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.push import PUSH_NOT_AVAILABLE
from oxdav.store.errors import (
    AlreadyExists,
    ContextChanged,
    ETagMismatch,
    Forbidden,
    InvalidSyncToken,
    Locked,
    LockLimitExceeded,
    NotFound,
    PushLimitExceeded,
    QuotaExceeded,
    ReadOnlyTransaction,
    StoreError,
    StoreNotRunning,
    StoreUnavailable,
    TargetNotEmpty,
    TransactionClosed,
    UIDConflict,
    UnsupportedStorageURL,
    WriteConflict,
)


def _plain(status: int) -> ErrorFactory:
    return lambda exc: DAVError(status, None, str(exc) or None)


#: Seconds a client is asked to wait while the database is away (RFC 9110 §10.2.3).
UNAVAILABLE_RETRY_AFTER = 10


def unavailable(exc: BaseException) -> DAVError:
    """503 with Retry-After (RFC 9110 §15.6.4): the database is away for now. The
    store's message, which names the database, stays in the log."""
    return DAVError(503, None, "The service is unavailable; try again later.",
                    headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)})


def _condition(status: int, local: str) -> ErrorFactory:
    return lambda exc: DAVError(status, clark(DAV_NS, local), str(exc) or None)


STORE_ERROR_RESPONSES: Final[ErrorResponses] = {
    NotFound: _plain(404),
    AlreadyExists: _plain(412),
    # RFC 7232 §4.2: a failed entity-tag condition is 412.
    ETagMismatch: _plain(412),
    # RFC 3744 §7.1.1: insufficient privileges.
    Forbidden: _condition(403, "need-privileges"),
    # RFC 6578 §3.2.
    InvalidSyncToken: _condition(403, "valid-sync-token"),
    # RFC 4331 §6.
    QuotaExceeded: _condition(507, "quota-not-exceeded"),
    # RFC 4918 §9.10.6: a conflicting lock is held.
    Locked: _condition(423, "no-conflicting-lock"),
    # A cap on locks per user, answered like a quota (RFC 4918 §11.5).
    LockLimitExceeded: _plain(507),
    # draft-bitfire-webdav-push §3.1: the user may register no more subscriptions.
    PushLimitExceeded: lambda exc: DAVError(403, PUSH_NOT_AVAILABLE, str(exc)),
    # The database cannot be reached now, or the connection to it was lost.
    StoreUnavailable: unavailable,
    # Ended to break a deadlock with another writer: nothing happened, try again now.
    WriteConflict: lambda exc: DAVError(503, None, "A concurrent change got in the way; "
                                        "try again.", headers={"Retry-After": "1"}),
    # Answered by the CalDAV/CardDAV collection that stores, which knows the
    # condition's namespace and the href of the holder (RFC 4791 §5.3.2.1).
    UIDConflict: None,
    # The request lifecycle looks the login up again and serves the request once more.
    ContextChanged: None,
    # Faults of the server, not of the request.
    StoreError: None,
    ReadOnlyTransaction: None,
    TransactionClosed: None,
    StoreNotRunning: None,
    UnsupportedStorageURL: None,
    TargetNotEmpty: None,
}
