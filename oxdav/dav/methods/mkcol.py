"""MKCOL (RFC 4918 §9.3): plain collections are not offered (403); a parent that is a
:class:`CollectionMaker` (CardDAV's home: extended MKCOL, RFC 5689) makes them."""

from __future__ import annotations

from lxml import etree

from oxdav.dav.dispatch import DAVRequest, MethodHandler, StoreAccess
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import CollectionMaker
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.paths import basename, parent_path
from oxdav.dav.resource import DAVResource
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import child_elements, parse_body

_SET = clark(DAV_NS, "set")
_PROP = clark(DAV_NS, "prop")


def set_properties(body: etree._Element) -> dict[str, etree._Element]:
    """The properties an extended MKCOL (RFC 5689 §5.1) or MKCALENDAR (RFC 4791
    §9.3) body sets, by Clark name: the children of every ``set/prop``."""
    return {str(element.tag): element
            for action in child_elements(body) if action.tag == _SET
            for prop in child_elements(action) if prop.tag == _PROP
            for element in child_elements(prop)}


class MkcolMethod(MethodHandler):
    """An existing target is 405 (§9.3.1); the parent decides the rest, 403 if it cannot."""

    name = "MKCOL"
    access = StoreAccess.WRITE
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
