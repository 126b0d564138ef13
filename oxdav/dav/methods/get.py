"""GET and HEAD (RFC 9110 §9.3.1-2) of non-collection resources, and of collections
that answer with all their members as one document (:class:`WholeCollection`).

The ``ETag`` header is the resource's strong tag, the same string PROPFIND reports as
``getetag``; conditional requests follow RFC 9110 §13.2.2. A whole collection's
document is streamed and has no entity tag (its members have theirs).
"""

from __future__ import annotations

from email.utils import format_datetime

from oxdav.dav.conditions import ConditionResult, ResourceState, evaluate_preconditions
from oxdav.dav.dispatch import DAVRequest, MethodHandler, StoreAccess
from oxdav.dav.methods.capabilities import NegotiatedContent, ReadableContent, WholeCollection
from oxdav.dav.resource import DAVResource
from oxdav.dav.response import DAVResponse


def representation_headers(resource: DAVResource) -> dict[str, str]:
    """ETag, Last-Modified and Content-Type of ``resource``."""
    headers: dict[str, str] = {}
    if resource.etag:
        headers["ETag"] = resource.etag
    if resource.last_modified is not None:
        headers["Last-Modified"] = format_datetime(resource.last_modified, usegmt=True)
    if resource.content_type:
        headers["Content-Type"] = resource.content_type
    return headers


class GetMethod(MethodHandler):
    """GET: the stored body.

    The target is resolved with its bytes in one store call (the ETag and the body come
    from that one read), so GET needs no snapshot across calls.
    """

    name = "GET"
    access = StoreAccess.PER_CALL

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return isinstance(resource, (ReadableContent, WholeCollection))

    async def handle(self, request: DAVRequest) -> DAVResponse:
        resource = request.target
        if isinstance(resource, WholeCollection):
            return await self.whole(request, resource)
        assert isinstance(resource, ReadableContent) and isinstance(resource, DAVResource)
        state = ResourceState(True, resource.etag, resource.last_modified)
        headers = representation_headers(resource)
        headers.update(await resource.response_headers())
        if evaluate_preconditions(request.ctx.method, request.ctx.headers, state) is (
                ConditionResult.NOT_MODIFIED):
            headers.pop("Content-Type", None)
            return DAVResponse(304, headers)
        if isinstance(resource, NegotiatedContent):
            # RFC 9110 §12.5.5: the representation varies with the request headers.
            body, headers["Content-Type"] = await resource.read_for(request.ctx)
            headers["Vary"] = "Accept"
        else:
            body = await resource.read()
        if request.ctx.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return DAVResponse(200, headers)
        return DAVResponse(200, headers, body)


    async def whole(self, request: DAVRequest, resource: WholeCollection) -> DAVResponse:
        """The collection as one streamed document (for HEAD too: its length is known
        only once made, and twisted.web sends no body for HEAD)."""
        chunks, content_type = await resource.read_whole(request.ctx)
        headers = {"Content-Type": content_type, "Vary": "Accept"}
        assert isinstance(resource, DAVResource)
        if resource.last_modified is not None:
            headers["Last-Modified"] = format_datetime(resource.last_modified, usegmt=True)
        return DAVResponse(200, headers, chunks)


class HeadMethod(GetMethod):
    """HEAD: GET's headers without the body."""

    name = "HEAD"
