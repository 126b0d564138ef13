"""Method dispatch: one handler per method, registered in one visible list.

:class:`MethodRegistry` holds the handlers (``dav/methods/<verb>.py``);
:class:`Dispatcher` resolves the target through a :class:`ResourceTree`, checks that the
resource supports the method (405 + ``Allow`` otherwise), runs the handler, and turns
every :class:`DAVError` and mapped lower-layer error (``ErrorMapper``) into a response.
:func:`write_response` puts a :class:`DAVResponse` (bytes or a stream) on the wire.

``OPTIONS`` (RFC 4918 §10.1, RFC 3744 §7.2, RFC 4791 §5.1, RFC 6352 §6.1) derives its
``DAV`` and ``Allow`` headers from this registry and the target resource.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

from lxml import etree
from twisted.logger import Logger

from oxdav.dav.errors import ERROR_MAPPER, DAVError, ErrorMapper
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.registry import NamedRegistry
from oxdav.dav.reports import ReportRegistry
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import DEFAULT_LIMITS, XMLLimits, parse_body
from oxdav.work import INLINE, Pacer, Work

if TYPE_CHECKING:
    from twisted.web.iweb import IRequest

log = Logger()


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


class MethodHandler(abc.ABC):
    """One HTTP/WebDAV method.

    Class attributes:
        name: the method, upper case.
        writes: needs a write transaction.
        creates: may target an unmapped path (PUT, MKCOL, LOCK of a new name).
        snapshot: its store calls must see one snapshot. A read whose answer comes
            from one store call (GET of an object) sets False: each call is then its
            own transaction, and ending it costs no further call.
    """

    name: ClassVar[str]
    writes: ClassVar[bool] = False
    creates: ClassVar[bool] = False
    snapshot: ClassVar[bool] = True

    def allowed_on(self, resource: DAVResource | None) -> bool:
        """Whether the method applies to ``resource`` (``None``: unmapped path)."""
        return resource is not None

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
    errors: ErrorMapper = ERROR_MAPPER
    limits: XMLLimits = DEFAULT_LIMITS
    work: Work = INLINE

    def dav_header(self) -> str:
        """The ``DAV`` header value: 1, 3, access-control, plus 2 when LOCK is served."""
        classes = ["1"]
        if self.methods.get("LOCK") is not None:
            classes.append("2")
        classes += ["3", "access-control", *self.compliance]
        return ", ".join(dict.fromkeys(classes))


class Dispatcher:
    """Resolve, check, run, map errors."""

    def __init__(self, env: DAVEnvironment) -> None:
        self.env = env

    async def serve(self, ctx: RequestContext, tree: ResourceTree, body: bytes) -> DAVResponse:
        """Answer one request; never raises for DAV or mapped store errors."""
        try:
            response = await self._serve(ctx, tree, body)
            if not isinstance(response.body, bytes):
                response.body = await _started(response.body)
            return response
        except Exception as exc:  # noqa: BLE001 - every mapped error becomes a response
            error = self.env.errors.to_dav_error(exc)
            if error is None:
                raise
            return DAVResponse.from_error(error)

    async def _serve(self, ctx: RequestContext, tree: ResourceTree, body: bytes) -> DAVResponse:
        handler = self.env.methods.get(ctx.method)
        target = await tree.resolve(ctx.path)
        if handler is None:
            raise DAVError(405, None, f"{ctx.method} is not supported",
                           headers={"Allow": ", ".join(self.env.methods.allowed(target))})
        if target is None and not handler.creates:
            raise DAVError(404, None, "no such resource")
        if not handler.allowed_on(target):
            raise DAVError(405, None, f"{ctx.method} is not allowed here",
                           headers={"Allow": ", ".join(self.env.methods.allowed(target))})
        return await handler.handle(DAVRequest(ctx, target, body, tree, self.env))


async def _started(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``stream`` with its first chunk already made, so that a failure before the first
    byte still becomes an error response (:meth:`Dispatcher.serve`)."""
    try:
        first = await anext(stream)
    except StopAsyncIteration:
        first = b""

    async def resumed() -> AsyncIterator[bytes]:
        yield first
        async for chunk in stream:
            yield chunk

    return resumed()


async def write_response(request: IRequest, response: DAVResponse,
                         pacer: Pacer | None = None) -> None:
    """Write ``response`` onto a twisted.web request, streaming async bodies.

    Between chunks of a stream, ``pacer`` lets other requests have the reactor. A
    stream that fails after the status was sent can only be cut off: the connection
    is aborted so the client sees a truncated (invalid) document, never a valid one.
    """
    request.setResponseCode(response.status)
    for name, value in response.headers.items():
        request.setHeader(name.encode("latin-1"), value.encode("latin-1"))
    if isinstance(response.body, bytes):
        if "Content-Length" not in response.headers:
            request.setHeader(b"content-length", str(len(response.body)).encode("ascii"))
        if response.body:
            request.write(response.body)
        return
    try:
        async for chunk in response.body:
            if chunk:
                request.write(chunk)
            if pacer is not None:
                await pacer.breathe()
    except Exception:
        log.failure("streaming the {status} body failed; aborting", status=response.status)
        transport = getattr(request.channel, "transport", None)
        if transport is not None:
            transport.abortConnection()
        raise
