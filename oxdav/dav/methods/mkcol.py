"""MKCOL (RFC 4918 §9.3): plain collections are not offered (403); extended MKCOL
(RFC 5689) and MKCALENDAR come from CardDAV/CalDAV."""

from __future__ import annotations

from oxdav.dav.dispatch import DAVRequest, MethodHandler
from oxdav.dav.errors import DAVError
from oxdav.dav.resource import DAVResource
from oxdav.dav.response import DAVResponse


class MkcolMethod(MethodHandler):
    """Refuse: an existing target is 405 (§9.3.1), a new one 403."""

    name = "MKCOL"
    writes = True
    creates = True

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return resource is None

    async def handle(self, request: DAVRequest) -> DAVResponse:
        raise DAVError(403, None, "plain MKCOL is not supported here")
