"""PROPFIND (RFC 4918 §9.1): the method, and its answer as a function of (context,
resource, body).

The multistatus is streamed: the target resource is evaluated before anything is
returned (so its errors still become a proper status), then one response per member is
evaluated and serialised as the web layer pulls chunks. An error raised while streaming
members can no longer change the status; the web layer must abort the connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from oxdav.dav.dispatch import DAVRequest, MethodHandler
from oxdav.dav.errors import DAVError
from oxdav.dav.limits import NUMBER_OF_MATCHES_WITHIN_LIMITS
from oxdav.dav.methods.capabilities import BoundedListing
from oxdav.dav.multistatus import ResponseEntry, ResponseItem, multistatus_answer
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.property_results import PropFindRequest, parse_propfind
from oxdav.dav.resource import DAVResource, Depth, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import DEFAULT_LIMITS, XMLLimits, parse_body
from oxdav.work import INLINE, Work

PROPFIND_FINITE_DEPTH = clark(DAV_NS, "propfind-finite-depth")


class PropfindMethod(MethodHandler):
    """Depth 0/1 multistatus; infinity → 403 ``propfind-finite-depth``."""

    name = "PROPFIND"

    async def handle(self, request: DAVRequest) -> DAVResponse:
        assert request.target is not None
        return await propfind(request.ctx, request.target, request.body,
                              request.env.properties, limits=request.env.limits,
                              work=request.env.work)


async def propfind(
    ctx: RequestContext,
    resource: DAVResource,
    body: bytes,
    properties: PropertyRegistry,
    *,
    limits: XMLLimits = DEFAULT_LIMITS,
    work: Work = INLINE,
) -> DAVResponse:
    """Answer a PROPFIND on ``resource``.

    Args:
        ctx: the request context (Depth, Brief/Prefer, principal, path mapping).
        resource: the resolved target resource.
        body: the raw request body (empty means allprop).
        properties: the live-property registry.
        limits: XML parsing bounds.
        work: where a large body is parsed.

    Raises:
        DAVError: 400 for a bad body or Depth; 403 ``propfind-finite-depth`` for
            ``Depth: infinity``, which is also what an absent Depth means (RFC 4918 §9.1).
    """
    depth = ctx.depth(Depth.INFINITY)
    if depth is Depth.INFINITY:
        raise DAVError(403, PROPFIND_FINITE_DEPTH, "Depth: infinity is not supported")
    request = parse_propfind(await work.sized(len(body), parse_body, body, limits))
    first = (await properties.evaluate(ctx, resource, request)).to_entry()
    entries = _entries(ctx, resource, request, properties, first, depth)
    return multistatus_answer(ctx, entries)


async def _entries(
    ctx: RequestContext,
    resource: DAVResource,
    request: PropFindRequest,
    properties: PropertyRegistry,
    first: ResponseItem,
    depth: Depth,
) -> AsyncIterator[ResponseItem]:
    yield first
    if depth is Depth.ONE and resource.is_collection:
        async for child in resource.children():
            yield await properties.respond(ctx, child, request)
        if isinstance(resource, BoundedListing) and resource.listing_truncated:
            yield ResponseEntry(ctx.href(resource.path, collection=True), status=507,
                                error=NUMBER_OF_MATCHES_WITHIN_LIMITS,
                                description="more members than one listing shows")
