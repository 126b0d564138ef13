"""POST: one method, several kinds of request.

RFC 9110 §9.3.3 leaves what a POST does to the target resource, and the DAV extensions
each define one: a free/busy request to a schedule outbox (RFC 6638 §5), sharing
requests to a collection or a home, a push registration to a collection. Each kind is
a :class:`PostKind`; :class:`PostMethod` picks the one the target and the body name:
the kinds the target allows and the media type fits, and among several, the one whose
XML root element the body has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from oxdav.dav.dispatch import DAVRequest, MethodHandler, StoreAccess
from oxdav.dav.errors import DAVError
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.dav.response import DAVResponse

XML_MEDIA_TYPES = frozenset({"application/xml", "text/xml"})


def media_type(ctx: RequestContext) -> str:
    """The request's media type, lower case, without parameters (XML when none is sent:
    clients of the XML kinds often omit it)."""
    value = (ctx.header("content-type") or "").split(";")[0].strip().lower()
    return value or "application/xml"


class PostKind(MethodHandler):
    """One kind of POST.

    Class attributes:
        media_types: the request media types it takes.
        roots: the root elements (Clark names) of the XML bodies it takes; empty for any.
        max_body: the largest body it takes (it says so itself with a 413).
    """

    name = "POST"
    media_types: ClassVar[frozenset[str]] = XML_MEDIA_TYPES
    roots: ClassVar[frozenset[str]] = frozenset()
    max_body: ClassVar[int] = 64 * 1024


class PostMethod(MethodHandler):
    """POST, answered by the kind the target and the body name."""

    name = "POST"
    access = StoreAccess.WRITE

    def __init__(self, kinds: Sequence[PostKind]) -> None:
        self.kinds = tuple(kinds)

    def access_for(self, ctx: RequestContext) -> StoreAccess:
        # A read-only kind (free/busy) must not hold the store's writer.
        media = media_type(ctx)
        accesses = {kind.access for kind in self.kinds if media in kind.media_types}
        if not accesses or StoreAccess.WRITE in accesses:
            return StoreAccess.WRITE
        return StoreAccess.SNAPSHOT

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return any(kind.allowed_on(resource) for kind in self.kinds)

    async def handle(self, request: DAVRequest) -> DAVResponse:
        media = media_type(request.ctx)
        allowed = [kind for kind in self.kinds if kind.allowed_on(request.target)]
        fitting = [kind for kind in allowed if media in kind.media_types]
        if len(allowed) == 1:  # it says best what is wrong with the request
            return await allowed[0].handle(request)
        if not fitting:
            takes = sorted({m for kind in allowed for m in kind.media_types})
            raise DAVError(415, None, f"POST here takes {', '.join(takes)}, not {media}")
        if len(fitting) == 1:
            return await fitting[0].handle(request)
        largest = max(kind.max_body for kind in fitting)
        if len(request.body) > largest:  # refused unread, before choosing by its root
            raise DAVError(413, None, f"a POST here has at most {largest} bytes")
        root = await request.xml_body()
        tag = root.tag if root is not None else None
        for kind in fitting:
            if tag in kind.roots:
                return await kind.handle(request)
        raise DAVError(415, None, f"POST here takes no {tag or 'empty body'}")
