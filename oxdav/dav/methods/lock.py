"""LOCK / UNLOCK (RFC 4918 §9.10-9.11, class 2) with an in-memory lock table.

Locks are exclusive or shared write locks of depth 0 on one path, with timeouts; they
live in this process only (a client that loses one re-locks). Writes to a locked path
need the token in the ``If`` header (RFC 4918 §10.4); otherwise 423 ``lock-token-submitted``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from oxdav.dav.conditions import check_if_header, parse_if_header
from oxdav.dav.dispatch import DAVRequest, MethodHandler
from oxdav.dav.errors import DAVError
from oxdav.dav.namespaces import DAV_NS, RESPONSE_NSMAP, clark
from oxdav.dav.paths import normalize_path
from oxdav.dav.properties import LiveProperty
from oxdav.dav.propfind import PropertyValue
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import find_child, parse_body, serialize

LOCK_TOKEN_SUBMITTED = clark(DAV_NS, "lock-token-submitted")
LOCK_TOKEN_MATCHES = clark(DAV_NS, "lock-token-matches-request-uri")
NO_CONFLICTING_LOCK = clark(DAV_NS, "no-conflicting-lock")
MAX_TIMEOUT = 3600


def _dav(local: str) -> str:
    return clark(DAV_NS, local)


@dataclass
class ActiveLock:
    """One lock: token URI, path, scope, owner XML, expiry (monotonic seconds)."""

    token: str
    path: str
    exclusive: bool
    owner: bytes | None
    timeout: int
    expires: float


class LockTable:
    """All locks of this process, by path."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._locks: dict[str, list[ActiveLock]] = {}

    def locks_on(self, path: str) -> list[ActiveLock]:
        """Unexpired locks on ``path``."""
        path = normalize_path(path)
        now = self._clock()
        alive = [lock for lock in self._locks.get(path, []) if lock.expires > now]
        if alive:
            self._locks[path] = alive
        else:
            self._locks.pop(path, None)
        return alive

    def acquire(self, path: str, *, exclusive: bool, owner: bytes | None,
                timeout: int) -> ActiveLock:
        """Add a lock. Raises: DAVError 423 ``no-conflicting-lock``."""
        current = self.locks_on(path)
        if current and (exclusive or any(lock.exclusive for lock in current)):
            raise DAVError(423, NO_CONFLICTING_LOCK, "the resource is locked")
        lock = ActiveLock(f"urn:uuid:{uuid.uuid4()}", normalize_path(path), exclusive, owner,
                          timeout, self._clock() + timeout)
        self._locks.setdefault(lock.path, []).append(lock)
        return lock

    def refresh(self, path: str, token: str, timeout: int) -> ActiveLock | None:
        """Extend the lock ``token`` on ``path``."""
        for lock in self.locks_on(path):
            if lock.token == token:
                lock.timeout, lock.expires = timeout, self._clock() + timeout
                return lock
        return None

    def release(self, path: str, token: str) -> bool:
        """Remove the lock ``token`` on ``path``; whether it existed."""
        current = self.locks_on(path)
        remaining = [lock for lock in current if lock.token != token]
        if len(remaining) == len(current):
            return False
        self._locks[normalize_path(path)] = remaining
        return True

    def release_path(self, path: str) -> None:
        """Drop every lock on ``path`` (the resource went away)."""
        self._locks.pop(normalize_path(path), None)


def _timeout(header: str | None) -> int:
    """``Timeout: Second-N`` (RFC 4918 §10.7), capped; ``Infinite`` gets the cap."""
    for part in (header or "").split(","):
        part = part.strip()
        if part.lower().startswith("second-") and part[7:].isdigit():
            return max(1, min(int(part[7:]), MAX_TIMEOUT))
    return MAX_TIMEOUT


async def check_write_locks(request: DAVRequest) -> None:
    """Refuse a write to a locked path unless the ``If`` header names its token.

    Also evaluates the ``If`` header itself (412 when false).
    """
    table = request.env.locks
    ctx = request.ctx

    async def lookup(url: str) -> tuple[str | None, list[str]] | None:
        path = ctx.paths.dav_path_of_href(url) if url != ctx.path else ctx.path
        if path is None:
            return None
        resource = await request.tree.resolve(path)
        tokens = [lock.token for lock in table.locks_on(path)] if table else []
        if resource is None and not tokens:
            return None
        return (resource.etag if resource else None), tokens

    header = ctx.header("if")
    await check_if_header(header, ctx.path, lookup)
    if table is None:
        return
    held = table.locks_on(ctx.path)
    if held:
        submitted = parse_if_header(header).state_tokens() if header else set()
        if not any(lock.token in submitted for lock in held):
            raise DAVError(423, LOCK_TOKEN_SUBMITTED, "the resource is locked")


def lockdiscovery(ctx_href: str, lock: ActiveLock) -> etree._Element:
    """The ``DAV:activelock`` element of ``lock`` (RFC 4918 §14.1)."""
    active = etree.Element(_dav("activelock"))
    etree.SubElement(etree.SubElement(active, _dav("locktype")), _dav("write"))
    scope = "exclusive" if lock.exclusive else "shared"
    etree.SubElement(etree.SubElement(active, _dav("lockscope")), _dav(scope))
    etree.SubElement(active, _dav("depth")).text = "0"
    if lock.owner:
        active.append(etree.fromstring(lock.owner))
    etree.SubElement(active, _dav("timeout")).text = f"Second-{lock.timeout}"
    etree.SubElement(etree.SubElement(active, _dav("locktoken")), _dav("href")).text = lock.token
    etree.SubElement(etree.SubElement(active, _dav("lockroot")), _dav("href")).text = ctx_href
    return active


def _lock_response(status: int, href: str, lock: ActiveLock) -> DAVResponse:
    prop = etree.Element(_dav("prop"), nsmap=RESPONSE_NSMAP)
    etree.SubElement(prop, _dav("lockdiscovery")).append(lockdiscovery(href, lock))
    return DAVResponse(status, {"Content-Type": "application/xml; charset=utf-8",
                                "Lock-Token": f"<{lock.token}>"}, serialize(prop))


class LockMethod(MethodHandler):
    """Create (body) or refresh (no body, ``If`` with the token) a write lock."""

    name = "LOCK"
    creates = True

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return resource is None or not resource.is_collection

    async def handle(self, request: DAVRequest) -> DAVResponse:
        table = request.env.locks
        ctx = request.ctx
        if table is None:
            raise DAVError(405, None, "locking is not offered")
        if (ctx.header("depth") or "0").strip() != "0":
            raise DAVError(400, None, "only Depth: 0 locks are offered")
        timeout = _timeout(ctx.header("timeout"))
        href = ctx.href(ctx.path)
        root = parse_body(request.body, request.env.limits)
        if root is None:
            tokens = parse_if_header(ctx.header("if") or "").state_tokens() if ctx.header(
                "if") else set()
            for token in tokens:
                lock = table.refresh(ctx.path, token, timeout)
                if lock is not None:
                    return _lock_response(200, href, lock)
            raise DAVError(412, LOCK_TOKEN_MATCHES, "no lock to refresh")
        if root.tag != _dav("lockinfo"):
            raise DAVError(400, None, "expected DAV:lockinfo")
        scope = find_child(root, _dav("lockscope"))
        exclusive = scope is None or find_child(scope, _dav("exclusive")) is not None
        owner = find_child(root, _dav("owner"))
        lock = table.acquire(ctx.path, exclusive=exclusive, timeout=timeout,
                             owner=None if owner is None else etree.tostring(owner))
        # Locking an unmapped URL would create an empty resource (RFC 4918 §9.10.4);
        # member creation is the content layers' business, so the lock stays on the name.
        return _lock_response(200 if request.target is not None else 201, href, lock)


class UnlockMethod(MethodHandler):
    """Release the lock named in ``Lock-Token`` (RFC 4918 §9.11): 204 or 409."""

    name = "UNLOCK"
    creates = True

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return resource is None or not resource.is_collection

    async def handle(self, request: DAVRequest) -> DAVResponse:
        table = request.env.locks
        token = (request.ctx.header("lock-token") or "").strip().strip("<>")
        if not token:
            raise DAVError(400, None, "Lock-Token header required")
        if table is None or not table.release(request.ctx.path, token):
            raise DAVError(409, LOCK_TOKEN_MATCHES, "no such lock on this resource")
        return DAVResponse(204)


class SupportedLockProperty(LiveProperty):
    """``DAV:supportedlock`` (RFC 4918 §15.10): exclusive and shared write locks, on the
    resources LOCK applies to (not collections)."""

    name = _dav("supportedlock")
    in_allprop = True

    def applies_to(self, resource: DAVResource) -> bool:
        return not resource.is_collection

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        entries = []
        for scope in ("exclusive", "shared"):
            entry = etree.Element(_dav("lockentry"))
            etree.SubElement(etree.SubElement(entry, _dav("lockscope")), _dav(scope))
            etree.SubElement(etree.SubElement(entry, _dav("locktype")), _dav("write"))
            entries.append(entry)
        return entries


class LockDiscoveryProperty(LiveProperty):
    """``DAV:lockdiscovery`` (RFC 4918 §15.8): the resource's active locks."""

    name = _dav("lockdiscovery")
    in_allprop = True

    def __init__(self, table: LockTable) -> None:
        self._table = table

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        href = ctx.href(resource.path, collection=resource.is_collection)
        return [lockdiscovery(href, lock) for lock in self._table.locks_on(resource.path)]


def lock_properties(table: LockTable) -> list[LiveProperty]:
    """The lock properties, reading ``table`` (the one LOCK/UNLOCK use)."""
    return [SupportedLockProperty(), LockDiscoveryProperty(table)]
