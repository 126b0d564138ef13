"""What a resource must offer for a method beyond :class:`DAVResource` (reads).

The generic methods test for these abstract classes, so the resource tree (``web``)
and CalDAV/CardDAV decide what each resource supports; ``Allow`` follows from them.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field

from lxml import etree

from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.dav.sync import SyncToken


@dataclass(frozen=True)
class PutOutcome:
    """Result of storing a member: its strong ETag (quoted; None when the server stored
    other bytes than it was sent, RFC 4791 §5.3.4), whether it was new, and headers
    its layer adds to the answer (CalDAV's ``Schedule-Tag``)."""

    etag: str | None
    created: bool
    headers: Mapping[str, str] = field(default_factory=dict)

    def response_headers(self) -> dict[str, str]:
        """The headers of the PUT/COPY/MOVE answer."""
        headers = dict(self.headers)
        if self.etag is not None:
            headers["ETag"] = self.etag
        return headers


class ReadableContent(abc.ABC):
    """A non-collection resource with a body (GET/HEAD, RFC 9110 §9.3.1)."""

    @abc.abstractmethod
    async def read(self) -> bytes:
        """The stored representation."""

    async def response_headers(self) -> Mapping[str, str]:
        """Headers this resource adds to its GET/HEAD answer (none by default)."""
        return {}


class NegotiatedContent(abc.ABC):
    """A readable resource whose representation depends on the request (proactive
    negotiation, RFC 9110 §12.1): GET returns :meth:`read_for` instead of the stored body."""

    @abc.abstractmethod
    async def read_for(self, ctx: RequestContext) -> tuple[bytes, str]:
        """The body and its Content-Type for ``ctx`` (e.g. chosen by its Accept header)."""


class WholeCollection(abc.ABC):
    """A collection whose GET returns all its members as one document (a whole
    calendar, all cards of an address book), as CalendarServer and Radicale answer it."""

    @abc.abstractmethod
    async def read_whole(self, ctx: RequestContext) -> tuple[AsyncIterator[bytes], str]:
        """The document's chunks and its Content-Type for ``ctx``.

        Raises:
            DAVError: (or a mapped lower-layer error) before the first chunk: 507 when
                the members exceed ``ctx.limits.max_answer_bytes``, 406 when the Accept
                header takes no representation.
        """


class WritableCollection(abc.ABC):
    """A collection that accepts member PUTs (RFC 9110 §9.3.4)."""

    @abc.abstractmethod
    async def put_member(
        self,
        ctx: RequestContext,
        name: str,
        body: bytes,
        content_type: str | None,
        *,
        if_etag: str | None,
        if_absent: bool,
    ) -> PutOutcome:
        """Store ``body`` as member ``name`` (etags unquoted in ``if_etag``)."""


class Deletable(abc.ABC):
    """A resource DELETE may remove (RFC 4918 §9.6)."""

    @abc.abstractmethod
    async def delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        """Remove the resource (``if_etag`` unquoted)."""


class DeadPropertyStore(abc.ABC):
    """A resource whose dead properties PROPPATCH may change (RFC 4918 §9.2)."""

    @abc.abstractmethod
    async def patch_dead_properties(
        self, set_: Mapping[str, etree._Element], remove: Sequence[str]
    ) -> None:
        """Set and remove dead properties atomically."""


class LivePropertyWriter(abc.ABC):
    """A resource that maps some writable live properties onto its own attributes
    (e.g. ``displayname`` → folder name)."""

    @abc.abstractmethod
    def writable_live_properties(self) -> frozenset[str]:
        """Clark names this resource lets PROPPATCH change."""

    @abc.abstractmethod
    async def patch_live_properties(self, values: Mapping[str, etree._Element | None]) -> None:
        """Apply ``values`` (``None`` removes) atomically."""


class BoundedListing:
    """A collection whose Depth 1 listing stops at a bound (e.g. the principals of a
    large context). Once ``children()`` has run out, ``listing_truncated`` tells whether
    members were left out; PROPFIND then ends its answer with a 507 response for the
    collection carrying ``DAV:number-of-matches-within-limits``, the way RFC 6578 §3.6
    marks an answer cut short."""

    listing_truncated: bool = False


@dataclass(frozen=True)
class SyncChanges:
    """One page of RFC 6578 changes of a collection.

    Attributes:
        revision: the revision reached (token for the next request).
        changed: current members changed since the token.
        deleted: DAV paths of removed members.
        truncated: more changes follow after ``revision``.
    """

    revision: int
    changed: Sequence[DAVResource] = field(default_factory=tuple)
    deleted: Sequence[str] = field(default_factory=tuple)
    truncated: bool = False


class SyncableCollection(abc.ABC):
    """A collection answering RFC 6578 ``sync-collection``."""

    @property
    @abc.abstractmethod
    def sync_identity(self) -> str:
        """The collection identity inside its sync tokens (tenant included)."""

    @abc.abstractmethod
    async def changes_since(self, revision: int | None, limit: int | None) -> SyncChanges:
        """Changes after ``revision`` (``None``: initial listing)."""


class AggregatedSyncCollection(SyncableCollection):
    """A collection spanning several revision counters (e.g. CardDAV's aggregated
    address book): its RFC 6578 token carries one revision per member collection
    (:meth:`oxdav.dav.sync.SyncToken.for_aggregate`), so the sync-collection REPORT
    hands it the whole decoded token instead of one revision."""

    @abc.abstractmethod
    async def changes_since_token(self, token: SyncToken | None, limit: int | None
                                  ) -> tuple[SyncChanges, SyncToken]:
        """Changes after ``token`` (``None``: initial listing) and the token reached.

        Raises:
            DAVError: 403 ``valid-sync-token`` for a token it cannot continue from.
        """


class CollectionMaker(abc.ABC):
    """A collection in which new member collections are made: extended MKCOL
    (RFC 5689 §3) and MKCALENDAR (RFC 4791 §5.3.1) end here."""

    @abc.abstractmethod
    async def make_collection(
        self, ctx: RequestContext, name: str, method: str, body: etree._Element | None
    ) -> None:
        """Create member collection ``name`` from the parsed request ``body``.

        Raises:
            DAVError: 403 when this kind of collection cannot be made here (with the
                RFC precondition), 409/207-style failures for refused properties.
        """


@dataclass(frozen=True)
class LockLimits:
    """Bounds a LOCK request must keep, from the requesting user's configuration.

    Attributes:
        max_timeout: the longest lock in seconds (a longer or ``Infinite`` Timeout gets
            this, RFC 4918 §10.7 lets the server choose).
        max_owner_bytes: the largest ``DAV:owner`` element, serialized.
    """

    max_timeout: int
    max_owner_bytes: int


@dataclass(frozen=True)
class ActiveLock:
    """One write lock on a resource, as the requesting principal may see it.

    Attributes:
        token: the lock token URI; None when withheld (RFC 4918 §15.8).
        exclusive: exclusive (else shared) scope.
        owner: the ``DAV:owner`` element as text; None when absent or withheld.
        timeout: seconds it still lasts (RFC 4918 §14.29).
        mine: taken by the requesting principal: only then does its token admit a
            write (RFC 4918 §6.4).
    """

    token: str | None
    exclusive: bool
    owner: str | None
    timeout: int
    mine: bool


class Lockable(abc.ABC):
    """A resource that takes write locks of depth 0 (RFC 4918 §6, §9.10, §9.11): a
    non-collection resource, or the name of one not mapped yet (§7.3)."""

    @abc.abstractmethod
    def lock_limits(self) -> LockLimits:
        """The bounds a LOCK of this resource must keep."""

    @abc.abstractmethod
    async def active_locks(self) -> Sequence[ActiveLock]:
        """The unexpired locks the requesting principal may see."""

    @abc.abstractmethod
    async def acquire_lock(self, *, exclusive: bool, owner: str | None, timeout: int
                           ) -> ActiveLock:
        """Lock for the requesting principal, ``timeout`` seconds.

        Raises:
            DAVError: (or a mapped lower-layer error) 403 without the write privilege,
                423 ``no-conflicting-lock``, 507 when the principal holds too many.
        """

    @abc.abstractmethod
    async def refresh_lock(self, token: str, timeout: int) -> ActiveLock | None:
        """Restart the principal's own lock ``token``; None when they hold no such lock."""

    @abc.abstractmethod
    async def release_lock(self, token: str) -> bool:
        """Remove lock ``token``; False when there is no such lock.

        Raises:
            DAVError: (or a mapped lower-layer error) 403 when the principal may not
                remove it (RFC 3744 §3.5 ``DAV:unlock``).
        """


class LockableMembers(abc.ABC):
    """A collection whose unmapped member names can be locked (RFC 4918 §7.3)."""

    @abc.abstractmethod
    def unmapped_member(self, name: str) -> Lockable | None:
        """The lockable for member ``name``, which no resource maps; None when names
        here cannot be locked."""
