"""MKCOL (RFC 4918 §9.3): plain collections are not offered (403); a parent that is a
:class:`CollectionMaker` (CardDAV's home: extended MKCOL, RFC 5689) makes them."""

from __future__ import annotations

from oxdav.dav.dispatch import DAVRequest, MethodHandler
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import CollectionMaker
from oxdav.dav.paths import basename, parent_path
from oxdav.dav.resource import DAVResource
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import parse_body


class MkcolMethod(MethodHandler):
    """An existing target is 405 (§9.3.1); the parent decides the rest, 403 if it cannot."""

    name = "MKCOL"
    writes = True
    creates = True

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return resource is None

    async def handle(self, request: DAVRequest) -> DAVResponse:
        ctx = request.ctx
        parent = await request.tree.resolve(parent_path(ctx.path))
        if not isinstance(parent, CollectionMaker):
            raise DAVError(403, None, "collections cannot be made here")
        body = parse_body(request.body, request.env.limits)
        await parent.make_collection(ctx, basename(ctx.path), self.name, body)
        return DAVResponse(201, {"Cache-Control": "no-cache"})
