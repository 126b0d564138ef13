"""ACL (RFC 3744 §8.1): replace the resource's ACEs that are neither protected nor
inherited.

The body is read into :class:`~oxdav.dav.privileges.Ace` values here, with the
preconditions that need nothing but the body and the resource's privilege tree
(§8.1.1: ``grant-only``, ``no-invert``, ``not-supported-privilege``, ``no-abstract``,
``limited-number-of-aces``, ``no-protected-ace-conflict``, ``no-inherited-ace-conflict``);
the resource checks who the principals are (``recognized-principal``,
``allowed-principal``) as it maps the ACEs onto what it stores.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Final

from lxml import etree

from oxdav.dav.dispatch import DAVRequest, MethodHandler, StoreAccess
from oxdav.dav.errors import DAVError
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.privileges import WRITE_ACL, Ace, Privilege
from oxdav.dav.resource import DAVResource, RequestContext, require_privilege
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import parse_body_expecting

#: Most ACEs one request may set.
MAX_ACES: Final = 256


def _dav(local: str) -> str:
    return clark(DAV_NS, local)


#: Pseudo-principals an ACE may name (RFC 3744 §5.5.1).
PSEUDO_PRINCIPALS: Final = frozenset(
    _dav(n) for n in ("all", "authenticated", "unauthenticated", "self"))


class AccessControlled(abc.ABC):
    """A resource whose ACL a principal may change (RFC 3744 §8.1)."""

    @abc.abstractmethod
    async def set_acl(self, ctx: RequestContext, aces: Sequence[Ace]) -> None:
        """Replace the non-protected ACEs with ``aces`` (paths or pseudo-principal
        Clark names, granted privileges only).

        Raises: DAVError with ``recognized-principal`` or ``allowed-principal`` (403).
        """


def _refuse(condition: str, description: str) -> DAVError:
    return DAVError(403, _dav(condition), description)


def _principal(ctx: RequestContext, element: etree._Element | None) -> str:
    if element is None or len(element) != 1:
        raise DAVError(400, None, "an ACE names one DAV:principal")
    (child,) = element
    if child.tag == _dav("href"):
        path = ctx.paths.dav_path_of_href((child.text or "").strip())
        if path is None:
            raise _refuse("recognized-principal", "the principal is not on this server")
        return path.rstrip("/")
    if child.tag in PSEUDO_PRINCIPALS:
        return str(child.tag)
    raise _refuse("allowed-principal", f"{child.tag} cannot be granted privileges here")


def _privileges(holder: etree._Element, tree: Privilege) -> frozenset[str]:
    names = []
    for privilege in holder.iterchildren(_dav("privilege")):
        for child in privilege:
            node = tree.find(str(child.tag))
            if node is None:
                raise _refuse("not-supported-privilege", f"{child.tag} is not supported")
            if node.abstract:
                raise _refuse("no-abstract", f"{child.tag} is abstract")
            names.append(node.name)
    return frozenset(names)


def parse_acl(ctx: RequestContext, root: etree._Element, resource: DAVResource) -> list[Ace]:
    """The ACEs a client asks for, checked against the body-only preconditions."""
    protected = {ace.principal: ace for ace in resource.acl() if ace.protected}
    aces: list[Ace] = []
    for element in root.iterchildren(_dav("ace")):
        if len(aces) == MAX_ACES:
            raise _refuse("limited-number-of-aces", f"at most {MAX_ACES} ACEs")
        if element.find(_dav("invert")) is not None:
            raise _refuse("no-invert", "DAV:invert is not supported")
        if element.find(_dav("deny")) is not None:
            raise _refuse("grant-only", "only granting ACEs are supported")
        if element.find(_dav("inherited")) is not None:
            raise _refuse("no-inherited-ace-conflict", "no ACE here is inherited")
        principal = _principal(ctx, element.find(_dav("principal")))
        grant = element.find(_dav("grant"))
        granted = _privileges(grant, resource.supported_privileges) \
            if grant is not None else frozenset()
        kept = protected.get(principal)
        if kept is not None:
            if granted != kept.grant:  # a protected ACE may be sent back unchanged
                raise _refuse("no-protected-ace-conflict",
                              "the ACE of the owner is protected")
            continue
        aces.append(Ace(principal, grant=granted, protected=False))
    return aces


class AclMethod(MethodHandler):
    """``ACL``: 200 once the new ACEs are stored."""

    name = "ACL"
    access = StoreAccess.WRITE

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return isinstance(resource, AccessControlled)

    async def handle(self, request: DAVRequest) -> DAVResponse:
        target = request.target
        assert isinstance(target, AccessControlled) and isinstance(target, DAVResource)
        require_privilege(target, request.ctx.principal, WRITE_ACL, "ACL")
        root = parse_body_expecting(request.body, _dav("acl"), request.env.limits)
        aces = parse_acl(request.ctx, root, target)
        await target.set_acl(request.ctx, aces)
        return DAVResponse(200)
