"""The asynchronous storage contract: store → transaction → home → collection → object.

Shaped after CalendarServer's ``txdav/idav.py`` and ``txdav/caldav/icalendarstore.py``;
one core (``oxdav.store.core``) implements these Protocols over the row-level interface
each database engine offers (``core.rows``), and every engine passes the one contract
suite in ``tests/store/``.

Rules every backend keeps:

* Every method is ``async``; blocking work runs on the store's own thread pools, never
  on the reactor thread, and one call costs one thread hop.
* ``Store.transaction`` commits on a clean exit of ``async with`` and rolls back when
  the block raises. Each individual call is atomic too: a call that raises a
  ``StoreError`` changes nothing, and the transaction stays usable.
* Writes are race-free: of two transactions racing to write the same folder (or to
  grow the same owner's quota), the second checks what the first committed, so the
  check-and-write of ``put(if_etag=...)``, ``if_absent``, the UID rule and the quota
  hold across processes and nodes. Read-only transactions never wait for writers and
  see one consistent snapshot. Never open a write transaction while holding another
  one in the same call chain: it may wait for itself.
* Errors are the typed ones of ``oxdav.store.errors``; no HTTP codes.

Permissions (the choice made for this contract): **the store enforces folder
permissions** for everything reached through ``Transaction.home``. A Home is one user's
view; its collections carry the user's effective ``rights`` and:

* list/get/get_many/by_uid/changes return only objects the user may read (``read=own``
  means objects whose ``created_by`` is the user);
* ``put`` needs ``write`` (``own``: creating, or replacing an object the user created),
  ``delete`` needs ``delete``; otherwise ``Forbidden`` is raised;
* in a system folder (no owner: the global address list) users create no objects, as in
  OX: its cards come from the directory through ``system_collection``; a user changes
  their own (``put`` raises ``Forbidden`` for a new name, ``permissions.may_create_objects``);
* ``update_folder``, ``delete_folder`` and dead properties of the collection itself
  (resource ``""``) need ``admin``; dead properties of an object need ``write`` on it;
* system folders (no owner) and default folders cannot be deleted through a Home;
* ``lock``/``refresh_lock`` need the right ``put`` would need on the name (RFC 4918
  §7.3: for a name no object holds, the right to create one), ``unlock`` the lock's
  creator or ``admin`` (RFC 3744 §3.5 ``DAV:unlock``); ``locks`` lists only locks on
  names the user may read, with token and owner for the creator and admins only.

Whether a user or context is enabled, and the user's module permissions (calendar,
contacts...), are the directory/DAV layers' business; the store does not check them.

``Transaction.system_collection`` is the unrestricted view for the directory layer and
admin tools (e.g. writing one GAL card per user with ``created_by`` set to that user).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from .directory_interface import Directory
from .executor import PoolStats
from .mail_interface import MailQueue
from .models import (
    UNSET,
    Candidate,
    Changes,
    Context,
    Folder,
    FolderPermission,
    InboxItem,
    Lock,
    Module,
    ObjectIndex,
    ObjectMeta,
    ShareReply,
    StoredObject,
    Unset,
)
from .push_interface import PushRegistry

TimeRange = tuple[int | None, int | None]
"""``(start, end)`` in UTC epoch seconds; None is unbounded on that side."""


class Store(Protocol):
    """A storage backend. Create with ``oxdav.store.open_store``."""

    async def start(self) -> None:
        """Open the database, apply pending migrations, start the thread pools.

        Idempotent on the database: migrations already applied are skipped.
        """

    async def stop(self) -> None:
        """Wait for open transactions to end, close connections, stop threads."""

    def pool_stats(self) -> list[PoolStats]:
        """Size and load of the store's thread pools (for ``oxdav_store_pool_*`` gauges)."""
        ...

    async def ping(self) -> bool:
        """Whether the database answers now (``/readyz``): a cheap query with a short
        timeout where the database is a server; False (or an exception saying why)
        when not."""
        ...

    def transaction(
        self, label: str, *, write: bool = False, snapshot: bool = True,
        confirm: Context | None = None,
    ) -> AbstractAsyncContextManager[Transaction]:
        """Open a transaction for ``async with``.

        Args:
            label: what the transaction is for (logged on failures).
            write: whether it may write. Writes of one folder (and of one user's
                quota) wait for each other; whether others do is the engine's choice
                (SQLite: one at a time).
            snapshot: whether every call sees one snapshot (the default). A read
                opened with ``snapshot=False`` runs each call as a transaction of its
                own (consistent within the call, not across calls) and costs nothing
                to end: for one-call lookups such as authentication.
            confirm: a context as read earlier (a remembered login): the first call
                first checks, in its own snapshot and at no extra call, that the
                context's ``version`` is still ``confirm.version``, and raises
                ``ContextChanged`` (having done nothing) if not;
                ``Transaction.confirmed`` runs the check when no call has yet.

        Raises:
            ValueError: ``write`` without ``snapshot``.
        """
        ...


class Content(Protocol):
    """The content part of a transaction: the entry to users' homes and to folders."""

    async def home(self, context_id: int, user_id: int, *, quota: int | None = None) -> Home:
        """One user's view of the context's folders.

        Args:
            quota: the user's storage limit in bytes (RFC 4331), None for none. The
                caller resolves it (the config cascade, ``oxdav.quota.bytes``); the
                store enforces it on writes through this home, see ``Home``.

        Raises: NotFound (no such user) -- here, or at the latest from the first call
        on the home (a backend may open it without a database call of its own).
        """
        ...

    async def folders(self, context_id: int, *, module: Module | None = None) -> list[Folder]:
        """Every folder of the context (unrestricted; for directory/admin use)."""
        ...

    async def system_collection(self, context_id: int, folder_id: int) -> Collection:
        """Unrestricted access to a folder (``user_id`` None, all rights, ``put`` takes
        ``created_by`` as given). Raises: NotFound."""
        ...

    async def aging_instance_indexes(self, until_before: int, limit: int
                                     ) -> list[tuple[int, int, str]]:
        """Objects whose instance index (``ObjectIndex.instances``) ends before
        ``until_before`` (UTC epoch seconds), soonest first, at most ``limit``: as
        ``(context_id, folder_id, name)``, for re-indexing over a later window."""
        ...

    async def prune_tombstones(self, older_than: datetime) -> int:
        """Drop tombstones of deletions before ``older_than`` in every folder; a later
        ``changes(since)`` with a ``since`` older than a dropped tombstone raises
        ``InvalidSyncToken`` (the client then syncs from scratch). Returns how many
        tombstones were removed."""
        ...

    async def inbox_items(self, context_id: int, user_id: int) -> list[InboxItem]:
        """The user's scheduling inbox (RFC 6638 §2.2), by name. Unrestricted: the
        caller opens only the requester's own inbox, or delivers by scheduling rules."""
        ...

    async def inbox_item(self, context_id: int, user_id: int, name: str) -> InboxItem:
        """One inbox item. Raises: NotFound."""
        ...

    async def deliver_to_inbox(self, context_id: int, user_id: int, name: str,
                               data: bytes) -> InboxItem:
        """Put an iTIP message into the user's inbox (replacing one of that name).

        Raises: NotFound (no such user), ValueError (empty, overlong or slashed name).
        """
        ...

    async def delete_inbox_item(self, context_id: int, user_id: int, name: str) -> None:
        """Delete one inbox item. Raises: NotFound."""

    async def prune_locks(self, now: float | None = None) -> int:
        """Delete every lock that expired by ``now`` (epoch seconds; default the wall
        clock) in every folder; returns how many. Expired locks have no effect anyway:
        this only reclaims their rows."""
        ...


class Transaction(Directory, Content, MailQueue, PushRegistry, Protocol):
    """One unit of work over the directory and the content."""

    label: str
    write: bool

    async def confirmed(self) -> None:
        """Make sure the ``confirm`` check of ``Store.transaction`` has run (costs a
        call only when no call has run yet). Raises: ContextChanged."""


class Home(Protocol):
    """One user's view of a context's folders.

    Quota (RFC 4331): what a user *uses* is the sum of the sizes of the objects in the
    folders they own. When the home was opened with a ``quota``, ``Collection.put``
    through it into a folder the user owns raises ``QuotaExceeded`` if the write would
    grow that sum beyond the limit (a write that does not grow it always passes, so a
    user over a lowered limit can still shrink or replace). Writes into folders owned
    by someone else are counted against their owner but not checked here: this home
    does not know the owner's limit. ``system_collection`` is never limited.

    An object's derived bytes (``ObjectIndex.derived``) are not counted:
    they are server-made from content the user already pays for, not user content
    (RFC 4331 §4 leaves what "used" covers to the server), and counting it would make a
    user's room depend on the vCard version their client happens to send.
    """

    context_id: int
    user_id: int
    quota: int | None
    """The limit in bytes this home was opened with (None: unlimited)."""

    async def used_bytes(self) -> int:
        """Bytes stored in the folders the user owns (RFC 4331 §4 quota-used-bytes)."""
        ...

    async def folders(self, module: Module | None = None) -> list[Folder]:
        """Folders the user may read: owned, shared to them or one of their groups
        (including ``ALL_USERS_GROUP``), and system folders such as the GAL."""
        ...

    async def collection(self, folder_id: int, *, prefetch: str | None = None,
                         prefetch_properties: bool = False) -> Collection:
        """Open a folder. Raises: NotFound when absent or not readable by the user.

        Args:
            prefetch: the name of a member to read in the same call: the collection's
                ``get(prefetch)`` then answers (object or NotFound) without another
                store call, until the transaction writes anything.
            prefetch_properties: read the prefetched member's dead properties too:
                ``dead_properties(prefetch)`` then answers without another store
                call, the same way (when the member is there).
        """
        ...

    async def collections(self, module: Module | None = None) -> builtins.list[Collection]:
        """Open every folder ``folders(module)`` lists, in that order, in one call
        (a home listing costs one store call, not one per folder)."""
        ...

    async def share_replies(self) -> dict[int, ShareReply]:
        """The user's replies to folders shared with them (``reply_to_share``), by
        folder id, for the folders they may still read; a folder without an entry has
        no answer yet (CalendarServer's ``needs-action``)."""
        ...

    async def reply_to_share(self, folder_id: int, reply: ShareReply | None) -> Folder:
        """Accept or decline (None: take the answer back) a folder of someone else the
        user may read. The reply is dropped when the folder's permissions change so
        that the user is named afresh or may no longer read it. It grants or takes
        nothing: the permissions decide who may do what.

        Raises: NotFound (not readable), ValueError (the user's own or a system folder,
        no such reply).
        """
        ...

    async def folder_property(self, name: str) -> dict[int, str]:
        """The dead property ``name`` of the folder resource (``""``) of every folder the
        user can read that has it, by folder id, in one call."""
        ...

    async def create_folder(
        self,
        module: Module,
        name: str,
        *,
        color: str | None = None,
        description: str | None = None,
        permissions: Sequence[FolderPermission] = (),
        is_default: bool = False,
        folder_id: int | None = None,
        components: Iterable[str] = (),
    ) -> Folder:
        """Create a folder owned by the user; ``folder_id`` chooses its id, from
        ``FIRST_FOLDER_ID`` to ``MAX_CHOSEN_FOLDER_ID``; ``components``: ``Folder.components``.

        Raises:
            AlreadyExists: the explicit id is taken, or ``is_default`` and the user
                already has a default folder of this module.
            ValueError: unknown module, a chosen id outside that range, bad components.
        """
        ...


class Collection(Protocol):
    """One folder as seen by one user (or by the system)."""

    folder: Folder
    """Snapshot of the folder; its ``revision`` follows this collection's own writes."""
    rights: FolderPermission
    """Effective rights of ``user_id`` (owner and system: all/all/all + admin)."""
    user_id: int | None
    own_name: str | None
    """The name ``user_id`` gave this folder of someone else for themselves
    (``set_own_name``); None when they gave none, and always for their own folders,
    system folders and the system's view."""

    async def list(
        self, *, time_range: TimeRange | None = None, component: str | None = None
    ) -> builtins.list[ObjectMeta]:
        """Readable objects by name, optionally only those whose closed interval
        ``[first_start, last_end]`` overlaps the closed interval ``time_range`` (None
        bounds are unbounded on either side). This is an indexed pre-filter and a
        superset of RFC 4791 §9.9 matches: CalDAV applies the exact rules."""
        ...

    async def candidates(
        self, *, time_range: TimeRange | None = None, component: str | None = None
    ) -> builtins.list[Candidate]:
        """What a report tests of the objects ``list`` would give, by name, with the
        spans of their instances where the index knows them: ``ObjectIndex.exact_spans``;
        for an object with an instance index (``ObjectIndex.instances``) whose window
        holds a bounded ``time_range``, the indexed instances near the range, the object
        left out when none is (its window holds every instance there)."""
        ...

    async def get(self, name: str, *, derived: bool = False) -> StoredObject:
        """One object with its data, and its derived bytes when
        ``derived`` (else ``StoredObject.derived`` is None: reads that do not need
        it do not load it).

        Raises: NotFound (absent or not readable).
        """
        ...

    async def get_many(self, names: Iterable[str], *, derived: bool = False
                       ) -> builtins.list[StoredObject]:
        """The readable objects among ``names`` in the given order; missing omitted.
        ``derived`` as for ``get``."""
        ...

    async def by_uid(self, uid: str) -> ObjectMeta | None:
        """The readable object holding ``uid``, if any."""
        ...

    async def put(
        self,
        name: str,
        data: bytes,
        index: ObjectIndex,
        *,
        if_etag: str | None = None,
        if_absent: bool = False,
        created_by: int | None = None,
    ) -> tuple[ObjectMeta, bool]:
        """Create or replace an object atomically; returns ``(meta, created)``.

        ``created_by`` is recorded only on creation; it defaults to the acting user and
        may differ from it only in a system collection. ``index.derived`` is stored
        with ``data`` and replaces the previous one; a put without one leaves the object
        without any (derived bytes never outlive the content it was made from).

        Raises:
            AlreadyExists: ``if_absent`` and the name exists.
            ETagMismatch: ``if_etag`` given and the object is absent or differs.
            UIDConflict: another name in this collection holds ``index.uid``, or the
                object being replaced has another UID (a resource keeps its UID;
                ``holder`` is then ``name`` itself).
            Forbidden: no write right for this object.
            QuotaExceeded: the write would exceed the quota of the home it was opened
                through (see ``Home``).
        """
        ...

    async def reindex(self, name: str, index: ObjectIndex, *, if_etag: str) -> bool:
        """Replace the index and derived bytes of ``name`` while its bytes are still
        those of ``if_etag`` and its UID ``index.uid``; returns whether it did.

        Not a change: etag, modseq, modification time and the change log stay, since
        the content a client syncs is the same (a re-index after the indexing changed).

        Raises: Forbidden (no write right for this object).
        """
        ...

    async def delete(self, name: str, *, if_etag: str | None = None) -> None:
        """Delete an object with its dead properties and locks, leaving a tombstone.

        Raises: NotFound, ETagMismatch, Forbidden.
        """

    async def update_folder(
        self,
        *,
        name: str | Unset = UNSET,
        color: str | None | Unset = UNSET,
        description: str | None | Unset = UNSET,
        permissions: Sequence[FolderPermission] | Unset = UNSET,
    ) -> Folder:
        """Change folder attributes (``permissions`` replaced whole).

        Raises: Forbidden (no admin right).
        """
        ...

    async def set_own_name(self, name: str | None) -> None:
        """Give this folder of someone else a name seen by ``user_id`` only (None: take
        it back); the folder's own name stays. Needs only the read right.

        Raises: ValueError (the user's own folder -- ``update_folder`` renames it --, a
        system folder or the system's view; an empty name).
        """

    async def share_replies(self) -> dict[int, ShareReply]:
        """The replies of the users this folder is shared with (``Home.reply_to_share``),
        by user id."""
        ...

    async def delete_folder(self) -> None:
        """Delete the folder with its objects, properties and locks.

        Raises: Forbidden (no admin right; system or default folder via a Home).
        """

    async def changes(self, since: int | None, limit: int | None = None) -> Changes:
        """Changes after revision ``since`` (RFC 6578), oldest first.

        ``since=None`` is the initial listing: every readable object, no tombstones.
        With ``limit``, at most ``limit`` entries are returned and ``truncated`` is set
        when more follow; ``revision`` then is the last returned entry's, so asking
        again from it continues without gaps.

        Raises: InvalidSyncToken (negative, future, or pruned ``since``).
        """
        ...

    async def dead_properties(self, resource: str) -> dict[str, str]:
        """Opaque name → value strings of ``resource`` (``""`` is the collection).

        Raises: NotFound (object absent or not readable).
        """
        ...

    async def set_dead_properties(
        self, resource: str, set: Mapping[str, str], remove: Iterable[str] = ()
    ) -> None:
        """Set and remove dead properties atomically (RFC 4918 §9.2 PROPPATCH).

        Raises: NotFound, Forbidden.
        """

    # -- locks (RFC 4918 §6-§7) ----------------------------------------------------------
    # A lock is on a member name of this folder (an object, or a name no object holds
    # yet) and belongs to the user who took it. Times are wall-clock epoch seconds, the
    # clock every node on one database shares; ``now`` defaults to it (tests pass it).
    # No lock call moves ``Context.version``.

    async def locks(self, name: str | None = None, *, now: float | None = None
                    ) -> builtins.list[Lock]:
        """The unexpired locks on member ``name`` (on every member name when None), by
        name and oldest first, that the user may see: on an object they may read, or on a name
        no object holds. ``token`` and ``owner`` are given only to the lock's creator
        and to users with the folder's admin right (RFC 4918 §15.8 lets a server
        withhold them; RFC 3744 §3.5: an admin may remove them)."""
        ...

    async def lock(self, name: str, *, exclusive: bool, owner: str | None, timeout: int,
                   limit: int | None = None, now: float | None = None) -> Lock:
        """Take a write lock on member ``name`` for the acting user, ``timeout`` seconds
        from ``now``. Expired locks on the name are deleted first.

        Args:
            owner: the client's ``DAV:owner`` element as text (opaque), if any.
            limit: the most unexpired locks the user may hold in the context (None: no
                limit).

        Raises:
            Forbidden: the user may not write the object (may not create one there,
                for a name no object holds).
            Locked: an unexpired exclusive lock is on the name, or any lock is and
                ``exclusive`` was asked for.
            LockLimitExceeded: the user holds ``limit`` unexpired locks already.
            ValueError: ``timeout`` below 1, or a system collection (no user).
        """
        ...

    async def refresh_lock(self, name: str, token: str, timeout: int, *,
                           now: float | None = None) -> Lock | None:
        """Give the acting user's own unexpired lock ``token`` on ``name`` ``timeout``
        seconds from ``now`` (RFC 4918 §9.10.2); None when they hold no such lock.

        Raises: Forbidden (the user may no longer write the name).
        """
        ...

    async def unlock(self, name: str, token: str, *, now: float | None = None) -> bool:
        """Remove the unexpired lock ``token`` on ``name`` (RFC 4918 §9.11); False when
        there is no such lock.

        Raises: Forbidden (neither the lock's creator nor an admin of the folder).
        """
        ...
