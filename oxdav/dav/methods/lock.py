"""LOCK / UNLOCK (RFC 4918 §9.10-9.11, class 2), the lock properties, and the lock check
of writes.

Locks are exclusive or shared write locks of depth 0 on a :class:`Lockable` resource,
or on a name a :class:`LockableMembers` collection does not map yet (§7.3: the name
stays unmapped until a PUT creates it). The resource keeps them and decides who may
do what: taking a lock needs the right to write the resource (403 ``need-privileges``
otherwise), only the principal who took a lock may write with its token or refresh it
(§6.4), and the token and owner of someone else's lock may be withheld (§15.8). The
resource also gives the bounds (timeout, owner size). A write to a locked resource
needs the token of one of the principal's own locks on it in the ``If`` header
(§10.4); otherwise 423 ``lock-token-submitted``.
"""

from __future__ import annotations

from lxml import etree

from oxdav.dav.conditions import check_if_header, parse_if_header
from oxdav.dav.dispatch import DAVRequest, MethodHandler, ResourceTree, StoreAccess
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import ActiveLock, Lockable, LockableMembers
from oxdav.dav.namespaces import DAV_NS, RESPONSE_NSMAP, clark
from oxdav.dav.paths import basename, parent_path
from oxdav.dav.privileges import BIND, WRITE_CONTENT
from oxdav.dav.properties import LiveProperty
from oxdav.dav.property_results import PropertyValue
from oxdav.dav.resource import DAVResource, RequestContext, require_privilege
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import find_child, parse_body, serialize

LOCK_TOKEN_SUBMITTED = clark(DAV_NS, "lock-token-submitted")
LOCK_TOKEN_MATCHES = clark(DAV_NS, "lock-token-matches-request-uri")
#: Digits of a ``Second-N`` timeout read at all; a longer number gets the cap anyway.
_TIMEOUT_DIGITS = 12


def _dav(local: str) -> str:
    return clark(DAV_NS, local)


def _timeout(header: str | None, cap: int) -> int:
    """The first ``Second-N`` of ``Timeout`` (RFC 4918 §10.7), at most ``cap``; ``Infinite``
    or nothing usable gets the cap."""
    for part in (header or "").split(","):
        part = part.strip()
        seconds = part[7:]
        if part.lower().startswith("second-") and seconds.isascii() and seconds.isdigit():
            asked = int(seconds) if len(seconds) <= _TIMEOUT_DIGITS else cap
            return max(1, min(asked, cap))
    return cap


async def lockable_at(tree: ResourceTree, path: str, resource: DAVResource | None, *,
                      parent: DAVResource | None = None) -> Lockable | None:
    """What holds the locks of ``path``: its resource, or for an unmapped path the
    member name of its collection (``parent`` when already resolved); None when
    nothing there is lockable."""
    if resource is not None:
        return resource if isinstance(resource, Lockable) else None
    if parent is None:
        parent = await tree.resolve(parent_path(path))
    if isinstance(parent, LockableMembers):
        return parent.unmapped_member(basename(path))
    return None


def _require_own_token(held: list[ActiveLock], header: str | None) -> None:
    """423 unless ``header`` submits the token of one of the principal's own locks in
    ``held`` (RFC 4918 §6.4: a token is usable only by the principal who took it)."""
    if not held:
        return
    submitted = parse_if_header(header).state_tokens() if header else set()
    if not any(lock.mine and lock.token in submitted for lock in held):
        raise DAVError(423, LOCK_TOKEN_SUBMITTED, "the resource is locked")


async def check_write_locks(request: DAVRequest, *, parent: DAVResource | None = None,
                            privilege: str | None = None) -> None:
    """Refuse a write to the locked request target unless the ``If`` header names the
    token of the principal's own lock on it, then evaluate the ``If`` header (412 when
    false, RFC 4918 §10.4.1). ``parent``: the target's collection, when resolved.
    ``privilege``: what the write needs on the target, asked only when a lock or an
    ``If`` header is there to look at (methods that ask it first leave it out)."""
    ctx = request.ctx
    header = ctx.header("if")
    lockable = await lockable_at(request.tree, ctx.path, request.target, parent=parent)
    held = list(await lockable.active_locks()) if lockable is not None else []
    if privilege is not None and request.target is not None and (held or header):
        require_privilege(request.target, ctx.principal, privilege, ctx.method)
    _require_own_token(held, header)

    async def lookup(url: str) -> tuple[str | None, list[str]] | None:
        path = ctx.paths.dav_path_of_href(url) if url != ctx.path else ctx.path
        if path is None:
            return None
        if path == ctx.path:
            resource, locks = request.target, held
        else:
            resource = await request.tree.resolve(path)
            other = await lockable_at(request.tree, path, resource)
            locks = list(await other.active_locks()) if other is not None else []
        tokens = [lock.token for lock in locks if lock.token is not None]
        if resource is None and not tokens:
            return None
        return (resource.etag if resource else None), tokens

    await check_if_header(header, ctx.path, lookup)


async def check_destination_locks(request: DAVRequest, path: str,
                                  resource: DAVResource | None,
                                  parent: DAVResource | None) -> None:
    """Refuse to overwrite or create ``path`` (COPY/MOVE's destination, RFC 4918 §7.5)
    while it is locked and the ``If`` header names none of the principal's own tokens."""
    lockable = await lockable_at(request.tree, path, resource, parent=parent)
    if lockable is not None:
        _require_own_token(list(await lockable.active_locks()), request.ctx.header("if"))


def activelock(href: str, lock: ActiveLock) -> etree._Element:
    """The ``DAV:activelock`` element of ``lock`` (RFC 4918 §14.1), without the token
    and owner when they are withheld."""
    active = etree.Element(_dav("activelock"))
    etree.SubElement(etree.SubElement(active, _dav("locktype")), _dav("write"))
    scope = "exclusive" if lock.exclusive else "shared"
    etree.SubElement(etree.SubElement(active, _dav("lockscope")), _dav(scope))
    etree.SubElement(active, _dav("depth")).text = "0"
    if lock.owner:
        try:
            owner = parse_body(lock.owner.encode("utf-8"))
        except DAVError:
            owner = None  # kept as the client sent it; shown only when it reads back
        if owner is not None:
            active.append(owner)
    etree.SubElement(active, _dav("timeout")).text = f"Second-{lock.timeout}"
    if lock.token is not None:
        etree.SubElement(etree.SubElement(active, _dav("locktoken")),
                         _dav("href")).text = lock.token
    etree.SubElement(etree.SubElement(active, _dav("lockroot")), _dav("href")).text = href
    return active


def _lock_response(status: int, href: str, lock: ActiveLock) -> DAVResponse:
    prop = etree.Element(_dav("prop"), nsmap=RESPONSE_NSMAP)
    etree.SubElement(prop, _dav("lockdiscovery")).append(activelock(href, lock))
    headers = {"Content-Type": "application/xml; charset=utf-8"}
    if lock.token is not None:
        headers["Lock-Token"] = f"<{lock.token}>"
    return DAVResponse(status, headers, serialize(prop))


async def _lock_target(request: DAVRequest) -> tuple[Lockable, DAVResource]:
    """The lockable the request names (its target, or an unmapped member name) and
    the resource whose privileges decide who writes it (the target, or the name's
    collection).

    Raises:
        DAVError: 404 when the collection is absent (or invisible), 409 when it takes
            no locks on new names.
    """
    if request.target is not None:
        assert isinstance(request.target, Lockable)  # allowed_on
        return request.target, request.target
    parent = await request.tree.resolve(parent_path(request.ctx.path))
    if parent is None:
        raise DAVError(404, None, "no such collection")
    lockable = await lockable_at(request.tree, request.ctx.path, None, parent=parent)
    if lockable is None:
        raise DAVError(409, None, "names in this collection cannot be locked")
    return lockable, parent


class LockMethod(MethodHandler):
    """Create (body) or refresh (no body, ``If`` with the token) a write lock."""

    name = "LOCK"
    access = StoreAccess.WRITE
    creates = True

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return resource is None or isinstance(resource, Lockable)

    async def handle(self, request: DAVRequest) -> DAVResponse:
        ctx = request.ctx
        if (ctx.header("depth") or "0").strip() != "0":
            raise DAVError(400, None, "only Depth: 0 locks are offered")
        lockable, holder = await _lock_target(request)
        limits = lockable.lock_limits()
        timeout = _timeout(ctx.header("timeout"), max(1, limits.max_timeout))
        href = ctx.href(ctx.path)
        root = parse_body(request.body, request.env.limits)
        if root is None:  # a refresh (RFC 4918 §9.10.2): of one of the principal's locks
            # Who may not write the resource holds no lock on it (RFC 3744 Appendix B).
            require_privilege(holder, ctx.principal, WRITE_CONTENT if request.target
                              is not None else BIND, self.name)
            header = ctx.header("if")
            submitted = parse_if_header(header).state_tokens() if header else set()
            for held in await lockable.active_locks():
                if held.mine and held.token is not None and held.token in submitted:
                    refreshed = await lockable.refresh_lock(held.token, timeout)
                    if refreshed is not None:
                        return _lock_response(200, href, refreshed)
            raise DAVError(412, LOCK_TOKEN_MATCHES, "no lock of yours to refresh")
        if root.tag != _dav("lockinfo"):
            raise DAVError(400, None, "expected DAV:lockinfo")
        scope = find_child(root, _dav("lockscope"))
        exclusive = scope is None or find_child(scope, _dav("exclusive")) is not None
        element = find_child(root, _dav("owner"))
        owner = None if element is None else etree.tostring(element, encoding="unicode",
                                                            with_tail=False)
        size = 0 if owner is None else len(owner.encode("utf-8"))
        if size > limits.max_owner_bytes:
            raise DAVError(400, None, f"the DAV:owner element has {size} bytes; at most "
                                      f"{limits.max_owner_bytes} are accepted")
        lock = await lockable.acquire_lock(exclusive=exclusive, owner=owner, timeout=timeout)
        # Locking an unmapped URL would create an empty resource (RFC 4918 §9.10.4);
        # member creation is the content layers' business, so the lock stays on the name.
        return _lock_response(200 if request.target is not None else 201, href, lock)


class UnlockMethod(MethodHandler):
    """Release the lock named in ``Lock-Token`` (RFC 4918 §9.11): 204, 409, or 403 when
    the lock is someone else's (RFC 3744 §3.5 ``DAV:unlock``)."""

    name = "UNLOCK"
    access = StoreAccess.WRITE
    creates = True

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return resource is None or isinstance(resource, Lockable)

    async def handle(self, request: DAVRequest) -> DAVResponse:
        token = (request.ctx.header("lock-token") or "").strip().strip("<>")
        if not token:
            raise DAVError(400, None, "Lock-Token header required")
        lockable, _ = await _lock_target(request)
        if not await lockable.release_lock(token):
            raise DAVError(409, LOCK_TOKEN_MATCHES, "no such lock on this resource")
        return DAVResponse(204)


class SupportedLockProperty(LiveProperty):
    """``DAV:supportedlock`` (RFC 4918 §15.10): exclusive and shared write locks, on the
    resources LOCK applies to."""

    name = _dav("supportedlock")
    in_allprop = True

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, Lockable)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        entries = []
        for scope in ("exclusive", "shared"):
            entry = etree.Element(_dav("lockentry"))
            etree.SubElement(etree.SubElement(entry, _dav("lockscope")), _dav(scope))
            etree.SubElement(etree.SubElement(entry, _dav("locktype")), _dav("write"))
            entries.append(entry)
        return entries


class LockDiscoveryProperty(LiveProperty):
    """``DAV:lockdiscovery`` (RFC 4918 §15.8): the resource's active locks, as the
    requesting principal may see them."""

    name = _dav("lockdiscovery")
    in_allprop = True

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        if not isinstance(resource, Lockable):
            return []
        href = ctx.href(resource.path, collection=resource.is_collection)
        return [activelock(href, lock) for lock in await resource.active_locks()]


def lock_properties() -> list[LiveProperty]:
    """The lock properties (RFC 4918 §15.8, §15.10)."""
    return [SupportedLockProperty(), LockDiscoveryProperty()]
