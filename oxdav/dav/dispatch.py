"""Methods: one handler per method, registered in one visible list.

:class:`MethodHandler` is one method (``dav/methods/<verb>.py``): whether it may
target an unmapped path, which store transaction it needs (:class:`StoreAccess`) and
how it answers a :class:`DAVRequest`. :class:`MethodRegistry` holds the handlers;
:class:`DAVEnvironment` the registries every handler shares. The web layer runs a
request through them (:mod:`oxdav.web.lifecycle`).

``OPTIONS`` (RFC 4918 §10.1, RFC 3744 §7.2, RFC 4791 §5.1, RFC 6352 §6.1) derives its
``DAV`` and ``Allow`` headers from this registry and the target resource.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from lxml import etree

from oxdav.dav.errors import ErrorMapper
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.registry import NamedRegistry
from oxdav.dav.reports import ReportRegistry
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import DEFAULT_LIMITS, XMLLimits, parse_body
from oxdav.work import INLINE, Work


class ResourceTree(Protocol):
    """Maps DAV paths to resources for one request (inside one store transaction)."""

    async def resolve(self, path: str) -> DAVResource | None:
        """The resource at ``path`` (normalised DAV path), or ``None``."""
        ...


@dataclass(frozen=True)
class DAVRequest:
    """Everything a method handler gets.

    Attributes:
        ctx: the typed request context.
        target: the resource at the request path, or ``None`` when unmapped.
        body: the raw request body.
        tree: resolves further paths (parent, Destination, If-header tags).
        env: registries and server-wide state.
    """

    ctx: RequestContext
    target: DAVResource | None
    body: bytes
    tree: ResourceTree
    env: DAVEnvironment

    async def xml_body(self) -> etree._Element | None:
        """The body parsed as XML (:func:`~oxdav.dav.xml.parse_body`), on the work pool
        when it is large. Raises: DAVError (400)."""
        return await self.env.work.sized(len(self.body), parse_body, self.body,
                                         self.env.limits)


class StoreAccess(enum.Enum):
    """The store transaction a method needs."""

    #: One write transaction; the answer is written once it has committed.
    WRITE = "write"
    #: Reads that must agree: every store call sees one snapshot.
    SNAPSHOT = "snapshot"
    #: A read answered from one store call (GET of an object): each call is its own
    #: transaction, and ending it costs no further call.
    PER_CALL = "per-call"


class MethodHandler(abc.ABC):
    """One HTTP/WebDAV method.

    Class attributes:
        name: the method, upper case.
        access: the store transaction it needs.
        creates: may target an unmapped path (PUT, MKCOL, LOCK of a new name).
    """

    name: ClassVar[str]
    access: ClassVar[StoreAccess] = StoreAccess.SNAPSHOT
    creates: ClassVar[bool] = False

    def allowed_on(self, resource: DAVResource | None) -> bool:
        """Whether the method applies to ``resource`` (``None``: unmapped path)."""
        return resource is not None

    def access_for(self, ctx: RequestContext) -> StoreAccess:
        """The store transaction ``ctx`` needs, known before its target is resolved."""
        return self.access

    @abc.abstractmethod
    async def handle(self, request: DAVRequest) -> DAVResponse:
        """Answer the request; raise :class:`DAVError` for failures."""


class MethodRegistry(NamedRegistry[MethodHandler]):
    """The handlers, by method name, in registration order."""

    kind = "method"

    @property
    def names(self) -> tuple[str, ...]:
        """Every registered method name."""
        return tuple(self._entries)

    def allowed(self, resource: DAVResource | None) -> list[str]:
        """Methods applicable to ``resource`` (sorted, for ``Allow``)."""
        return sorted(h.name for h in self._entries.values() if h.allowed_on(resource))


@dataclass
class DAVEnvironment:
    """Server-wide DAV state the handlers share (built once at composition).

    Attributes:
        properties: the live-property registry.
        reports: the report registry.
        methods: the method registry.
        compliance: extra ``DAV:`` compliance classes the tree serves (e.g.
            ``calendar-access``, ``addressbook``; RFC 4791 §5.1, RFC 6352 §6.1).
        errors: the lower-layer error map.
        limits: XML parsing bounds.
        work: where CPU-heavy request work runs (:mod:`oxdav.work`).
    """

    properties: PropertyRegistry
    reports: ReportRegistry
    methods: MethodRegistry = field(default_factory=MethodRegistry)
    compliance: Sequence[str] = ()
    errors: ErrorMapper = field(default_factory=ErrorMapper)
    limits: XMLLimits = DEFAULT_LIMITS
    work: Work = INLINE

    def dav_header(self) -> str:
        """The ``DAV`` header value: 1, 3, access-control, plus 2 when LOCK is served."""
        classes = ["1"]
        if self.methods.get("LOCK") is not None:
            classes.append("2")
        classes += ["3", "access-control", *self.compliance]
        return ", ".join(dict.fromkeys(classes))
